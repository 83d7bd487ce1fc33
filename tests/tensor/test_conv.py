"""conv2d and its gradients against SciPy's 2-d convolution, for every border mode, stride,
dilation and flip, on odd sizes; gradients against finite differences."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from scipy import signal

import symgraph as theano
import symgraph.tensor as T
from symgraph.gradient import Rop, verify_grad
from symgraph.graph.traversal import toposort
from symgraph.tensor.nnet import abstract_conv, conv
from symgraph.tensor.nnet.abstract_conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights

rng = np.random.default_rng(1234)
TOLERANCE = {"abs_tol": 1e-7, "rel_tol": 1e-7}


def reference_conv2d(x, w, border_mode="valid", subsample=(1, 1), flip=True, dilation=(1, 1)):
    """Theano's definition, written with SciPy: dilate, pad, convolve each pair, subsample."""
    taps = w.shape[2:]
    dilated = np.zeros(w.shape[:2] + tuple((k - 1) * d + 1 for k, d in zip(taps, dilation)))
    dilated[:, :, :: dilation[0], :: dilation[1]] = w
    extent = dilated.shape[2:]
    if border_mode == "valid":
        pads = [(0, 0), (0, 0)]
    elif border_mode == "full":
        pads = [(e - 1, e - 1) for e in extent]
    elif border_mode == "half":
        pads = [(e // 2, e // 2) for e in extent]
    elif isinstance(border_mode, int):
        pads = [(border_mode, border_mode)] * 2
    else:
        pads = [p if isinstance(p, tuple) else (p, p) for p in border_mode]
    padded = np.pad(x, [(0, 0), (0, 0), *pads])
    combine = signal.convolve2d if flip else signal.correlate2d
    out = np.array(
        [
            [
                sum(combine(image[c], kernel[c], mode="valid") for c in range(x.shape[1]))
                for kernel in dilated
            ]
            for image in padded
        ]
    )
    return out[:, :, :: subsample[0], :: subsample[1]]


BORDER_MODES = ["valid", "full", "half", 1, (2, 1), ((1, 0), (0, 2))]
X = rng.normal(size=(2, 3, 9, 7))
W = rng.normal(size=(4, 3, 3, 2))


@pytest.mark.parametrize("border_mode", BORDER_MODES, ids=str)
def test_conv2d_matches_scipy(border_mode):
    x, w = T.dtensor4("x"), T.dtensor4("w")
    xs = T.TensorType("float64", X.shape)("xs")  # static shapes: the output's is known, and right
    for subsample, dilation, flip in itertools.product(
        [(1, 1), (2, 3)], [(1, 1), (2, 3)], [True, False]
    ):
        settings = {"border_mode": border_mode, "subsample": subsample}
        settings |= {"filter_flip": flip, "filter_dilation": dilation}
        expected = reference_conv2d(X, W, border_mode, subsample, flip, dilation)
        y = T.nnet.conv2d(x, w, **settings)
        np.testing.assert_allclose(theano.function([x, w], y)(X, W), expected, atol=1e-12)
        assert T.nnet.conv2d(xs, w, filter_shape=W.shape, **settings).type.shape == expected.shape
    fast_compile = theano.function([x, w], y, mode="FAST_COMPILE")
    np.testing.assert_allclose(fast_compile(X, W), expected, atol=1e-12)


@pytest.mark.parametrize("border_mode", BORDER_MODES, ids=str)
@pytest.mark.parametrize("subsample, dilation", [((1, 1), (1, 1)), ((2, 3), (2, 1))], ids=str)
def test_gradients_are_the_adjoints_of_the_convolution(border_mode, subsample, dilation):
    """<conv(x, w), g> = <x, grad_wrt_inputs(g, w)> = <w, grad_wrt_weights(x, g)>."""
    settings = {"border_mode": border_mode, "subsample": subsample, "filter_dilation": dilation}
    out = reference_conv2d(X, W, border_mode, subsample, True, dilation)
    G = rng.normal(size=out.shape)
    g, x, w = T.dtensor4("g"), T.dtensor4("x"), T.dtensor4("w")
    gx = abstract_conv.conv2d_grad_wrt_inputs(g, w, (None, None, *X.shape[2:]), **settings)
    gw = abstract_conv.conv2d_grad_wrt_weights(x, g, (None, None, *W.shape[2:]), **settings)
    GX, GW = theano.function([g, x, w], [gx, gw])(G, X, W)
    assert GX.shape == X.shape and GW.shape == W.shape
    np.testing.assert_allclose((out * G).sum(), (X * GX).sum())
    np.testing.assert_allclose((out * G).sum(), (W * GW).sum())


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"border_mode": "full", "filter_flip": False},
        {"border_mode": "half", "subsample": (2, 2)},
        {"border_mode": ((1, 0), 2), "filter_dilation": (2, 1)},
        {"border_mode": 1, "subsample": (3, 2), "filter_dilation": (1, 2), "filter_flip": False},
    ],
    ids=str,
)
def test_conv2d_gradients_match_finite_differences(settings):
    x, w = rng.normal(size=(1, 2, 5, 4)), rng.normal(size=(2, 2, 3, 2))
    verify_grad(lambda x, w: T.nnet.conv2d(x, w, **settings), [x, w], rng=rng, **TOLERANCE)


