"""Gradients of indexed reductions, the family FAST_RUN once got silently wrong.

A reduction (sum prod mean max min var std) of ``x``, ``2*x``, ``exp(x)`` or
``x*x``, along axis 0 or 1, with or without ``keepdims``, of which the first
element, the last element or a slice is taken, times a constant: every
compiled gradient must equal central differences of the FAST_COMPILE cost, in
FAST_RUN and in DEBUG_MODE. Before the fix 118 of the 336 were wrong, 78 of
them without an error: a rule scaled an increment by a factor that broadcast,
and the engine let a replacement claim a static size 1 its original did not have.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.rewrite.engine import RewriteWarning
from symgraph.rewrite.rules import stabilize

X = np.random.RandomState(0).uniform(0.5, 2, (3, 4))
B = np.linspace(-1.0, 1.0, 4)
REDUCTIONS = ["sum", "prod", "mean", "max", "min", "var", "std"]
INNER = {"x": lambda x: x, "2x": lambda x: 2 * x, "exp": T.exp, "xx": lambda x: x * x}
PICKS = {
    False: {"first": 0, "last": -1, "slice": slice(1, None)},
    True: {"first": (0, 0), "last": (-1, -1), "slice": (slice(None), slice(1, None))},
}


def indexed_reduction(x, reduction: str, inner: str, axis: int, keepdims: bool, pick: str):
    reduced = getattr(INNER[inner](x), reduction)(axis=axis, keepdims=keepdims)
    return reduced[PICKS[keepdims][pick]]


def family(reduction: str, inner: str):
    """The 12 costs of one reduction of one inner expression."""
    for axis, keepdims, pick in itertools.product((0, 1), (False, True), PICKS[False]):
        yield (
            lambda x, r=(reduction, inner, axis, keepdims, pick): (
                indexed_reduction(x, *r).sum() * 1.7
            )
        )


def central_differences(cost_fn, point: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(point)
    for i in np.ndindex(point.shape):
        up, down = point.copy(), point.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (cost_fn(up) - cost_fn(down)) / (2 * eps)
    return grad


def assert_gradient_right(cost_of, mode: str) -> None:
    x = T.dmatrix("x")
    cost = cost_of(x)
    reference = theano.function([x], cost, mode="FAST_COMPILE")
    expected = central_differences(reference, X)
    got = theano.function([x], T.grad(cost, x), mode=mode)(X)
    assert got.shape == X.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["FAST_RUN", "DEBUG_MODE"])
@pytest.mark.parametrize("inner", list(INNER))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_indexed_reduction_gradients(reduction, inner, mode):
    for cost_of in family(reduction, inner):
        assert_gradient_right(cost_of, mode)


def test_two_indexed_reductions_combined():
    rng = np.random.default_rng(12)
    cases = list(itertools.product(REDUCTIONS, INNER, (0, 1), (False, True), PICKS[False]))
    for k in rng.choice(len(cases), size=(40, 2), replace=False):
        first, second = cases[k[0]], cases[k[1]]
        assert_gradient_right(
            lambda x, a=first, b=second: (
                indexed_reduction(x, *a).sum() - 0.5 * indexed_reduction(x, *b).sum()
            ),
            "FAST_RUN",
        )


def test_max_of_exp_minus_variance_with_a_bias():
    x, b = T.dmatrix("x"), T.dvector("b")
    cost = T.exp(x).max(axis=0)[1:].sum() - (x + b).var()
    expected = theano.function([x, b], T.grad(cost, [x, b]), mode="FAST_COMPILE")(X, B)
    got = theano.function([x, b], T.grad(cost, [x, b]))(X, B)
    for want, have in zip(expected, got):
        np.testing.assert_allclose(have, want, rtol=1e-12)
    numeric = central_differences(theano.function([x], cost, givens=[(b, T.constant(B))]), X)
    np.testing.assert_allclose(got[0], numeric, rtol=1e-5, atol=1e-6)


def test_random_program_with_broadcast_products():
    """A program from random testing: a wrong shape for x0 and a wrong value for x1."""
    x0 = T.dmatrix("x0")
    x1 = T.tensor("x1", dtype="float64", shape=(1,))
    v3 = T.prod(x0 / x1, axis=(0,), keepdims=True)
    v4 = T.min(x1, axis=-1, keepdims=True)
    v10 = T.pow(1.5, T.clip(T.exp(v4 - v3) - 1, 6.0, 8.5))
    v11 = v10[np.array([-1, 0]), -3::-2]
    v13 = T.exp(v4.mean(axis=0))
    v16 = T.where(v13 - 1 < -2, v13, v13 - 1)
    v17 = x1.dot(v4)
    v19 = T.reshape(T.where(T.lt(T.log(v10) + 2, v17), v17, 2.0), (5,))
    rng = np.random.RandomState(0)
    weights = [rng.uniform(0.5, 1.5, size=s) for s in [(5,), (2, 2), ()]]
    cost = sum((o * T.constant(c)).sum() for o, c in zip([v19, v11, v16], weights))
    X0 = np.array(
        [
            [0.7145, -0.0034, 0.5028, 0.7346, -0.6052],
            [-0.4561, -0.2649, -0.6154, -0.5222, 0.6826],
        ]
    )
    X1 = np.array([0.4224])
    expected = theano.function([x0, x1], T.grad(cost, [x0, x1]), mode="FAST_COMPILE")(X0, X1)
    assert expected[0].shape == (2, 5)
    np.testing.assert_allclose(expected[1], [-3614.57863961], rtol=1e-9)
    for mode in ("FAST_RUN", "DEBUG_MODE"):
        got = theano.function([x0, x1], T.grad(cost, [x0, x1]), mode=mode)(X0, X1)
        for want, have in zip(expected, got):
            assert have.shape == want.shape
            np.testing.assert_allclose(have, want, rtol=1e-9)


def test_a_broadcasting_rule_can_no_longer_be_silently_wrong(monkeypatch):
    """With the rule's broadcast guard removed (the old bug) no gradient is wrong: the engine
    refuses a replacement whose type differs from its original's. FAST_RUN skips it with a
    warning naming the rule; DEBUG_MODE raises."""
    monkeypatch.setattr(stabilize, "covers", lambda shapes, out: True)
    faulty = []
    for reduction, inner in itertools.product(REDUCTIONS, INNER):
        for cost_of in family(reduction, inner):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RewriteWarning)
                assert_gradient_right(cost_of, "FAST_RUN")
            if any("scale_into_increment" in str(w.message) for w in caught):
                faulty.append(cost_of)
    assert faulty
    with pytest.raises(TypeError, match="scale_into_increment"):
        assert_gradient_right(faulty[0], "DEBUG_MODE")


def test_debug_mode_checks_gradient_shapes_at_run_time():
    """x's static shape says nothing of its length, so x of length 1 broadcast against y
    breaks the convention sum_to_shape relies on: DEBUG_MODE names it, and the failed call
    changes no shared variable."""
    x, y = T.dvector("x"), T.dvector("y")
    w = theano.shared(np.zeros(1), name="w")
    g = T.grad((x * y).sum() + (w * y).sum(), x)
    f = theano.function([x, y], g, mode="DEBUG_MODE", updates=[(w, w + 1)])
    with pytest.raises(ValueError, match=r"gradient with respect to x .* shape \(3,\), but x"):
        f(np.ones(1), np.ones(3))
    assert w.get_value()[0] == 0.0
    np.testing.assert_array_equal(f(np.ones(3), np.ones(3)), np.ones(3))
    assert w.get_value()[0] == 1.0


def test_reduction_along_an_axis_weighted_by_a_constant_vector():
    """The gradient broadcasts the constant through an alloc whose static shape must say what
    np.full's broadcasting fixes (5 columns), or a rewrite would change the type."""
    x = T.dmatrix("x")
    c = T.constant(np.arange(1.0, 6.0))
    g = theano.function([x], T.grad(T.sum(T.sum(x**3, axis=0) * c), x))
    point = np.linspace(0.5, 1.5, 10).reshape(2, 5)
    np.testing.assert_allclose(g(point), 3 * point**2 * np.arange(1.0, 6.0), rtol=1e-12)
