"""The draw op: every distribution's generated line against its reference, types, moments.

A draw's line and its ``impl`` must draw the same numbers from generators in
the same state; its static type must describe what it returns; the
statistics of large samples must be the distribution's (fixed seeds, so
the tolerances are met deterministically, with room for any seed).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.compile.codegen import literal_inputs
from symgraph.tensor.random import DISTRIBUTIONS, RandomVariable, draw
from symgraph.tensor.random.type import random_generator_type

N = 20000


def rng_var(seed=0):
    return theano.shared(np.random.default_rng(seed), name="rng")


# -- one case per distribution: (dist, params, size) -------------------------------------------
CASES = {
    "normal": [([1.0, 2.0], (3, 4)), ([T.dvector("v"), 0.5], None)],
    "uniform": [([-1.0, 3.0], (5,)), ([0.0, T.dmatrix("m")], (2, 3))],
    "bernoulli": [([0.3], (4, 2)), ([T.dvector("v")], None)],
    "binomial": [([5, 0.4], (6,))],
    "integers": [([2, 9], (3, 3))],
    "random_integers": [([0, 1], (10,))],
    "poisson": [([3.0], (4,))],
    "exponential": [([2.0], (5,))],
    "beta": [([2.0, 3.0], (4,))],
    "choice": [([5], (4,)), ([T.dvector("v"), [0.1, 0.2, 0.7]], (2, 2))],
    "permutation": [([6], ()), ([4], (2, 3))],
    "multinomial": [([10, [0.2, 0.3, 0.5]], (2,)), ([3, T.dmatrix("m")], None)],
    "rows_without_replacement": [([T.dmatrix("m"), 2], None)],
}
VALUES = {
    "v": np.array([0.1, 0.5, 0.9]),
    "m": np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]),
}


def test_every_distribution_has_a_case():
    assert sorted(CASES) == sorted(DISTRIBUTIONS)


@pytest.mark.parametrize(
    "dist, params, size",
    [(d, p, s) for d, cases in CASES.items() for p, s in cases],
    ids=[f"{d}-{k}" for d, cases in CASES.items() for k in range(len(cases))],
)
def test_generated_line_draws_what_impl_draws(dist, params, size):
    rng = random_generator_type("rng")
    _, x = draw(dist, rng, params, size)
    node = x.owner
    values = [np.random.default_rng(7)] + [
        VALUES[v.name] if v.owner is None and v.name in VALUES else getattr(v, "value", None)
        for v in node.inputs[1:]
    ]
    literals = literal_inputs(node)
    names = ["rng"] + [literals.get(i, f"in{i}") for i in range(1, len(node.inputs))]
    namespace = {"np": np, **{f"in{i}": v for i, v in enumerate(values)}, "rng": values[0]}
    expected_rng, expected = node.op.impl(*values)
    exec("\n".join(node.op.emit(["rng", "out"], names)), namespace)
    np.testing.assert_array_equal(namespace["out"], expected)
    assert namespace["out"].dtype == x.dtype == expected.dtype
    assert namespace["rng"].bit_generator.state == expected_rng.bit_generator.state
    assert expected.ndim == x.ndim
    assert all(s is None or s == g for s, g in zip(x.type.shape, expected.shape))


def test_impl_leaves_its_generator_unchanged():
    rng = random_generator_type("rng")
    _, x = draw("normal", rng, [0.0, 1.0], (3,))
    generator = np.random.default_rng(1)
    state = copy.deepcopy(generator.bit_generator.state)
    new, first = x.owner.op.impl(generator, 0.0, 1.0)
    assert generator.bit_generator.state == state
    assert new.bit_generator.state != state
    np.testing.assert_array_equal(first, x.owner.op.impl(generator, 0.0, 1.0)[1])


# -- static types ------------------------------------------------------------------------------
def test_static_size_is_written_into_the_line():
    rng = rng_var()
    x = T.random.binomial(1, 0.5, size=(500, 784), rng=rng)
    assert x.type == T.TensorType("int64", (500, 784))
    (line,) = x.owner.op.emit(["rng", "mask"], ["rng", "1", "0.5"])
    assert line == "mask = rng.binomial(1, 0.5, size=(500, 784))"


def test_symbolic_size_keeps_what_is_known():
    rng = rng_var()
    x = T.tensor("x", dtype="float64", shape=(None, 7))
    n = T.lscalar("n")
    assert T.random.normal(size=x.shape, rng=rng).type.shape == (None, 7)
    assert T.random.normal(size=(n, 3), rng=rng).type.shape == (None, 3)
    size = T.lvector("size")
    assert T.raw_random.normal(rng, size, ndim=2)[1].type.shape == (None, None)


def test_without_size_the_parameters_broadcast():
    rng = rng_var()
    mu = T.tensor("mu", dtype="float64", shape=(4, 1))
    sd = T.dvector("sd")
    assert T.random.normal(mu, sd, rng=rng).type.shape == (4, None)
    assert T.random.normal(rng=rng).type.shape == ()
    assert T.random.multinomial(5, T.dmatrix("p"), rng=rng).ndim == 2


@pytest.mark.parametrize(
    "build, error",
    [
        (lambda r: T.random.normal(T.dvector(), size=(2, 3, 4, 5)[:0], rng=r), TypeError),
        (lambda r: T.random.normal(np.zeros(3), size=(4,), rng=r), TypeError),
        (lambda r: T.raw_random.normal(r, (2, 3), ndim=3), ValueError),
        (lambda r: T.raw_random.normal(r, (2, -1)), ValueError),
        (lambda r: T.raw_random.normal(r, T.lvector()), TypeError),
        (lambda r: T.raw_random.normal(r, T.dvector()), TypeError),
        (lambda r: T.random.normal(rng=None), TypeError),
        (lambda r: T.random.normal(rng=T.dvector()), TypeError),
        (lambda r: T.random.multinomial(3, 0.5, rng=r), TypeError),
    ],
)
def test_bad_draws_are_refused_when_built(build, error):
    with pytest.raises(error):
        build(rng_var())


def test_default_dtypes_follow_theano():
    rng = rng_var()
    assert T.raw_random.normal(rng, (2,))[1].dtype == theano.config.floatX
    assert T.raw_random.normal(rng, (2,), avg=np.float32(0), std=np.float32(1))[1].dtype == (
        theano.config.floatX
    )
    assert T.raw_random.uniform(rng, (2,), low=T.fscalar(), dtype="float32")[1].dtype == "float32"
    assert T.raw_random.binomial(rng, (2,), p=0.5)[1].dtype == "int64"
    assert T.raw_random.binomial(rng, (2,), p=0.5, dtype="float32")[1].dtype == "float32"
    assert T.random.choice(T.dvector(), size=(2,), rng=rng).dtype == "float64"


# -- moments -----------------------------------------------------------------------------------
def sample(x, **values):
    f = theano.function(list(values), x) if values else theano.function([], x)
    return f(*values.values())


def near(got, want, tol):
    assert abs(got - want) < tol, (got, want)


def test_normal_and_uniform_moments():
    rng = rng_var(1)
    z = sample(T.random.normal(2.0, 3.0, size=(N,), rng=rng))
    near(z.mean(), 2.0, 0.1)
    near(z.std(), 3.0, 0.1)
    u = sample(T.random.uniform(-1.0, 3.0, size=(N,), rng=rng))
    assert -1 <= u.min() and u.max() < 3
    near(u.mean(), 1.0, 0.05)
    near(u.var(), 16 / 12, 0.05)


def test_parameters_broadcast_per_element():
    rng = rng_var(2)
    mu = np.array([-5.0, 0.0, 5.0])
    x = sample(T.random.normal(mu, [0.1, 1.0, 2.0], size=(N, 3), rng=rng))
    np.testing.assert_allclose(x.mean(axis=0), mu, atol=0.06)
    np.testing.assert_allclose(x.std(axis=0), [0.1, 1.0, 2.0], rtol=0.03)
    p = np.array([0.1, 0.5, 0.9])
    mask = sample(T.random.bernoulli(p, size=(N, 3), rng=rng))
    np.testing.assert_allclose(mask.mean(axis=0), p, atol=0.015)


def test_discrete_moments():
    rng = rng_var(3)
    b = sample(T.random.binomial(5, 0.4, size=(N,), rng=rng))
    near(b.mean(), 2.0, 0.05)
    near(b.var(), 1.2, 0.06)
    i = sample(T.random.integers(2, 9, size=(N,), rng=rng))
    assert set(np.unique(i)) == set(range(2, 9))
    r = sample(T.raw_random.random_integers(rng, (N,), 0, 1)[1])
    assert set(np.unique(r)) == {0, 1}
    near(r.mean(), 0.5, 0.02)
    p = sample(T.random.poisson(3.0, size=(N,), rng=rng))
    near(p.mean(), 3.0, 0.06)
    near(p.var(), 3.0, 0.15)
    e = sample(T.random.exponential(2.0, size=(N,), rng=rng))
    near(e.mean(), 2.0, 0.06)
    beta = sample(T.random.beta(2.0, 3.0, size=(N,), rng=rng))
    near(beta.mean(), 0.4, 0.01)


def test_choice_permutation_multinomial():
    rng = rng_var(4)
    c = sample(T.random.choice(3, size=(N,), p=[0.1, 0.2, 0.7], rng=rng))
    np.testing.assert_allclose(np.bincount(c) / N, [0.1, 0.2, 0.7], atol=0.015)
    distinct = sample(T.random.choice(10, size=(10,), replace=False, rng=rng))
    assert sorted(distinct) == list(range(10))
    perms = sample(T.raw_random.permutation(rng, (N,), 4)[1])
    assert perms.shape == (N, 4) and (np.sort(perms, axis=1) == np.arange(4)).all()
    np.testing.assert_allclose((perms == 0).mean(axis=0), 0.25, atol=0.015)
    counts = sample(T.random.multinomial(10, [0.2, 0.3, 0.5], size=(N,), rng=rng))
    assert (counts.sum(axis=1) == 10).all()
    np.testing.assert_allclose(counts.mean(axis=0), [2, 3, 5], atol=0.06)


def test_rows_without_replacement_follow_the_weights():
    rng = rng_var(5)
    p = np.array([[0.7, 0.2, 0.1, 0.0]])
    draw_ = draw("rows_without_replacement", rng, [np.repeat(p, N, axis=0), 2])[1]
    picks = sample(draw_)
    assert picks.shape == (N, 2) and (picks[:, 0] != picks[:, 1]).all() and (picks != 3).all()
    np.testing.assert_allclose(np.bincount(picks[:, 0]) / N, [0.7, 0.2, 0.1], atol=0.015)
    # the second pick is weighted among the rest: P(second = 1) = .7 * .2/.3 + .1 * .2/.9
    near((picks[:, 1] == 1).mean(), 0.7 * 2 / 3 + 0.1 * 2 / 9, 0.015)


def test_op_prints_its_distribution():
    rng = rng_var()
    x = T.random.normal(0.0, 2.0, size=(3,), rng=rng)
    assert str(x.owner.op) == "RandomVariable{normal}"
    assert isinstance(x.owner.op, RandomVariable)
    assert "normal(" in theano.printing.pprint(x)
