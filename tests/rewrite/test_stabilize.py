"""stabilize: structure of each rule, and finite values and gradients at x = ±800."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, log_expit, log_softmax, logsumexp, softmax

import symgraph.tensor as T
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.pipeline import optimize
from symgraph.rewrite.rules.canonicalize import canonicalize
from symgraph.rewrite.rules.constant_fold import constant_fold
from symgraph.rewrite.rules.stabilize import stabilize
from symgraph.tensor.evaluate import evaluate_all

EXTREMES = np.array([-800.0, -40.0, -1.0, 0.0, 0.5, 40.0, 800.0])
TINY = np.array([-1e-20, 1e-18, 3e-10, 0.25])


def stabilized(rewritten, inputs, expr):
    (out,) = rewritten(inputs, [expr], stabilize, canonicalize, constant_fold)
    return out


def values_and_gradient(expr, x, value):
    """``expr`` and d(sum expr)/dx after FAST_RUN, at ``value``."""
    graph = Graph([x], [expr, T.grad(expr.sum(), x)])
    optimized, _ = optimize(graph, "fast_run")
    with np.errstate(all="ignore"):
        return evaluate_all(optimized.outputs, {x: value})


CASES = [
    # (build from x, expected rewrite, reference value, reference derivative)
    (lambda x: T.log(T.sigmoid(x)), "(-softplus((-x)))", log_expit, lambda v: expit(-v)),
    (
        lambda x: T.log(1 - T.sigmoid(x)),
        "(-softplus(x))",
        lambda v: log_expit(-v),
        lambda v: -expit(v),
    ),
    (
        lambda x: T.log1p(-T.sigmoid(x)),
        "(-softplus(x))",
        lambda v: log_expit(-v),
        lambda v: -expit(v),
    ),
    (
        lambda x: 1 - T.sigmoid(x),
        "sigmoid((-x))",
        lambda v: expit(-v),
        lambda v: -expit(v) * expit(-v),
    ),
    (lambda x: T.log1p(T.exp(x)), "softplus(x)", lambda v: np.logaddexp(0, v), expit),
    (lambda x: T.log(1 + T.exp(x)), "softplus(x)", lambda v: np.logaddexp(0, v), expit),
    (lambda x: 1 / (1 + T.exp(-x)), "sigmoid(x)", expit, lambda v: expit(v) * expit(-v)),
    (
        lambda x: 1 / (1 + T.exp(x)),
        "sigmoid((-x))",
        lambda v: expit(-v),
        lambda v: -expit(v) * expit(-v),
    ),
    (lambda x: T.exp(x) * T.sigmoid(-x), "sigmoid(x)", expit, lambda v: expit(v) * expit(-v)),
]


@pytest.mark.parametrize("build, expected, reference, derivative", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_family_is_finite_at_the_extremes(
    rewritten, text, build, expected, reference, derivative, dtype
):
    x = T.vector("x", dtype=dtype)
    assert text(stabilized(rewritten, [x], build(x))) == expected
    value = EXTREMES.astype(dtype)
    got, gradient = values_and_gradient(build(x), x, value)
    tolerance = 1e-12 if dtype == "float64" else 1e-5
    assert got.dtype == gradient.dtype == dtype
    np.testing.assert_allclose(got, reference(value.astype("float64")), rtol=tolerance, atol=1e-30)
    assert np.isfinite(gradient).all()
    np.testing.assert_allclose(gradient, derivative(value.astype("float64")), rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize(
    "build, expected, reference",
    [
        (lambda x: T.log(1 + x), "log1p(x)", np.log1p),
        (lambda x: T.log(x + 1), "log1p(x)", np.log1p),
        (lambda x: T.log(1 - x), "log1p((-x))", lambda v: np.log1p(-v)),
        (lambda x: T.exp(x) - 1, "expm1(x)", np.expm1),
    ],
)
def test_log1p_and_expm1_keep_tiny_values(rewritten, same_values, text, build, expected, reference):
    x = T.dvector("x")
    out = stabilized(rewritten, [x], build(x))
    assert text(out) == expected
    (got,) = evaluate_all([out], {x: TINY})
    np.testing.assert_allclose(got, reference(TINY), rtol=1e-14)


def test_logsumexp_shifts_by_the_maximum(rewritten):
    m = T.dmatrix("m")
    expr = T.log(T.sum(T.exp(m), axis=1))
    out = stabilized(rewritten, [m], expr)
    value = np.array([[-800.0, -801.0, -900.0], [800.0, 799.0, 0.0], [0.0, 1.0, 2.0]])
    (got,) = evaluate_all([out], {m: value})
    np.testing.assert_allclose(got, logsumexp(value, axis=1), rtol=1e-14)
    kept = T.log(T.sum(T.exp(m), axis=0, keepdims=True))
    (got,) = evaluate_all([stabilized(rewritten, [m], kept)], {m: value})
    np.testing.assert_allclose(got, logsumexp(value, axis=0, keepdims=True), rtol=1e-14)


LOG_SUM_EXP = [(1, None), (1, 0), (2, 1), (2, -2), (2, None), (3, 1), (3, (0, 2))]


@pytest.mark.parametrize("ndim, axis", LOG_SUM_EXP)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_log_sum_exp_and_its_gradient_the_softmax_stay_finite(ndim, axis, keepdims, weighted):
    """``log(sum(exp(x)))`` at x = 1000 is 1000, and its gradient a softmax, for any axes,
    with or without keepdims, whatever weights the output gradient brings."""
    x = T.tensor("x", dtype="float64", shape=(None,) * ndim)
    value = np.random.default_rng(ndim).normal(size=(2, 3, 4)[:ndim])
    value.flat[0] = 1000.0
    lse = T.log(T.sum(T.exp(x), axis=axis, keepdims=keepdims))
    expected = logsumexp(value, axis=axis, keepdims=keepdims)
    weights = np.random.default_rng(1).uniform(0.5, 1.5, size=np.shape(expected))
    cost = (lse * weights).sum() if weighted else lse.sum()
    graph = Graph([x], [lse, T.grad(cost, x)])
    got, gradient = evaluate_all(optimize(graph, "fast_run")[0].outputs, {x: value})
    axes = tuple(range(ndim)) if axis is None else axis
    spread = weights if keepdims else np.expand_dims(weights, axes)
    spread = spread if weighted else 1.0
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    np.testing.assert_allclose(gradient, softmax(value, axis=axes) * spread, rtol=1e-12)


def test_log_sum_exp_of_a_vector_as_the_issue_gives_it():
    v = T.dvector("v")
    cost = T.log(T.sum(T.exp(v)))
    graph = Graph([v], [cost, T.grad(cost, v)])
    got, gradient = evaluate_all(optimize(graph, "fast_run")[0].outputs, {v: [1000.0, 0.0]})
    assert got == 1000.0 and gradient.tolist() == [1.0, 0.0]


def test_softmax_and_log_softmax_are_recognized(rewritten, text):
    m = T.dmatrix("m")
    written = T.exp(m) / T.sum(T.exp(m), axis=1, keepdims=True)
    assert text(stabilized(rewritten, [m], written)) == "softmax(m)"
    assert text(stabilized(rewritten, [m], T.log(T.nnet.softmax(m)))) == "log_softmax(m)"
    value = np.array([[-800.0, 0.0, 800.0], [1.0, 2.0, 3.0]])
    (got,) = evaluate_all([stabilized(rewritten, [m], written)], {m: value})
    np.testing.assert_allclose(got, softmax(value, axis=1), rtol=1e-14)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_crossentropy_of_softmax_has_a_finite_gradient(dtype):
    m = T.matrix("m", dtype=dtype)
    target = np.eye(3, dtype=dtype)[[0, 2]]
    cost = T.nnet.categorical_crossentropy(T.nnet.softmax(m), T.constant(target)).mean()
    graph = Graph([m], [cost, T.grad(cost, m)])
    optimized, _ = optimize(graph, "fast_run")
    value = np.array([[-800.0, 0.0, 800.0], [800.0, 1.0, -800.0]], dtype=dtype)
    with np.errstate(all="ignore"):
        got_cost, got_grad = evaluate_all(optimized.outputs, {m: value})
    exact = value.astype("float64")
    expected_cost = -(target * log_softmax(exact, axis=1)).sum(1).mean()
    expected_grad = (softmax(exact, axis=1) - target) / 2
    np.testing.assert_allclose(got_cost, expected_cost, rtol=1e-6)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binary_crossentropy_as_the_seed_writes_it(dtype):
    z, y = T.vector("z", dtype=dtype), T.vector("y", dtype=dtype)
    p = 1 / (1 + T.exp(-z))
    xent = -y * T.log(p) - (1 - y) * T.log(1 - p)
    graph = Graph([z, y], [xent, T.grad(xent.mean(), z)])
    optimized, _ = optimize(graph, "fast_run")
    zs = EXTREMES.astype(dtype)
    ys = np.array([1, 0, 1, 0, 1, 0, 1], dtype=dtype)
    with np.errstate(all="ignore"):
        got, gradient = evaluate_all(optimized.outputs, {z: zs, y: ys})
    exact = zs.astype("float64")
    expected = -ys * log_expit(exact) - (1 - ys) * log_expit(-exact)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(gradient, (expit(exact) - ys) / len(zs), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_crossentropy_of_softmax_with_integer_labels_has_a_finite_gradient(dtype):
    m, labels = T.matrix("m", dtype=dtype), T.ivector("labels")
    cost = T.nnet.categorical_crossentropy(T.nnet.softmax(m), labels).mean()
    graph = Graph([m, labels], [cost, T.grad(cost, m)])
    optimized, _ = optimize(graph, "fast_run", check=True)
    value = np.array([[-800.0, 0.0, 800.0], [800.0, 1.0, -800.0]], dtype=dtype)
    chosen = np.array([0, 2], dtype="int32")
    with np.errstate(all="ignore"):
        got_cost, got_grad = evaluate_all(optimized.outputs, {m: value, labels: chosen})
    exact = value.astype("float64")
    expected_cost = -log_softmax(exact, axis=1)[[0, 1], chosen].mean()
    expected_grad = (softmax(exact, axis=1) - np.eye(3)[chosen]) / 2
    np.testing.assert_allclose(got_cost, expected_cost, rtol=1e-6)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-6, atol=1e-6)


def test_one_minus_sigmoid_inside_a_longer_sum(rewritten, same_values, text):
    x, y = T.dvectors("x", "y")
    expr = y + 2.0 - T.sigmoid(x)
    out = stabilized(rewritten, [x, y], expr)
    assert text(out) == "(y + sigmoid((-x)) + 1.0)"
    same_values([expr], [out], {x: EXTREMES[2:5], y: EXTREMES[1:4]}, rtol=1e-14)


def test_logsumexp_structure_and_no_second_shift(rewritten, text):
    m = T.dmatrix("m")
    out = stabilized(rewritten, [m], T.log(T.sum(T.exp(m), axis=1)))
    assert text(out).startswith("(log(sum(exp((m - switch(isinf(max(m, axis=1, keepdims=True))")
    ops = [str(node.op) for node in Graph([m], [out]).apply_nodes]
    assert ops.count("max{axes=(1,), keepdims}") == 1 and ops.count("log") == 1


def test_log_of_an_index_of_a_softmax(rewritten, text):
    m, labels = T.dmatrix("m"), T.ivector("labels")
    picked = T.nnet.softmax(m)[T.arange(m.shape[0]), labels]
    out = stabilized(rewritten, [m, labels], T.log(picked))
    assert out.owner.inputs[0].owner.op == T.LogSoftmax(1)


def test_scaling_an_increment_of_zeros_scales_what_was_written(rewritten, same_values, text):
    m, labels = T.dmatrix("m"), T.ivector("labels")
    rows = T.arange(m.shape[0])
    written = T.inc_subtensor(T.zeros_like(m)[rows, labels], 1.0 / m[rows, labels])
    expr = written * m
    out = stabilized(rewritten, [m, labels], expr)
    assert out.owner.op == written.owner.op
    assert "/" not in text(out.owner.inputs[1])
    values = {m: np.array([[1.0, 2.0], [4.0, 8.0]]), labels: np.array([1, 0], dtype="int32")}
    same_values([expr], [out], values)


def test_the_logistic_crossentropy_needs_one_softplus(rewritten, same_values, text):
    z, y, r = T.dvectors("z", "y", "r")
    expr = r * y * T.softplus(-z) + r * (1 - y) * T.softplus(z)
    out = stabilized(rewritten, [z, y, r], expr)
    assert "softplus" not in text(out) and "log1p(exp((-abs(z))))" in text(out), text(out)
    values = {z: EXTREMES, y: np.array([1.0, 0.0, 0.3, 1.0, 0.0, 1.0, 0.0]), r: np.arange(7.0)}
    same_values([expr], [out], values, rtol=1e-12, atol=1e-15)
    got = evaluate_all([out], values)[0]
    zs, ys = values[z], values[y]
    reference = values[r] * (ys * np.logaddexp(0, -zs) + (1 - ys) * np.logaddexp(0, zs))
    np.testing.assert_allclose(got, reference, rtol=1e-15)
    different = r * y * T.softplus(-z) + (1 - y) * T.softplus(z)
    assert text(stabilized(rewritten, [z, y, r], different)).count("softplus") == 2


def test_the_tutorials_crossentropy_is_exact_at_saturated_logits():
    """The seed program's cost at logits where p rounds to 0 or 1, compiled, to the last
    digit: ``log(1 + exp(-40))`` is 4.2e-18, not 0."""
    import symgraph as theano

    z, y = T.dvectors("z", "y")
    p = 1 / (1 + T.exp(-z))
    xent = -y * T.log(p) - (1 - y) * T.log(1 - p)
    f = theano.function([z, y], xent)
    assert "logaddexp" not in f.source and f.source.count("np.exp") == 1
    zs = np.array([-800.0, -40.0, -1.0, 0.0, 2.0, 40.0, 800.0] * 2)
    ys = np.repeat([0.0, 1.0], 7)
    want = ys * np.logaddexp(0, -zs) + (1 - ys) * np.logaddexp(0, zs)  # one term is 0
    np.testing.assert_allclose(f(zs, ys), want, rtol=1e-15, atol=1e-300)


def test_the_logistic_gradient_collapses(rewritten, same_values, text):
    z, y, r = T.dvectors("z", "y", "r")
    expr = r * (1 - y) * T.sigmoid(z) - r * y * T.sigmoid(-z)
    out = stabilized(rewritten, [z, y, r], expr)
    assert text(out) == "(r * (sigmoid(z) - y))"
    values = {z: EXTREMES[1:6], y: np.array([1.0, 0.0, 0.3, 1.0, 0.0]), r: np.arange(5.0)}
    same_values([expr], [out], values, rtol=1e-12, atol=1e-15)
    different = r * (1 - y) * T.sigmoid(z) - y * T.sigmoid(-z)
    assert "sigmoid((-z))" in text(stabilized(rewritten, [z, y, r], different))
