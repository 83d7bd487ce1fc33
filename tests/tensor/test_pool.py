"""pool_2d and its gradients against loops written from Theano's definition, for every mode,
border rule, window, stride and padding, on odd sizes; gradients against finite differences."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.gradient import verify_grad
from symgraph.tensor.signal import pool
from symgraph.tensor.signal.pool import DownsampleFactorMaxGradGrad, MaxPoolGrad

rng = np.random.default_rng(99)
TOLERANCE = {"abs_tol": 1e-7, "rel_tol": 1e-7}


def reference_pool(x, ws, ignore_border, stride, pad, mode):
    """One window at a time: Theano 1.0's ``Pool.perform``, restated."""
    stride = stride or ws
    starts = []
    for a in (0, 1):
        size = x.shape[a - 2] + 2 * pad[a]
        if ignore_border:
            count = (size - ws[a]) // stride[a] + 1
        elif stride[a] >= ws[a]:
            count = (size - 1) // stride[a] + 1
        else:
            count = max(0, (size - 1 - ws[a] + stride[a]) // stride[a]) + 1
        starts.append([k * stride[a] for k in range(count)])
    padded = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(p, p) for p in pad])
    out = np.empty(x.shape[:-2] + (len(starts[0]), len(starts[1])))
    for (r, r0), (c, c0) in itertools.product(enumerate(starts[0]), enumerate(starts[1])):
        r1, c1 = min(r0 + ws[0], padded.shape[-2]), min(c0 + ws[1], padded.shape[-1])
        if mode == "average_inc_pad":
            out[..., r, c] = padded[..., r0:r1, c0:c1].mean(axis=(-2, -1))
            continue
        r0, c0 = max(r0, pad[0]), max(c0, pad[1])  # the others leave the padding out
        r1, c1 = min(r1, padded.shape[-2] - pad[0]), min(c1, padded.shape[-1] - pad[1])
        window = padded[..., r0:r1, c0:c1]
        reduce = {"max": np.max, "sum": np.sum, "average_exc_pad": np.mean}[mode]
        out[..., r, c] = reduce(window, axis=(-2, -1))
    return out


X = rng.normal(size=(2, 3, 9, 7))
CONFIGURATIONS = [
    # ws, ignore_border, stride, pad
    ((2, 2), True, None, (0, 0)),
    ((2, 2), False, None, (0, 0)),
    ((3, 2), False, (2, 3), (0, 0)),
    ((3, 3), False, (1, 2), (0, 0)),  # overlapping windows past the border
    ((4, 5), False, (1, 1), (0, 0)),
    ((3, 2), True, (1, 1), (1, 1)),
    ((3, 3), True, (2, 1), (2, 0)),
    ((1, 1), False, (2, 3), (0, 0)),
]


@pytest.mark.parametrize("mode", pool.MODES)
@pytest.mark.parametrize("ws, ignore_border, stride, pad", CONFIGURATIONS, ids=str)
def test_pool_2d_matches_the_definition(mode, ws, ignore_border, stride, pad):
    x = T.dtensor4("x")
    y = pool.pool_2d(x, ws, ignore_border=ignore_border, stride=stride, pad=pad, mode=mode)
    expected = reference_pool(X, ws, ignore_border, stride, pad, mode)
    np.testing.assert_allclose(theano.function([x], y)(X), expected)
    static = T.TensorType("float64", X.shape)("static")
    pooled = pool.pool_2d(
        static, ws, ignore_border=ignore_border, stride=stride, pad=pad, mode=mode
    )
    assert pooled.type.shape == expected.shape


@pytest.mark.parametrize("mode", pool.MODES)
@pytest.mark.parametrize("ws, ignore_border, stride, pad", CONFIGURATIONS[:7], ids=str)
def test_pool_2d_gradients_match_finite_differences(mode, ws, ignore_border, stride, pad):
    x = rng.normal(size=(1, 1, 7, 6))  # distinct values: the maxima are unique
    settings = {"ignore_border": ignore_border, "stride": stride, "pad": pad, "mode": mode}
    verify_grad(lambda x: pool.pool_2d(x, ws, **settings), [x], rng=rng, **TOLERANCE)


