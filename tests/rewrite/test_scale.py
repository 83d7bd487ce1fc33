"""Graphs of the sizes real models make compile, with the default recursion limit.

Times are measured in ``benchmarks/compile_scaling.py``; these tests check that
such graphs compile at all and compute the right values.
"""

from __future__ import annotations

import sys

import numpy as np

import symgraph as theano
import symgraph.tensor as T


def test_a_mean_of_sixty_five_chained_sines():
    """Each firing of the shape rule once peeled one sine, and a depth cap stopped it."""
    x = T.dvector("x")
    y = x
    for _ in range(65):
        y = T.sin(y)
    value = np.linspace(0.1, 1.0, 5)
    expected = value
    for _ in range(65):
        expected = np.sin(expected)
    np.testing.assert_allclose(theano.function([x], y.mean())(value), expected.mean(), rtol=1e-12)


def test_a_deep_chain_and_its_gradient_need_no_raised_recursion_limit():
    assert sys.getrecursionlimit() <= 1000
    x = T.dvector("x")
    y, value = x, np.linspace(0.1, 1.0, 3)
    expected = value.copy()
    for i in range(3000):
        y = T.tanh(y) * 0.5 + 0.1 if i % 2 else T.sin(y)
        expected = np.tanh(expected) * 0.5 + 0.1 if i % 2 else np.sin(expected)
    f = theano.function([x], [y, T.grad(y.sum(), x)])
    out, grad = f(value)
    np.testing.assert_allclose(out, expected, rtol=1e-10)
    eps = 1e-6
    numeric = (f(value + eps)[0].sum() - f(value - eps)[0].sum()) / (2 * eps)
    np.testing.assert_allclose(grad.sum(), numeric, rtol=1e-4)


def test_a_wide_sum_of_weighted_terms_is_one_node():
    x = T.dvector("x")
    weights = [theano.shared(np.full(3, float(i)), name=f"w{i}") for i in range(2000)]
    total = weights[0] * x
    for w in weights[1:]:
        total = total + w * x
    f = theano.function([x], total.sum())
    adds = [node for node in f.graph.apply_nodes if node.op is T.add]
    assert len(adds) == 1 and len(adds[0].inputs) == 2000
    np.testing.assert_allclose(f(np.ones(3)), 3 * sum(range(2000)))
