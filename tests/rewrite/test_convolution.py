"""convolution: conv2d and its filter gradient become products with one shared Im2Col node."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.tensor.nnet.abstract_conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights, Im2Col

rng = np.random.default_rng(3)
X = rng.normal(size=(2, 3, 9, 8))
W = rng.normal(size=(4, 3, 3, 2))


def ops_of(f) -> list[type]:
    return [type(node.op) for node in f.graph.apply_nodes]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"border_mode": "half", "subsample": (2, 3)},
        {"border_mode": ((1, 0), 2), "filter_dilation": (2, 1), "filter_flip": False},
        {"border_mode": "full", "subsample": (3, 1), "filter_dilation": (1, 2)},
    ],
    ids=str,
)
@pytest.mark.parametrize("static_input", [True, False], ids=["static", "symbolic"])
def test_forward_and_filter_gradient_share_one_im2col(settings, static_input):
    x = T.TensorType("float64", X.shape if static_input else (None,) * 4)("x")
    w = theano.shared(W, name="w")
    y = T.nnet.conv2d(x, w, filter_shape=W.shape, **settings)
    cost = (y**2).sum()
    outputs = [y, *T.grad(cost, [x, w])]
    fast = theano.function([x], outputs)
    assert ops_of(fast).count(Im2Col) == 1
    assert Conv2d not in ops_of(fast) and Conv2dGradWeights not in ops_of(fast)
    assert Conv2dGradInputs in ops_of(fast)  # the input's gradient scatters: nothing to share
    for got, want in zip(fast(X), theano.function([x], outputs, mode="FAST_COMPILE")(X)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_filters_of_unknown_size_keep_the_convolution_ops():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    f = theano.function([x, w], T.grad(T.nnet.conv2d(x, w).sum(), w))
    assert Conv2dGradWeights in ops_of(f) and Im2Col not in ops_of(f)


def test_debug_mode_checks_the_rewrites():
    x = T.TensorType("float64", X.shape)("x")
    w = T.TensorType("float64", W.shape)("w")
    y = T.nnet.conv2d(x, w, border_mode="half")
    f = theano.function([x, w], [y, T.grad(y.sum(), w)], mode="DEBUG_MODE")
    expected = theano.function([x, w], [y, T.grad(y.sum(), w)], mode="FAST_COMPILE")(X, W)
    for got, want in zip(f(X, W), expected):
        np.testing.assert_allclose(got, want, atol=1e-12)
