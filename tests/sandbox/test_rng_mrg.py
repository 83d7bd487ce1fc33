"""``MRG_RandomStreams``: Theano's MRG signatures over NumPy generators, with their statistics."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.sandbox.rng_mrg import MRG_RandomStreams

N = 20000


def test_uniform_and_normal_take_size_first_and_broadcast_tensors():
    srng = MRG_RandomStreams(seed=1)
    x = T.dmatrix("x")
    u = srng.uniform(size=x.shape, low=-2.0, high=2.0)
    z = srng.normal((N, 2), avg=T.dvector("mu"), std=[1.0, 3.0], dtype="float32")
    f = theano.function([x, z.owner.inputs[-2]], [u, z])
    uv, zv = f(np.zeros((N, 1)), [0.0, 10.0])
    assert uv.shape == (N, 1) and uv.min() >= -2 and uv.max() < 2 and abs(uv.mean()) < 0.05
    assert zv.dtype == np.float32
    np.testing.assert_allclose(zv.mean(axis=0), [0.0, 10.0], atol=0.06)
    np.testing.assert_allclose(zv.std(axis=0), [1.0, 3.0], rtol=0.03)
    assert not np.allclose(f(np.zeros((3, 1)), [0, 0])[0], f(np.zeros((3, 1)), [0, 0])[0])


def test_binomial_masks_and_counts():
    srng = MRG_RandomStreams(seed=2)
    p = np.array([0.2, 0.8])
    mask = theano.function([], srng.binomial(size=(N, 2), p=p, dtype="float32"))()
    assert mask.dtype == np.float32 and set(np.unique(mask)) == {0.0, 1.0}
    np.testing.assert_allclose(mask.mean(axis=0), p, atol=0.015)
    counts = theano.function([], srng.binomial(size=(N,), n=3, p=0.5))()
    assert abs(counts.mean() - 1.5) < 0.03


def test_multinomial_draws_one_row_of_counts_per_row_of_pvals():
    srng = MRG_RandomStreams(seed=3)
    pvals = T.dmatrix("pvals")
    onehot = srng.multinomial(pvals=pvals, dtype="float64")
    f = theano.function([pvals], onehot)
    rows = np.tile([[0.1, 0.6, 0.3]], (N, 1))
    value = f(rows)
    assert value.shape == (N, 3) and (value.sum(axis=1) == 1).all()
    np.testing.assert_allclose(value.mean(axis=0), [0.1, 0.6, 0.3], atol=0.015)
    with pytest.raises(ValueError, match="size"):
        srng.multinomial(size=(2,), pvals=pvals)
    with pytest.raises(TypeError, match="pvals"):
        srng.multinomial()


def test_choice_without_replacement_per_row():
    srng = MRG_RandomStreams(seed=4)
    p = T.dmatrix("p")
    picks = theano.function([p], srng.choice(size=2, p=p, replace=False))
    value = picks(np.tile([[0.5, 0.3, 0.2, 0.0]], (N, 1)))
    assert value.shape == (N, 2) and (value[:, 0] != value[:, 1]).all() and (value != 3).all()
    np.testing.assert_allclose(np.bincount(value[:, 0]) / N, [0.5, 0.3, 0.2], atol=0.015)
    assert srng.multinomial_wo_replacement(n=1, pvals=p).ndim == 2
    with pytest.raises(NotImplementedError):
        srng.choice(size=2, p=p)


def test_seed_state_and_updates():
    srng = MRG_RandomStreams()
    assert srng.default_instance_seed == 12345
    u = srng.uniform((4,))
    f = theano.function([], u)
    first = f()
    srng.seed()
    np.testing.assert_array_equal(f(), first)
    assert len(srng.updates()) == 1 and u.rng is srng.updates()[0][0]
    with pytest.raises(ValueError, match="<= 0"):
        srng.uniform((0, 3))
    with pytest.raises(TypeError, match="size"):
        srng.normal(None)
    with pytest.raises(NotImplementedError, match="truncate"):
        srng.truncated_normal((2,))


def test_gradients_through_avg_std_low_high():
    srng = MRG_RandomStreams(seed=5)
    mu, sigma, lo = T.dscalar("mu"), T.dscalar("sigma"), T.dscalar("lo")
    z = srng.normal((1000,), avg=mu, std=sigma)
    u = srng.uniform((1000,), low=lo, high=1.0)
    grads = theano.grad(z.sum() + u.sum(), [mu, sigma, lo])
    zv, uv, gmu, gsigma, glo = theano.function([mu, sigma, lo], [z, u, *grads])(1.0, 2.0, -1.0)
    assert gmu == 1000
    np.testing.assert_allclose(gsigma, ((zv - 1.0) / 2.0).sum())
    np.testing.assert_allclose(glo, (1 - (uv + 1.0) / 2.0).sum())