@pytest.mark.parametrize("mode", pool.MODES)
def test_second_derivatives(mode):
    """The gradient ops are linear in the pooled gradient; their own gradients are pools."""
    x = rng.normal(size=(1, 1, 5, 4))
    settings = {"ws": (3, 2), "ignore_border": False, "stride": (2, 1), "mode": mode}

    def pooled_gradient(x):
        y = pool.pool_2d(x, **settings)
        return T.grad((y**2).sum(), x)

    verify_grad(pooled_gradient, [x], rng=rng, **TOLERANCE)
    if mode == "max":
        xv = T.dtensor4("xv")
        second = T.grad((pooled_gradient(xv) ** 2).sum(), xv)
        f = theano.function([xv], second)
        assert any(isinstance(n.op, DownsampleFactorMaxGradGrad) for n in f.graph.apply_nodes)


def test_max_gradient_goes_to_every_tied_maximum():
    x = T.dmatrix("x")
    data = np.array([[1.0, 3.0, 2.0], [3.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    y = pool.pool_2d(x, (2, 2), ignore_border=True, stride=(1, 1))
    g = T.grad(y.sum(), x).eval({x: data})
    np.testing.assert_array_equal(g, [[0, 2, 0], [2, 0, 1], [0, 0, 0]])
    same_size = pool.max_pool_2d_same_size(x, (2, 2)).eval({x: np.arange(16.0).reshape(4, 4)})
    np.testing.assert_array_equal(same_size[1::2, 1::2], [[5, 7], [13, 15]])
    assert same_size.sum() == 5 + 7 + 13 + 15


def test_any_number_of_leading_axes():
    for shape in [(9, 7), (3, 9, 7), (2, 1, 2, 9, 7)]:
        x = T.TensorType("float64", (None,) * len(shape))("x")
        data = rng.normal(size=shape)
        y = pool.pool_2d(x, (3, 2), ignore_border=False, mode="average_exc_pad")
        expected = reference_pool(data, (3, 2), False, None, (0, 0), "average_exc_pad")
        np.testing.assert_allclose(y.eval({x: data}), expected)
        g = T.grad((y * expected).sum(), x).eval({x: data})
        assert g.shape == shape


def test_generated_code_visits_window_offsets():
    x = T.dtensor4("x")
    y = pool.pool_2d(x, (2, 2), ignore_border=True)
    f = theano.function([x], [y, T.grad(y.sum(), x)])
    assert "sliding_window_view" in f.source and "np.maximum(" in f.source
    assert "np.pad" not in f.source  # whole windows: no copy of the input


def test_theano_arguments():
    x = T.dtensor4("x")
    with pytest.warns(UserWarning, match="ignore_border"):
        y = pool.pool_2d(x, (2, 2))
    np.testing.assert_allclose(
        y.eval({x: X}), reference_pool(X, (2, 2), False, None, (0, 0), "max")
    )
    with pytest.warns(UserWarning, match="'ds' parameter"):
        pool.pool_2d(x, ds=(2, 2), ignore_border=True)
    with pytest.warns(UserWarning, match="'st' parameter"):
        pool.pool_2d(x, (2, 2), ignore_border=True, st=(1, 1))
    with pytest.warns(UserWarning, match="'padding' parameter"):
        padded = pool.pool_2d(x, (2, 2), ignore_border=True, padding=(1, 1))
    assert padded.owner.op.pad == (1, 1)
    with pytest.raises(ValueError, match="both"):
        pool.pool_2d(x, (2, 2), ignore_border=True, ds=(2, 2))
    with pytest.raises(ValueError, match="window size"):
        pool.pool_2d(x, ignore_border=True)
    with pytest.raises(NotImplementedError, match="ignore_border=True"):
        pool.pool_2d(x, (2, 2), ignore_border=False, pad=(1, 1))
    with pytest.raises(NotImplementedError, match="smaller"):
        pool.pool_2d(x, (2, 2), ignore_border=True, pad=(2, 0))
    with pytest.raises(ValueError, match="mode"):
        pool.pool_2d(x, (2, 2), ignore_border=True, mode="min")
    with pytest.raises(TypeError, match="known when the graph is built"):
        pool.pool_2d(x, T.lvector("ws"), ignore_border=True)
    with pytest.raises(TypeError, match="float"):
        pool.pool_2d(T.itensor4("i"), (2, 2), ignore_border=True, mode="average_inc_pad")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counts = pool.pool_2d(T.itensor4("i"), (2, 2), ignore_border=True, mode="sum")
    assert counts.dtype == "int32"
    assert isinstance(T.grad(pool.pool_2d(x, (2, 2), True).sum(), x).owner.op, MaxPoolGrad)
