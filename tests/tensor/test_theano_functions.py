"""Theano's smaller tensor and nnet functions against NumPy, and the static-shape declarations."""

from __future__ import annotations

import math

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.gradient import verify_grad

rng = np.random.default_rng(3)
X = rng.normal(size=(3, 4))
x, y = T.dmatrices("x", "y")
m = T.imatrix("m")
M = np.array([[0, 2, 0, 1], [3, 0, 0, 4]], dtype="int32")


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda: T.shape_padleft(x, 2), X[None, None]),
        (lambda: T.shape_padright(x), X[..., None]),
        (lambda: T.shape_padaxis(x, 1), X[:, None]),
        (lambda: T.shape_padaxis(x, -1), X[:, :, None]),
        (lambda: T.swapaxes(x, 0, 1), X.T),
        (lambda: T.roll(x, 1, 1), np.roll(X, 1, 1)),
        (lambda: T.roll(x, -5), np.roll(X, -5)),
        (lambda: T.roll(x, 7, 0), np.roll(X, 7, 0)),
        (lambda: T.ptp(x, 0), np.ptp(X, 0)),
        (lambda: T.inv(x), 1 / X),
        (lambda: T.iround(x * 3), np.rint(X * 3).astype("int64")),
        (lambda: T.trunc(x * 3), np.trunc(X * 3)),
        (lambda: T.ceil_intdiv(m, 3), -(-M // 3)),
        (lambda: T.floor_div(m, 3), M // 3),
        (lambda: T.deg2rad(x), np.deg2rad(X)),
        (lambda: T.rad2deg(x), np.rad2deg(X)),
        (lambda: T.largest(x, 0.0, -x), np.maximum(np.maximum(X, 0), -X)),
        (lambda: T.smallest(x, 0.0), np.minimum(X, 0)),
        (lambda: T.max_and_argmax(x, 1)[1], X.argmax(1)),
        (lambda: T.identity_like(x), np.eye(3, 4)),
        (lambda: T.tri(3, 4, 1), np.tri(3, 4, 1)),
        (lambda: T.tril(x, -1), np.tril(X, -1)),
        (lambda: T.triu(x, 1), np.triu(X, 1)),
        (lambda: T.flatnonzero(m), np.flatnonzero(M)),
        (lambda: T.nonzero(m, return_matrix=True), np.array(np.nonzero(M))),
        (lambda: T.nonzero_values(m), M[M != 0]),
        (lambda: T.join(1, x, y), np.concatenate([X, X + 1], 1)),
        (lambda: T.horizontal_stack(x, y), np.hstack([X, X + 1])),
        (lambda: T.vertical_stack(x, y), np.vstack([X, X + 1])),
        (
            lambda: T.stacklists([[x[0, 0], x[0, 1]], [x[1, 0], 2.0]]),
            [[X[0, 0], X[0, 1]], [X[1, 0], 2]],
        ),
        (lambda: T.split(x, [1, 3], 2, axis=1)[1], X[:, 1:]),
        (lambda: T.second(x, 2.0), np.full((3, 4), 2.0)),
        (lambda: T.bitwise_xor(m, 1), M ^ 1),
        (lambda: T.abs_(x), np.abs(X)),
        (lambda: T.mgrid[0:2, 1:4][1], np.mgrid[0:2, 1:4][1]),
        (lambda: T.ogrid[0:3:2, 0:2][0], np.ogrid[0:3:2, 0:2][0]),
    ],
)
def test_theano_functions_match_numpy(build, expected):
    out = build()
    got = out.eval({v: val for v, val in ((x, X), (y, X + 1), (m, M)) if v in _roots(out)})
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def _roots(out):
    return set(theano.gof.graph.inputs([out]))


def test_isclose_and_allclose_follow_numpy_with_infinities_and_nans():
    a = np.array([1.0, np.inf, -np.inf, np.nan, 1e-9, np.inf])
    b = np.array([1.0 + 1e-7, np.inf, np.inf, np.nan, 0.0, 1.0])
    u, v = T.dvectors("u", "v")
    for equal_nan in (False, True):
        close = T.isclose(u, v, equal_nan=equal_nan).eval({u: a, v: b})
        np.testing.assert_array_equal(close, np.isclose(a, b, equal_nan=equal_nan))
    assert bool(T.allclose(u, v).eval({u: a[:2], v: b[:2]}))


def test_scalar_constants_and_vector_lengths():
    n = T.constant(3) * 2 + T.shape(T.tensor("t", shape=(5,)))[0]
    assert T.get_scalar_constant_value(n) == 11
    with pytest.raises(T.NotScalarConstantError):
        T.get_scalar_constant_value(x.sum())
    assert T.get_vector_length(T.constant([1, 2, 3])) == 3
    with pytest.raises(ValueError, match="not known"):
        T.get_vector_length(T.dvector())


def test_declared_shapes_are_checked_when_the_function_runs():
    row = T.addbroadcast(x[:1], 0)
    assert row.broadcastable == (True, False) and T.unbroadcast(row, 0).broadcastable == (
        False,
        False,
    )
    assert T.patternbroadcast(x, (False, True)).type.shape == (None, 1)
    assert T.addbroadcast(row, 0) is row  # nothing to declare: no node
    f = theano.function([x], T.specify_shape(x, (3, None)).sum())
    assert float(f(X)) == pytest.approx(X.sum())
    with pytest.raises(
        ValueError, match=r"specify_shape\{\(3, \?\)\}: the value has shape \(2, 4\)"
    ):
        f(X[:2])
    with pytest.raises(TypeError, match="static size 1, not 3"):
        T.specify_shape(row, (3, 4))
    bias = T.addbroadcast(
        T.dmatrix("b"), 0
    )  # a bias declared broadcastable: its gradient is summed
    (g,) = theano.grad((x + bias).sum(), [bias.owner.inputs[0]])
    np.testing.assert_array_equal(
        g.eval({x: X, bias.owner.inputs[0]: np.zeros((1, 4))}), [[3.0] * 4]
    )


@pytest.mark.parametrize(
    "name, reference",
    [
        ("hard_sigmoid", lambda v: np.clip(0.2 * v + 0.5, 0, 1)),
        ("softsign", lambda v: v / (1 + np.abs(v))),
        ("elu", lambda v: np.where(v > 0, v, np.expm1(v))),
        (
            "selu",
            lambda v: 1.0507009873554805 * np.where(v > 0, v, 1.6732632423543772 * np.expm1(v)),
        ),
        ("ultra_fast_sigmoid", lambda v: 1 / (1 + np.exp(-v))),
        ("softmax_graph", lambda v: np.exp(v) / np.exp(v).sum(-1, keepdims=True)),
    ],
)
def test_nnet_activations(name, reference):
    values = np.linspace(-6, 6, 25).reshape(5, 5)
    tolerance = 0.03 if name == "ultra_fast_sigmoid" else 1e-12
    got = getattr(T.nnet, name)(x).eval({x: values})
    np.testing.assert_allclose(got, reference(values), atol=tolerance)
    if name != "hard_sigmoid":
        verify_grad(
            getattr(T.nnet, name), [rng.uniform(0.2, 2, (2, 3)) * rng.choice([-1, 1], (2, 3))]
        )


def test_sigmoid_crossentropies():
    out, target = np.array([-800.0, -1.0, 0.5, 800.0]), np.array([1.0, 0.0, 1.0, 0.0])
    u, v = T.dvectors("u", "v")
    loss = T.nnet.sigmoid_binary_crossentropy(u, v).eval({u: out, v: target})
    p = 1 / (1 + np.exp(-out[1:3]))
    np.testing.assert_allclose(loss, [800.0, -math.log(1 - p[0]), -math.log(p[1]), 800.0])
    labels = T.ivector("labels")
    probabilities = np.array([[0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_allclose(
        T.nnet.crossentropy_categorical_1hot(x, labels).eval({x: probabilities, labels: [1, 0]}),
        -np.log([0.8, 0.6]),
    )


def test_theano_tensor_names_and_constructors():
    assert T.tensor7("t").ndim == 7 and len(T.dtensor6s("a", "b")) == 2
    assert T.bitwise_and is T.and_ and T.as_tensor is T.as_tensor_variable
    assert isinstance(x, T._tensor_py_operators)
    for name in ("Rop", "Lop", "jacobian", "hessian", "verify_grad", "numeric_grad"):
        assert getattr(T, name) is getattr(theano.gradient, name)
    a, b, c = T.dscalars("abc")  # Theano: one variable per letter
    assert [a.name, b.name, c.name] == ["a", "b", "c"]
