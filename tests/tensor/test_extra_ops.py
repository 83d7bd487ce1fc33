"""Sorting, cumulative ops, extra_ops and xlogx: Theano's names and NumPy's values and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.gradient import grad, verify_grad
from symgraph.tensor import extra_ops
from symgraph.tensor.xlogx import xlogx, xlogy0

rng = np.random.default_rng(2)
M = rng.normal(size=(3, 4))
LABELS = np.array([3, 0, 2, 2, 5])


def test_theano_names():
    for name in (
        "diff bincount searchsorted repeat squeeze to_one_hot unravel_index ravel_multi_index "
        "fill_diagonal unique cumsum cumprod"
    ).split():
        assert callable(getattr(extra_ops, name))
    for name in "sort argsort cumsum cumprod bincount squeeze fill_diagonal".split():
        assert callable(getattr(T, name))
    assert extra_ops.repeat is T.repeat


def test_sort_and_argsort_like_numpy():
    x = T.dmatrix("x")
    f = theano.function([x], [T.sort(x), T.sort(x, axis=0), T.argsort(x, axis=None)])
    for got, want in zip(f(M), [np.sort(M), np.sort(M, axis=0), np.argsort(M, axis=None)]):
        np.testing.assert_array_equal(got, want)
    assert "np.sort(x, axis=1)" in f.source
    axis = T.constant(0)  # Theano passes the axis as a (constant) tensor
    np.testing.assert_array_equal(T.sort(x, axis).eval({x: M}), np.sort(M, axis=0))


def test_sort_gradient_follows_each_element():
    x = T.dvector("x")
    weights = np.array([1.0, 10.0, 100.0])
    g = grad((T.sort(x) * weights).sum(), x).eval({x: [3.0, 1.0, 2.0]})
    np.testing.assert_array_equal(g, [100.0, 1.0, 10.0])


def test_cumulative_ops():
    x = T.dmatrix("x")
    given = {x: M}
    np.testing.assert_allclose(T.cumsum(x).eval(given), np.cumsum(M))
    np.testing.assert_allclose(T.cumprod(x, axis=0).eval(given), np.cumprod(M, axis=0))
    np.testing.assert_allclose(extra_ops.cumsum(x, -1).eval(given), np.cumsum(M, axis=-1))
    assert T.cumsum(T.bvector()).dtype == "int64"  # NumPy widens small integers


@pytest.mark.parametrize("n, axis", [(1, -1), (2, 1), (1, 0)])
def test_diff(n, axis):
    x = T.dmatrix("x")
    np.testing.assert_allclose(extra_ops.diff(x, n, axis).eval({x: M}), np.diff(M, n, axis))
    verify_grad(lambda m: extra_ops.diff(m, n, axis), [M])


def test_bincount_and_its_weights():
    i, w = T.lvector("i"), T.dvector("w")
    weights = rng.normal(size=5)
    np.testing.assert_array_equal(T.bincount(i).eval({i: LABELS}), np.bincount(LABELS))
    np.testing.assert_allclose(
        T.bincount(i, w, minlength=8).eval({i: LABELS, w: weights}),
        np.bincount(LABELS, weights, 8),
    )
    with pytest.raises(ValueError):
        theano.function([i], T.bincount(i, assert_nonneg=True))(np.array([1, -1]))
    with pytest.raises(TypeError, match="integers"):
        T.bincount(w)


def test_searchsorted():
    x, v = T.dvector("x"), T.dmatrix("v")
    data = np.sort(rng.normal(size=6))
    for side in ("left", "right"):
        np.testing.assert_array_equal(
            extra_ops.searchsorted(x, v, side=side).eval({x: data, v: M}),
            np.searchsorted(data, M, side=side),
        )
    np.testing.assert_array_equal(extra_ops.searchsorted([1, 2, 3, 4, 5], 3).eval(), 2)


def test_squeeze():
    x = T.tensor("x", dtype="float64", shape=(1, None, 1))
    value = np.ones((1, 3, 1))
    assert extra_ops.squeeze(x).type.shape == (None,)
    assert extra_ops.squeeze(x, axis=2).type.shape == (1, None)
    y = T.dtensor3("y")  # an axis not known to be 1: a reshape checked at run time
    assert extra_ops.squeeze(y, axis=0).eval({y: value}).shape == (3, 1)
    with pytest.raises(ValueError):
        extra_ops.squeeze(y, axis=1).eval({y: value})
    verify_grad(lambda m: extra_ops.squeeze(m.dimshuffle("x", 0, 1)), [M])


def test_to_one_hot():
    y = T.lvector("y")
    np.testing.assert_array_equal(extra_ops.to_one_hot(y, 6).eval({y: LABELS}), np.eye(6)[LABELS])
    assert extra_ops.to_one_hot(y, 6, dtype="int8").dtype == "int8"


def test_unravel_and_ravel_indices():
    flat = T.lvector("flat")
    rows, cols = extra_ops.unravel_index(flat, (3, 4))
    given = {flat: np.array([0, 5, 11])}
    np.testing.assert_array_equal(rows.eval(given), [0, 1, 2])
    np.testing.assert_array_equal(cols.eval(given), [0, 1, 3])
    back = extra_ops.ravel_multi_index((rows, cols), (3, 4))
    np.testing.assert_array_equal(back.eval(given), given[flat])
    (only,) = extra_ops.unravel_index(flat, [12])
    np.testing.assert_array_equal(only.eval(given), given[flat])
    with pytest.raises(TypeError, match="ndim"):
        extra_ops.unravel_index(flat, T.lvector("dims"))


def test_fill_diagonal():
    a, val = T.dmatrix("a"), T.dscalar("val")
    tall = rng.normal(size=(5, 3))
    want = tall.copy()
    np.fill_diagonal(want, 7.0)
    np.testing.assert_allclose(extra_ops.fill_diagonal(a, val).eval({a: tall, val: 7.0}), want)
    cube = T.dtensor3("cube")
    value = rng.normal(size=(3, 3, 3))
    want = value.copy()
    np.fill_diagonal(want, 0.5)
    np.testing.assert_allclose(extra_ops.fill_diagonal(cube, 0.5).eval({cube: value}), want)
    verify_grad(extra_ops.fill_diagonal, [tall, np.array(2.0)])


@pytest.mark.parametrize("offset", [-2, 0, 1, 3])
def test_fill_diagonal_offset(offset):
    a, val, k = T.dmatrix("a"), T.dscalar("val"), T.lscalar("k")
    want = M.copy()
    rows = np.arange(M.shape[0])
    keep = (rows + offset >= 0) & (rows + offset < M.shape[1])
    want[rows[keep], rows[keep] + offset] = 5.0
    got = extra_ops.fill_diagonal_offset(a, val, k).eval({a: M, val: 5.0, k: offset})
    np.testing.assert_allclose(got, want)
    verify_grad(lambda m, v: extra_ops.fill_diagonal_offset(m, v, offset), [M, np.array(1.0)])


def test_unique_outputs():
    x = T.lvector("x")
    values, index, inverse, counts = extra_ops.unique(x, True, True, True)
    f = theano.function([x], [values, index, inverse, counts])
    for got, want in zip(f(LABELS), np.unique(LABELS, True, True, True)):
        np.testing.assert_array_equal(got, want)
    m = T.dmatrix("m")
    rows = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]])
    np.testing.assert_array_equal(
        extra_ops.unique(m, axis=0).eval({m: rows}), np.unique(rows, axis=0)
    )


def test_xlogx_is_zero_at_zero_with_gradients():
    x, y = T.dvector("x"), T.dvector("y")
    zeros = {x: np.array([0.0, 0.5, 2.0]), y: np.array([0.0, 0.0, 3.0])}
    np.testing.assert_allclose(xlogx(x).eval(zeros), [0.0, 0.5 * np.log(0.5), 2 * np.log(2)])
    np.testing.assert_allclose(xlogy0(x, y).eval(zeros), [0.0, -np.inf, 2 * np.log(3)])
    f = theano.function([x, y], xlogy0(x, y) + xlogx(x))
    assert "special.xlogy(x, y)" in f.source
    verify_grad(xlogx, [np.array([0.3, 1.0, 2.5])])
    verify_grad(xlogy0, [np.array([-1.0, 0.3, 2.0]), np.array([0.5, 1.0, 4.0])])
    gx, gy = grad(xlogy0(x, y).sum(), [x, y])
    values = {x: np.array([0.0]), y: np.array([2.0])}
    np.testing.assert_allclose([gx.eval(values), gy.eval(values)], [[np.log(2)], [0.0]])


def test_xlogy_without_scipy_matches_scipy():
    from scipy.special import xlogy

    from symgraph.tensor import special_functions

    a = np.array([0.0, 0.0, 1.5, -2.0])
    b = np.array([0.0, 3.0, 2.0, 0.5])
    np.testing.assert_allclose(special_functions.xlogy(a, b), xlogy(a, b))
