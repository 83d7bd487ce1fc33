"""Batch normalization against NumPy, in both parameter layouts; gradients against finite
differences; running averages as Theano 1.0 computes them."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.gradient import verify_grad
from symgraph.tensor.nnet import bn

rng = np.random.default_rng(7)
X = rng.normal(size=(5, 3, 4, 2))


@pytest.mark.parametrize(
    "axes, reduced", [("per-activation", (0,)), ("spatial", (0, 2, 3)), ((0, 3), (0, 3))], ids=str
)
@pytest.mark.parametrize("full_layout", [True, False], ids=["keepdims", "reduced"])
def test_batch_normalization_train_and_test(axes, reduced, full_layout):
    kept = tuple(a for a in range(4) if a not in reduced)
    shape = tuple(1 if a in reduced else X.shape[a] for a in range(4))
    param_shape = shape if full_layout else tuple(X.shape[a] for a in kept)
    G, B = rng.normal(size=param_shape), rng.normal(size=param_shape)
    RM, RV = rng.normal(size=param_shape), rng.uniform(1, 2, size=param_shape)
    x = T.dtensor4("x")
    gamma, beta, rm, rv = (T.TensorType("float64", (None,) * len(param_shape))() for _ in range(4))
    outputs = bn.batch_normalization_train(
        x,
        gamma,
        beta,
        axes,
        epsilon=1e-3,
        running_average_factor=0.3,
        running_mean=rm,
        running_var=rv,
    )
    out, mean, invstd, new_rm, new_rv = theano.function([x, gamma, beta, rm, rv], outputs)(
        X, G, B, RM, RV
    )

    def layout(p):  # the parameters broadcast against the inputs
        return p.reshape(shape)

    m = X.mean(axis=reduced, keepdims=True)
    v = X.var(axis=reduced, keepdims=True)
    count = np.prod([X.shape[a] for a in reduced])
    np.testing.assert_allclose(out, (X - m) / np.sqrt(v + 1e-3) * layout(G) + layout(B))
    np.testing.assert_allclose(layout(mean), m)
    np.testing.assert_allclose(layout(invstd), 1 / np.sqrt(v + 1e-3))
    assert mean.shape == param_shape and new_rv.shape == param_shape
    np.testing.assert_allclose(layout(new_rm), layout(RM) * 0.7 + m * 0.3)
    np.testing.assert_allclose(layout(new_rv), layout(RV) * 0.7 + v * count / (count - 1) * 0.3)

    test_out = bn.batch_normalization_test(x, gamma, beta, rm, rv, axes, epsilon=1e-3)
    expected = (X - layout(RM)) * layout(G) / np.sqrt(layout(RV) + 1e-3) + layout(B)
    np.testing.assert_allclose(test_out.eval({x: X, gamma: G, beta: B, rm: RM, rv: RV}), expected)


def test_gradients_of_every_input():
    x, g, b = rng.normal(size=(4, 3, 2, 2)), rng.uniform(0.5, 2, size=3), rng.normal(size=3)
    mean, var = rng.normal(size=3), rng.uniform(1, 2, size=3)

    def train(x, g, b):
        out, mean, invstd = bn.batch_normalization_train(x, g, b, "spatial")
        return out * np.arange(48.0).reshape(4, 3, 2, 2) + mean.sum() + invstd.sum()

    verify_grad(train, [x, g, b], rng=rng, abs_tol=1e-7, rel_tol=1e-6)
    verify_grad(
        lambda x, g, b, m, v: bn.batch_normalization_test(x, g, b, m, v, "spatial"),
        [x, g, b, mean, var],
        rng=rng,
    )
    verify_grad(
        lambda x, g, b, m, s: bn.batch_normalization(x, g, b, m, s),
        [x, x + 1, x - 1, x * 2, x**2 + 1],
        rng=rng,
    )


def test_float32_and_static_sizes():
    x = T.TensorType("float32", (8, 3))("x")
    gamma, beta = T.fvector("gamma"), T.fvector("beta")
    rm, rv = T.fvector("rm"), T.fvector("rv")
    outputs = bn.batch_normalization_train(x, gamma, beta, running_mean=rm, running_var=rv)
    assert all(o.dtype == "float32" for o in outputs)
    data = rng.normal(size=(8, 3)).astype("float32")
    ones, zeros = np.ones(3, "float32"), np.zeros(3, "float32")
    new_rv = outputs[4].eval({x: data, gamma: ones, beta: zeros, rm: zeros, rv: zeros})
    np.testing.assert_allclose(new_rv, 0.1 * data.var(axis=0, ddof=1), rtol=1e-5)


def test_errors():
    x, v = T.dmatrix("x"), T.dvector("v")
    with pytest.raises(ValueError, match="epsilon"):
        bn.batch_normalization_train(x, v, v, epsilon=1e-6)
    with pytest.raises(ValueError, match="both"):
        bn.batch_normalization_train(x, v, v, running_mean=v)
    with pytest.raises(ValueError, match="dimension"):
        bn.batch_normalization_train(x, T.dtensor3(), v)
    with pytest.raises(ValueError, match="axes"):
        bn.batch_normalization_test(x, v, v, v, v, axes=(2,))
    with pytest.raises(ValueError, match="mode"):
        bn.batch_normalization(x, v, v, v, v, mode="fast")
    assert T.nnet.batch_normalization is bn.batch_normalization
