"""Random streams as Theano programs use them: state, seeds, scan, gradients, pickling.

``RandomStreams`` (Theano's signatures) and ``RandomStream`` (PyTensor's) give
each draw a shared generator advanced by its default update; these tests pin
down what a program can observe: new numbers per call, the same sequence for
the same seed, frozen draws with ``no_default_updates``, the state read and
set through ``get_value``/``set_value``, draws inside ``scan``, gradients
through random masks, and calls that fail changing nothing.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.gradient import NullTypeGradError, verify_grad
from symgraph.tensor.random.utils import RandomStream
from symgraph.tensor.shared_randomstreams import RandomStreams


# -- every method: shapes, dtypes, Theano's size/ndim rules ------------------------------------
@pytest.mark.parametrize(
    "method, kwargs, shape, dtype",
    [
        ("uniform", dict(size=(2, 3), low=-1.0, high=1.0), (2, 3), "float64"),
        ("normal", dict(size=(4,), avg=1.0, std=2.0, dtype="float32"), (4,), "float32"),
        ("binomial", dict(size=(3, 2), n=1, p=0.5), (3, 2), "int64"),
        ("binomial", dict(size=(5,), n=4, p=0.5, dtype="float64"), (5,), "float64"),
        ("random_integers", dict(size=(6,), low=-2, high=2), (6,), "int64"),
        ("choice", dict(size=(3,), a=5, replace=False), (3,), "int64"),
        ("poisson", dict(size=(2,), lam=4.0), (2,), "int64"),
        ("permutation", dict(n=5), (5,), "int64"),
        ("permutation", dict(size=(2,), n=3), (2, 3), "int64"),
        ("multinomial", dict(size=(4,), n=3, pvals=[0.3, 0.7]), (4, 2), "int64"),
    ],
)
def test_every_method_draws_its_shape_and_dtype(method, kwargs, shape, dtype):
    srng = RandomStreams(seed=1)
    x = getattr(srng, method)(**kwargs)
    value = theano.function([], x)()
    assert value.shape == shape and str(value.dtype) == dtype == x.dtype


def test_size_from_a_symbolic_shape_and_tensor_parameters():
    srng = RandomStreams(seed=2)
    x = T.dmatrix("x")
    p = T.dvector("p")
    mask = srng.binomial(size=x.shape, n=1, p=p, dtype="float64")
    noise = srng.normal(size=(x.shape[0], 3), avg=T.dcol("mu"), std=0.01)
    f = theano.function([x, p, noise.owner.inputs[-2]], [mask * x, noise])
    kept, z = f(np.ones((4000, 2)), [0.0, 1.0], [[1.0]] * 4000)
    np.testing.assert_array_equal(kept[:, 1], 1.0)
    np.testing.assert_array_equal(kept[:, 0], 0.0)
    assert z.shape == (4000, 3) and abs(z.mean() - 1.0) < 0.01
    size = T.lvector("size")
    with pytest.raises(TypeError, match="give ndim"):
        srng.normal(size=size)
    assert srng.normal(size=size, ndim=3).ndim == 3


# -- state: each call advances, seeds reproduce, values can be saved and restored ---------------
def test_each_call_draws_new_numbers_and_same_seed_same_sequence():
    def run(seed):
        srng = RandomStreams(seed)
        f = theano.function([], [srng.uniform((3,)), srng.normal((2,))])
        return [np.concatenate(f()) for _ in range(3)]

    first, again, other = run(42), run(42), run(43)
    assert not np.allclose(first[0], first[1])
    np.testing.assert_array_equal(np.array(first), np.array(again))
    assert not np.allclose(first[0], other[0])


def test_seed_reseeds_every_stream_as_a_new_stream_would():
    srng = RandomStreams(seed=7)
    f = theano.function([], srng.uniform((4,)) + srng.normal((4,)))
    fresh = RandomStreams(seed=99)
    g = theano.function([], fresh.uniform((4,)) + fresh.normal((4,)))
    f()
    srng.seed(99)
    np.testing.assert_array_equal(f(), g())
    srng.seed()  # back to the stream's own seed
    h_srng = RandomStreams(seed=7)
    h = theano.function([], h_srng.uniform((4,)) + h_srng.normal((4,)))
    np.testing.assert_array_equal(f(), h())


def test_state_read_and_set_makes_a_run_reproducible():
    srng = RandomStreams(seed=3)
    u = srng.uniform((5,))
    f = theano.function([], u)
    saved = u.rng.get_value()  # a copy
    first = f()
    assert not np.allclose(first, f())
    u.rng.set_value(saved)
    np.testing.assert_array_equal(f(), first)
    srng[u.rng] = np.random.default_rng(0)
    np.testing.assert_array_equal(f(), np.random.default_rng(0).uniform(0.0, 1.0, 5))
    assert srng.updates() == srng.state_updates == [u.update]
    assert u.update[0] is u.rng and u.rng.default_update is u.update[1]


def test_no_default_updates_freezes_all_or_the_listed_streams():
    srng = RandomStreams(seed=4)
    a, b = srng.uniform((3,)), srng.uniform((3,))
    frozen = theano.function([], [a, b], no_default_updates=True)
    np.testing.assert_array_equal(np.array(frozen()), np.array(frozen()))
    half = theano.function([], [a, b], no_default_updates=[a.rng])
    (a1, b1), (a2, b2) = half(), half()
    np.testing.assert_array_equal(a1, a2)
    assert not np.allclose(b1, b2)
    assert "bit_generator.state = " in frozen.source  # the draws' advance is undone


def test_an_explicit_update_replaces_the_default_one():
    srng = RandomStreams(seed=5)
    u = srng.uniform((2,))
    keep = theano.function([], u, updates=[(u.rng, u.rng)])
    np.testing.assert_array_equal(keep(), keep())


def test_a_call_that_raises_changes_no_shared_variable():
    srng = RandomStreams(seed=6)
    x = T.dvector("x")
    w = theano.shared(np.zeros(3), name="w")
    u = srng.uniform((3,))
    bad = (u + x).sum() + T.dot(x, x[:2])  # fails at run time, after the draw
    f = theano.function([x], bad, updates=[(w, w + u)])
    state = u.rng.get_value().bit_generator.state
    with pytest.raises(ValueError):
        f(np.ones(3))
    assert u.rng.get_value().bit_generator.state == state
    np.testing.assert_array_equal(w.get_value(), 0.0)


def test_a_draw_is_one_line_of_generated_code():
    srng = RandomStreams(seed=8)
    x = T.dmatrix("x")
    f = theano.function([x], srng.binomial(size=x.shape, p=0.9, dtype="float64") * x)
    draws = [line for line in f.source.splitlines() if "rng.random(" in line]
    assert len(draws) == 1 and "< 0.9).astype(np.float64)" in draws[0]
    g = theano.function([], srng.normal((500, 784)))
    assert "t1 = rng.normal(0.0, 1.0, size=(500, 784))" in g.source
    assert "deepcopy" not in f.source + g.source  # the stream's generator is advanced in place


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "DEBUG_MODE"])
def test_modes_draw_the_same_numbers(mode):
    srng = RandomStreams(seed=9)
    x = T.dvector("x")
    y = srng.normal(size=x.shape, avg=x) * srng.binomial(size=x.shape, p=0.5)
    f = theano.function([x], y, mode=mode)
    reference = RandomStreams(seed=9)
    ref_y = reference.normal(size=x.shape, avg=x) * reference.binomial(size=x.shape, p=0.5)
    g = theano.function([x], ref_y, mode="FAST_COMPILE")
    values = np.arange(6.0)
    for _ in range(2):
        np.testing.assert_array_equal(f(values), g(values))


# -- explicit generators (PyTensor's style): values, forks, inputs, outputs --------------------
def test_an_explicit_generator_without_update_draws_the_same_numbers():
    rng = theano.shared(np.random.default_rng(11))
    x = T.random.normal(size=(3,), rng=rng)
    f = theano.function([], x)
    np.testing.assert_array_equal(f(), f())
    np.testing.assert_array_equal(f(), np.random.default_rng(11).normal(0.0, 1.0, 3))
    next_rng = x.owner.outputs[0]
    g = theano.function([], x, updates={rng: next_rng})
    assert not np.allclose(g(), g())


def test_two_draws_from_one_generator_value_are_equal_and_chaining_advances():
    rng = theano.shared(np.random.default_rng(12))
    a = T.random.uniform(size=(4,), rng=rng)
    b = T.random.uniform(size=(4,), rng=rng)
    c = T.random.uniform(size=(4,), rng=a.owner.outputs[0])
    f = theano.function([], [a, b, c], updates={rng: c.owner.outputs[0]}, mode="FAST_COMPILE")
    va, vb, vc = f()
    np.testing.assert_array_equal(va, vb)
    assert not np.allclose(va, vc)
    va2, _, _ = f()
    expected = np.random.default_rng(12)
    expected.uniform(size=8)
    np.testing.assert_array_equal(va2, expected.uniform(0.0, 1.0, 4))


def test_a_generator_given_as_input_or_returned_is_not_shared_with_the_caller():
    rng_in = T.random.random_generator_type("rng")
    x = T.random.normal(size=(2,), rng=rng_in)
    f = theano.function([rng_in], [x, x.owner.outputs[0]])
    mine = np.random.default_rng(13)
    state = mine.bit_generator.state
    value, advanced = f(mine)
    assert mine.bit_generator.state == state
    assert advanced.bit_generator.state != state
    np.testing.assert_array_equal(value, np.random.default_rng(13).normal(0.0, 1.0, 2))
    with pytest.raises(TypeError, match="Generator"):
        f(np.random.RandomState(0))


def test_random_stream_pytensor_spelling():
    srng = RandomStream(seed=14)
    x = srng.normal(1.0, 2.0, size=(N := 20000,))
    p = srng.permutation(T.arange(5.0))
    f = theano.function([], [x, p])
    (a, pa), (b, _) = f(), f()
    assert not np.allclose(a, b) and abs(a.mean() - 1.0) < 0.05 and abs(a.std() - 2.0) < 0.05
    assert sorted(pa) == [0, 1, 2, 3, 4] and len(srng.updates()) == 2 and N == a.size
    with pytest.raises(ValueError, match="rng"):
        srng.normal(rng=theano.shared(np.random.default_rng()))
    with pytest.raises(AttributeError):
        srng.no_such_distribution  # noqa: B018


# -- scan: the step's draws advance a state scan carries ----------------------------------------
def test_draws_inside_scan_differ_per_step_and_per_call():
    srng = RandomStreams(seed=15)

    def step(h):
        return h + srng.normal(size=(2,))

    walk, updates = theano.scan(step, outputs_info=T.zeros((2,)), n_steps=5)
    (rng,) = updates
    assert rng is srng.state_updates[0][0]
    f = theano.function([], walk, updates=updates)
    first, second = f(), f()
    steps = np.diff(np.vstack([np.zeros(2), first]), axis=0)
    assert len({tuple(s) for s in steps}) == 5 and not np.allclose(first, second)
    srng.seed(15)
    np.testing.assert_array_equal(f(), first)
    assert "deepcopy" not in f.source  # the loop advances its generator in place


def test_a_scan_draw_grad_names_the_limit():
    srng = RandomStreams(seed=16)
    w = theano.shared(1.0)
    out, updates = theano.scan(
        lambda h: h * w + srng.normal(size=()), outputs_info=T.constant(0.0), n_steps=3
    )
    with pytest.raises(NullTypeGradError, match="outside the scan"):
        theano.grad(out[-1], w)


# -- gradients: masks are constants, location-scale parameters are reparameterized -------------
def test_the_gradient_through_a_dropout_mask_is_masked():
    srng = RandomStreams(seed=17)
    w = theano.shared(np.arange(1.0, 7.0), name="w")
    mask = srng.binomial(size=w.shape, p=0.5, dtype="float64")
    cost = ((mask * w) ** 2).sum()
    f = theano.function([], [mask, theano.grad(cost, w)])
    for _ in range(3):
        m, g = f()
        np.testing.assert_array_equal(g, 2 * m * w.get_value())


def test_reparameterized_gradients_match_finite_differences():
    rng = theano.shared(np.random.default_rng(18))  # no update: a fixed noise

    def normal_cost(mu, sigma):
        return (T.random.normal(mu, sigma, size=(4, 3), rng=rng) ** 2).sum()

    def uniform_cost(low, high):
        return T.sin(T.random.uniform(low, high, size=(5,), rng=rng)).sum()

    verify_grad(normal_cost, [np.array([0.5, -1.0, 2.0]), np.array(1.5)])
    verify_grad(uniform_cost, [np.array(-1.0), np.array([1.0, 2.0, 3.0, 4.0, 5.0])])


def test_the_parameters_of_other_families_have_no_gradient():
    srng = RandomStreams(seed=19)
    p = T.dscalar("p")
    with pytest.raises(NullTypeGradError, match="not differentiable"):
        theano.grad(srng.binomial(size=(3,), p=p, dtype="float64").sum(), p)


# -- pickling ----------------------------------------------------------------------------------
def test_streams_and_their_generators_pickle_and_continue():
    srng = RandomStreams(seed=20)
    u = srng.uniform((3,))
    f = theano.function([], u)
    f()
    loaded = pickle.loads(pickle.dumps((srng, u)))
    copy_srng, copy_u = loaded
    g = theano.function([], copy_u)
    np.testing.assert_array_equal(g(), f())
    assert copy_u.update[1] is copy_u.owner.outputs[0]
    advanced = copy_u.rng.default_update.owner  # the same draw (merged when compiled)
    assert advanced.op == copy_u.owner.op and advanced.inputs[0] is copy_u.rng
    copy_srng.seed(20)
    srng.seed(20)
    np.testing.assert_array_equal(g(), f())
    pytensor_stream = pickle.loads(pickle.dumps(RandomStream(seed=1)))
    assert pytensor_stream.normal(size=(2,)).ndim == 1


def test_a_draw_inside_an_ifelse_branch():
    from symgraph.ifelse import ifelse

    srng = RandomStreams(seed=21)
    c = T.bscalar("c")
    f = theano.function([c], ifelse(c, srng.normal((2,)), T.zeros((2,))))
    assert not np.allclose(f(1), f(1))
    np.testing.assert_array_equal(f(0), 0.0)
