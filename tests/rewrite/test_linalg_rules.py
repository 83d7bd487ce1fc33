"""linalg rules: each fires where it should, declines where it must, and keeps the values."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.rewrite.rules.linalg import inv_product_as_solve
from symgraph.tensor.nlinalg import Det, MatrixInverse, SLogDet
from symgraph.tensor.slinalg import Solve

rng = np.random.default_rng(15)
SQUARE = rng.normal(size=(5, 5)) + 5 * np.eye(5)
B = rng.normal(size=(5, 3))
V = rng.normal(size=5)


def compiled_pair(inputs, outputs):
    """The same outputs compiled with every rewrite and with merging only."""
    fast = theano.function(inputs, outputs, mode="FAST_RUN")
    plain = theano.function(inputs, outputs, mode="FAST_COMPILE")
    return fast, plain


def fired(f) -> list[str]:
    return [firing.rule.name for firing in f.rewrites]


def op_classes(f) -> set[type]:
    return {type(node.op) for node in f.graph.apply_nodes}


def test_inverse_times_a_matrix_or_vector_becomes_a_solve():
    a, b, v = T.dmatrix("a"), T.dmatrix("b"), T.dvector("v")
    inv = T.nlinalg.matrix_inverse
    outputs = [T.dot(inv(a), b), inv(a) @ v, T.dot(v, inv(a)), T.dot(b.T, inv(a))]
    fast, plain = compiled_pair([a, b, v], outputs)
    assert fired(fast).count("inv_product_as_solve") == 4
    assert MatrixInverse not in op_classes(fast) and Solve in op_classes(fast)
    assert "np.linalg.solve(a, b)" in fast.source and "np.linalg.inv" not in fast.source
    for got, want in zip(fast(SQUARE, B, V), plain(SQUARE, B, V)):
        np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(fast(SQUARE, B, V)[0], np.linalg.solve(SQUARE, B))


def test_a_transposed_inverse_in_a_gradient_becomes_a_solve_too():
    """The gradient of ``x @ inv(a)`` multiplies by ``inv(a)^T``: no inversion remains."""
    a, x = T.dmatrix("a"), T.dmatrix("x")
    quadratic = T.sum(x * T.dot(x, T.linalg.inv(a)))
    fast, plain = compiled_pair([a, x], T.grad(quadratic, x))
    assert MatrixInverse in op_classes(plain) and MatrixInverse not in op_classes(fast)
    np.testing.assert_allclose(fast(SQUARE, B.T), plain(SQUARE, B.T), rtol=1e-10)


def test_inverse_product_keeps_the_static_type_or_declines():
    """With b's rows static but a's size not, solve would claim a shape dot does not: decline."""
    a, b = T.dmatrix("a"), T.tensor("b", dtype="float64", shape=(5, 3))
    product = T.dot(T.nlinalg.matrix_inverse(a), b)
    assert inv_product_as_solve.apply(product.owner) is None
    sized = T.tensor("s", dtype="float64", shape=(5, 5))
    assert isinstance(
        inv_product_as_solve.apply(T.dot(T.linalg.inv(sized), b).owner).owner.op, Solve
    )


def test_det_of_a_cholesky_factor_is_the_product_of_its_diagonal():
    a = T.dmatrix("a")
    spd = T.dot(a, a.T)
    fast, plain = compiled_pair([a], [T.nlinalg.det(T.slinalg.cholesky(spd))])
    assert "det_of_cholesky" in fired(fast) and Det not in op_classes(fast)
    np.testing.assert_allclose(fast(SQUARE), plain(SQUARE), rtol=1e-10)
    np.testing.assert_allclose(fast(SQUARE), np.sqrt(np.linalg.det(SQUARE @ SQUARE.T)))


def test_log_det_uses_slogdet_and_stays_finite_where_det_overflows():
    a = T.dmatrix("a")
    outputs = [T.log(T.nlinalg.det(a)), T.log(abs(T.nlinalg.det(a)))]
    fast, plain = compiled_pair([a], outputs)
    assert fired(fast).count("log_det_as_slogdet") == 2
    assert SLogDet in op_classes(fast) and Det not in op_classes(fast)
    np.testing.assert_allclose(fast(SQUARE), plain(SQUARE), rtol=1e-10)
    big = 10 * np.eye(400)  # det = 1e400 overflows float64
    with np.errstate(over="ignore"):
        assert np.isinf(plain(big)[0])
    np.testing.assert_allclose(fast(big), [400 * np.log(10)] * 2)
    negative = -np.eye(3)  # det = -1: log(det) is NaN, log|det| is 0
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(plain(negative), fast(negative))
    np.testing.assert_array_equal(fast(negative), [np.nan, 0.0])


def test_log_det_of_a_cholesky_factor_sums_logs_of_its_diagonal():
    """The usual log-determinant of a covariance: 2 log det L, finite for large matrices."""
    a = T.dmatrix("a")
    logdet = 2 * T.log(T.nlinalg.det(T.slinalg.cholesky(a)))
    fast, plain = compiled_pair([a], logdet)
    assert {"det_of_cholesky", "log_prod_of_cholesky_diagonal"} <= set(fired(fast))
    spd = SQUARE @ SQUARE.T
    np.testing.assert_allclose(fast(spd), np.linalg.slogdet(spd)[1], rtol=1e-10)
    np.testing.assert_allclose(fast(spd), plain(spd), rtol=1e-10)
    assert np.isfinite(fast(100 * np.eye(300)))


def test_gradients_through_rewritten_graphs_match():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    cost = T.sum(T.dot(T.linalg.inv(a), b) ** 2) + T.log(T.linalg.det(a))
    fast, plain = compiled_pair([a, b], T.grad(cost, [a, b]))
    for got, want in zip(fast(SQUARE, B), plain(SQUARE, B)):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize(
    "build",
    [
        lambda a, b: T.dot(T.linalg.inv(a), b),
        lambda a, b: T.log(T.linalg.det(a)) + T.log(abs(T.linalg.det(a))),
        lambda a, b: 2 * T.log(T.linalg.det(T.linalg.cholesky(T.dot(a, a.T)))),
    ],
    ids=["solve", "slogdet", "cholesky"],
)
def test_debug_mode_checks_each_firing(build):
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = theano.function([a, b], build(a, b), mode="DEBUG_MODE", on_unused_input="ignore")
    assert f.rewrites
    np.testing.assert_allclose(
        f(SQUARE, B), theano.function([a, b], build(a, b), on_unused_input="ignore")(SQUARE, B)
    )
