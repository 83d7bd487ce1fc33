"""Every rule keeps types and values: random programs over the op library, every firing checked.

The programs (with their gradients) come from ``tests/graphgen.py`` driven by hypothesis,
so a failure shrinks to a small program. Only the pipeline's contract is used:
``optimize(graph, optimizer)`` returns ``(graph, firings)``, each firing with ``before``
and ``after``; how the engine finds them does not matter. For a long run:

    RULE_EXAMPLES=2000 python -m pytest -q tests/rewrite/test_rule_properties.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.pipeline import optimize
from symgraph.tensor.evaluate import evaluate_all

sys.path.insert(0, str(Path(__file__).parent.parent))  # the generator lives in tests/
from graphgen import Picker, generate, gradients, rounding  # noqa: E402
from graphgen_shapes import GROUPS  # noqa: E402

EXAMPLES = int(os.environ.get("RULE_EXAMPLES", "50"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_every_firing_keeps_the_type_and_the_value(data):
    """For every firing, the replacement has exactly the type of what it replaces and the
    same value on the program's inputs; the optimized outputs equal the unoptimized ones."""
    pick = Picker(data=data)
    program = generate(pick, GROUPS, size=data.draw(st.integers(2, 9), label="size"))
    inputs = [var for var, _, _ in program.inputs]
    givens = {var: value for var, _, value in program.inputs}
    outputs = [o.var for o in program.outputs] + gradients(program, pick.rng).grads
    graph = Graph(inputs, outputs)
    optimized, firings = optimize(graph, "fast_run")
    eps, scale = rounding(program, program.run(list(givens.values())))
    for firing in firings:
        assert firing.after.type == firing.before.type, f"{firing} changes the type"
        before, after = evaluate_all([firing.before, firing.after], givens)
        assert_same(after, before, eps, scale, f"{firing} changes the value")
    for old, new in zip(
        evaluate_all(graph.outputs, givens), evaluate_all(optimized.outputs, givens)
    ):
        assert_same(new, old, eps, scale, "optimizing changes an output")


def assert_same(got, want, eps: float, scale: float, message: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, message
    if want.dtype.kind not in "fc":
        np.testing.assert_array_equal(got, want, err_msg=message)
        return
    # loose enough for a stabilizing rule, whose result is the more accurate one (log1p(-
    # sigmoid(x)) near x = 12 loses half its digits to cancellation); a wrong rule is far off
    tolerance = max(1e-7, 1e3 * eps) * (np.abs(want) + scale)
    close = (np.abs(got - want) <= tolerance) | (np.isnan(got) & np.isnan(want)) | (got == want)
    assert np.all(close), f"{message}: {got.tolist()} instead of {want.tolist()}"


# -- rules that changed types, each as it was found ----------------------------------------------


def test_a_sum_over_a_unit_axis_of_a_comparison_keeps_counting_in_int64():
    v = T.tensor("v", dtype="float64", shape=(None, 1))
    count = T.sum(T.lt(v, 0.5), axis=1)
    f = symgraph.function([v], count)
    assert count.dtype == "int64" and f([[0.1], [0.9]]).tolist() == [1, 0]
    assert f([[0.1], [0.9]]).dtype == np.int64


def test_log_of_exp_of_an_integer_stays_a_float():
    i = T.ivector("i")
    f = symgraph.function([i], T.log(T.exp(i)))
    result = f(np.array([1, 2], dtype="int32"))
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, [1.0, 2.0])


def test_a_matrix_vector_product_keeps_the_vector_type():
    """``(v . (A . v)) * 1.05`` and its gradients: the rule once turned a vector into a column."""
    A, v = T.dmatrix("A"), T.dvector("v")
    cost = (T.dot(v, T.dot(A, v)) * 1.05).sum()
    f = symgraph.function([A, v], [cost, *T.grad(cost, [A, v])])
    a, x = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -1.0])
    value, g_a, g_v = f(a, x)
    np.testing.assert_allclose(value, 1.05 * x @ a @ x)
    np.testing.assert_allclose(g_a, 1.05 * np.outer(x, x))
    np.testing.assert_allclose(g_v, 1.05 * (a + a.T) @ x)


@pytest.mark.parametrize(
    "build",
    [
        # reading through the Alloc would know the constant's size 3 the Alloc lost
        lambda m: T.fill(m, np.arange(3.0)) * T.exp(m),
        lambda m: (T.log(T.sum(T.exp(m), axis=1, keepdims=True)) * [[1.0], [2.0]]).sum(),
        # a -1 resolved from the inner reshape's static size 6, which m does not have
        lambda m: T.reshape(T.reshape(m, (2, 3)), (-1,)) * 2,
    ],
)
def test_rewrites_keep_the_static_shape_exactly(build):
    m = T.dmatrix("m")
    expr = build(m)
    value = np.arange(6.0).reshape(2, 3) / 6
    expected = symgraph.function([m], [expr, T.grad(expr.sum(), m)], mode="FAST_COMPILE")(value)
    got = symgraph.function([m], [expr, T.grad(expr.sum(), m)])(value)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_cancelling_through_an_increment_skips_factors_that_broadcast():
    """The rule looked up ``r[i]`` in every factor ``r``, even one whose axis of size 1
    has no element ``i``: an IndexError at compile time."""
    x0, x1 = T.dvectors("x0", "x1")
    product = T.outer(x0, x1)
    cost = product.var() + (product[None, :, 1] * [[1.0, 2.0, 3.0, 4.0]]).sum()
    values = np.array([0.5, -1.0, 2.0, 0.1]), np.array([1.0, 3.0])
    grads = T.grad(cost, [x0, x1])
    expected = symgraph.function([x0, x1], grads, mode="FAST_COMPILE")(*values)
    for got, want in zip(symgraph.function([x0, x1], grads)(*values), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_transpose_is_only_of_a_matrix():
    """``dot_of_transposes`` took ``t.dimshuffle(1, 0)`` of a 3-d ``t`` with a unit axis for
    a transposed matrix, and built an invalid DimShuffle (a TypeError at compile time)."""
    a, b = T.dmatrices("a", "b")
    picked = (a @ b).dimshuffle(1, 0, "x")[0:1, :, 0]
    grads = T.grad((picked * 2.0).sum(), [a, b])
    values = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]]), np.array([[0.5], [-2.0], [1.0]])
    expected = symgraph.function([a, b], grads, mode="FAST_COMPILE")(*values)
    for got, want in zip(symgraph.function([a, b], grads)(*values), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