@pytest.mark.parametrize(
    "settings", [{"border_mode": "half", "subsample": (2, 1)}, {"filter_flip": False}], ids=str
)
def test_second_derivatives_are_convolutions_too(settings):
    x, w = rng.normal(size=(1, 1, 5, 4)), rng.normal(size=(2, 1, 3, 2))

    def gradients(x, w):
        y = T.nnet.conv2d(x, w, **settings)
        gx, gw = T.grad((y**2).sum(), [x, w])
        return (gx**2).sum() + (gw**2).sum()

    verify_grad(gradients, [x, w], rng=rng, abs_tol=1e-6, rel_tol=1e-6)
    xv, wv = T.dtensor4("x"), T.dtensor4("w")
    second = T.grad(gradients(xv, wv), [xv, wv])
    ops = {type(node.op) for node in toposort(second)}
    assert {Conv2d, Conv2dGradInputs, Conv2dGradWeights} <= ops


def test_the_gradient_of_a_convolution_is_convolutions():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    gx, gw = T.grad(T.nnet.conv2d(x, w, border_mode="half").sum(), [x, w])
    assert isinstance(gx.owner.op, Conv2dGradInputs) and isinstance(gw.owner.op, Conv2dGradWeights)
    f = theano.function([x, w], [gx, gw])
    # the forward convolution (for the shape of its output) and the two gradients:
    # one BLAS product each, over strided views of the arrays
    convolutions = [n for n in f.graph.apply_nodes if isinstance(n.op, abstract_conv.ConvSettings)]
    assert len(convolutions) == 3
    assert f.source.count("np.tensordot(") + f.source.count(" @ ") == 3
    assert "sliding_window_view" in f.source


def test_rop_is_the_sum_of_two_convolutions():
    x, w, tx, tw = (T.dtensor4(n) for n in ("x", "w", "tx", "tw"))
    y = T.nnet.conv2d(x, w, border_mode="full")
    TX, TW = rng.normal(size=X.shape), rng.normal(size=W.shape)
    got = Rop(y, [x, w], [tx, tw]).eval({x: X, w: W, tx: TX, tw: TW})
    expected = reference_conv2d(TX, W, "full") + reference_conv2d(X, TW, "full")
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_float32_stays_float32():
    x, w = T.ftensor4("x"), T.ftensor4("w")
    y = T.nnet.conv2d(x, w, border_mode="half")
    gx, gw = T.grad(y.sum(), [x, w])
    f = theano.function([x, w], [y, gx, gw])
    results = f(X.astype("float32"), W.astype("float32"))
    assert [r.dtype for r in results] == ["float32"] * 3
    np.testing.assert_allclose(results[0], reference_conv2d(X, W, "half"), rtol=1e-4, atol=1e-4)


def test_given_shapes_are_checked_against_static_shapes_and_at_run_time():
    x = T.TensorType("float64", (2, 3, 9, 7))("x")
    w = theano.shared(W, name="w")
    with pytest.raises(TypeError, match=r"input has static shape \(2, 3, 9, 7\)"):
        T.nnet.conv2d(x, w, input_shape=(2, 3, 9, 8))
    with pytest.raises(TypeError, match="channels"):
        T.nnet.conv2d(x, w, filter_shape=(4, 2, 3, 2))
    with pytest.raises(TypeError, match="do not fit"):
        T.nnet.conv2d(x, w, filter_shape=(4, 3, 10, 2))
    y = T.nnet.conv2d(x, w, input_shape=X.shape, filter_shape=W.shape)
    assert y.type.shape == (2, 4, 7, 6)
    f = theano.function([x], y)
    np.testing.assert_allclose(f(X), reference_conv2d(X, W))
    w.set_value(rng.normal(size=(4, 3, 2, 2)))  # breaks the promise made by filter_shape
    with pytest.raises(ValueError, match="the value has shape"):
        f(X)


def test_bad_arguments_get_clear_errors():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    with pytest.raises(ValueError, match="border_mode"):
        T.nnet.conv2d(x, w, border_mode="same")
    with pytest.raises(ValueError, match="border_mode"):
        T.nnet.conv2d(x, w, border_mode=(1, -1))
    with pytest.raises(ValueError, match="subsample"):
        T.nnet.conv2d(x, w, subsample=(0, 1))
    with pytest.raises(TypeError, match="4-d"):
        T.nnet.conv2d(T.dmatrix("m"), w)
    with pytest.raises(NotImplementedError, match="grouped"):
        T.nnet.conv2d(x, w, num_groups=2)


def test_theano_spellings():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    expected = reference_conv2d(X, W, "full")
    with pytest.warns(UserWarning, match="image_shape"):
        y = T.nnet.conv2d(x, w, image_shape=X.shape, border_mode="full")
    np.testing.assert_allclose(y.eval({x: X, w: W}), expected)
    with pytest.warns(UserWarning, match="deprecated"):
        old = conv.conv2d(x, w, image_shape=X.shape, filter_shape=W.shape, border_mode="full")
    np.testing.assert_allclose(old.eval({x: X, w: W}), expected)
    with pytest.warns(UserWarning, match="ignored"):
        T.nnet.conv2d(x, w, unroll_batch=4)
    # the transposed convolution maps the output's shape back to the input's
    g = T.dtensor4("g")
    up = T.nnet.conv2d_transpose(g, w, output_shape=X.shape, border_mode="full")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert up.eval({g: expected, w: W}).shape == X.shape
    assert "conv2d_grad_wrt_inputs" in T.nnet.__all__
