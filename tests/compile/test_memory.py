"""The memory plan: in-place work and copies never change a result or a caller's array."""

import importlib.util
import math

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.compile.memory import plan_memory
from symgraph.graph.fgraph import Graph
from symgraph.tensor.evaluate import evaluate_all

NO_REWRITES = theano.Mode(optimizer=None)
NO_INPLACE = theano.Mode(optimizer=None, inplace=False)


def test_dead_temporaries_are_overwritten_in_place():
    x = T.dvector("x")
    y = T.dvector("y")
    out = T.exp(-(x * 2.0) + y) * 3.0
    f = theano.function([x, y], out, mode=NO_REWRITES)
    assert "np.exp(t2, out=t2)" in f.source and "t2 += y" in f.source
    assert "out=" not in theano.function([x, y], out, mode=NO_INPLACE).source
    a, b = np.arange(4.0), np.ones(4)
    np.testing.assert_allclose(f(a, b), np.exp(-(a * 2) + b) * 3)
    np.testing.assert_array_equal(a, np.arange(4.0))  # inputs are never written


def test_a_negation_is_never_computed_into_its_own_input():
    """NumPy 2.4's ``np.negative(v, out=v)`` is wrong for views of some strides (the
    differential test, seed 18, found a gradient it broke): a negation gets a new array."""
    m = T.dmatrix("m")
    f = theano.function([m], -(T.exp(m)[::2, 1]) * 2.0, mode=NO_REWRITES)
    assert "np.negative(t2, out=t2)" not in f.source
    a = np.arange(12.0).reshape(3, 4) / 10
    np.testing.assert_allclose(f(a), -np.exp(a)[::2, 1] * 2.0, rtol=1e-15)


def _views_and_reuse_cases():
    x = T.dmatrix("x")
    twice = x * 2.0
    flipped = twice[::-1]  # a view of twice's buffer, still read below
    cases = [[flipped + 1.0, twice + 1.0], [twice.T * 3.0 + twice, twice - 1.0]]
    kept = x + 1.0
    cases.append([kept, T.exp(kept) - kept])  # an output is never overwritten later
    summed = (x * x).sum(axis=0, keepdims=True)
    cases.append([x + summed, summed * 2.0])  # a static size-1 axis is never a target
    shuffled = T.exp(x).dimshuffle(1, 0)
    cases.append([shuffled * 2.0 + x.T])  # a view of a dead temporary may be the target
    return x, cases


@pytest.mark.parametrize("case", range(5))
def test_in_place_work_never_changes_a_result(case):
    x, cases = _views_and_reuse_cases()
    outputs = cases[case]
    data = np.random.RandomState(case).rand(3, 3)
    expected = evaluate_all(outputs, {x: data})
    for mode in (NO_REWRITES, None):
        got = theano.function([x], outputs, mode=mode)(data)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-12)
        assert not any(np.shares_memory(a, b) for i, a in enumerate(got) for b in got[i + 1 :])


def test_shared_update_is_computed_into_its_own_buffer():
    w = theano.shared(np.ones(5), name="w")
    g = T.dvector("g")
    step = theano.function([g], [], updates=[(w, w - 0.5 * g)], mode=NO_REWRITES)
    buffer = w.get_value(borrow=True)
    step(np.arange(5.0))
    assert w.get_value(borrow=True) is buffer
    np.testing.assert_allclose(buffer, 1 - 0.5 * np.arange(5.0))
    step(np.ones(1))  # a broadcast operand: computed out of place, same values
    np.testing.assert_allclose(w.get_value(), 1 - 0.5 * np.arange(5.0) - 0.5)
    assert w.get_value(borrow=True) is not buffer


def test_fused_update_is_computed_into_the_shared_buffer():
    w = theano.shared(np.ones(4), name="w")
    g = T.dvector("g")
    step = theano.function([g], [], updates=[(w, w - 0.1 * (w * 0.02 + g))])
    buffer = w.get_value(borrow=True)
    step(np.arange(4.0))
    assert w.get_value(borrow=True) is buffer
    np.testing.assert_allclose(buffer, 1 - 0.1 * (0.02 + np.arange(4.0)))


def test_shared_in_place_never_clobbers_a_value_still_needed():
    a = theano.shared(np.array([1.0, 2.0]), name="a")
    b = theano.shared(np.array([10.0, 20.0]), name="b")
    # b's update reads a: a cannot be written in place before b is computed
    f = theano.function([], [a * 1.0], updates=[(a, a + 1.0), (b, b + a)], mode=NO_REWRITES)
    (returned,) = f()
    np.testing.assert_array_equal(returned, [1.0, 2.0])
    np.testing.assert_array_equal(a.get_value(), [2.0, 3.0])
    np.testing.assert_array_equal(b.get_value(), [11.0, 22.0])
    lent = theano.function([], theano.Out(a, borrow=True), updates=[(a, a + 1.0)], mode=NO_REWRITES)
    before = lent()
    np.testing.assert_array_equal(before, [2.0, 3.0])  # the lent array is not updated under it


def test_size_one_axis_broadcast_at_run_time_falls_back_to_allocating():
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    f = theano.function([x, y], T.exp(x) + y, mode=NO_REWRITES)
    assert "+= y" in f.source
    a, b = np.ones((3, 1)), np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(f(a, b), np.exp(a) + b)  # (3, 1) + (3, 4) broadcasts the target
    assert "+=" not in f.source  # replanned without in-place work
    np.testing.assert_allclose(f(a, b), np.exp(a) + b)


def test_plan_copies_outputs_that_alias_roots_and_each_other():
    x = T.dvector("x")
    s = theano.shared(np.zeros(2), name="s")
    doubled = x * 2.0
    outputs = [x, x.dimshuffle("x", 0), doubled, doubled, s, doubled[1:]]
    graph = Graph([x], outputs)
    roots = [x, s]
    plan = plan_memory(graph.apply_nodes, roots, outputs, [False] * 6, [])
    assert plan.copy_outputs == {0, 1, 3, 4, 5}
    lent = plan_memory(graph.apply_nodes, roots, outputs, [True] * 6, [])
    assert lent.copy_outputs == set()


def test_plan_copies_update_values_that_alias_other_storage():
    s = theano.shared(np.zeros(2), name="s")
    t = theano.shared(np.zeros(2), name="t")
    x = T.dvector("x")
    updates = [(s, t), (t, s.dimshuffle(0)), (s, s[::-1])]
    for pair, copied in zip(updates, [True, True, False]):
        schedule = Graph([x], [pair[1]]).apply_nodes
        plan = plan_memory(schedule, [x, s, t], [], [], [pair])
        assert plan.copy_updates == ({0} if copied else set())
    f = theano.function([x], [], updates=[(s, x), (t, x)])
    data = np.arange(2.0)
    f(data)
    assert not np.shares_memory(s.get_value(borrow=True), data)
    assert not np.shares_memory(s.get_value(borrow=True), t.get_value(borrow=True))


def test_a_fused_chain_is_computed_in_a_dead_buffer():
    a, b, y = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("y")
    out = ((T.dot(a, b) - y) * 2.0 + 1.0).sum(axis=0)
    f = theano.function([a, b, y], out)
    assert "t1 -= y" in f.source and "t1 *= 2.0" in f.source and "t1 += 1.0" in f.source
    data = [np.random.RandomState(k).rand(3, 3) for k in range(3)]
    np.testing.assert_allclose(f(*data), ((data[0] @ data[1] - data[2]) * 2 + 1).sum(0))


def test_an_update_scales_a_dead_gradient_in_its_own_buffer():
    w = theano.shared(np.ones(4), name="w")
    x = T.dmatrix("x")
    g = T.dot(T.dvector("v"), x)
    step = theano.function(g.owner.inputs, [], updates=[(w, w - 0.1 * (w * 0.02 + g))])
    assert "t1 += w * 0.02" in step.source and "t1 *= 0.1" in step.source
    assert "w -= t1" in step.source
    buffer = w.get_value(borrow=True)
    v, data = np.arange(3.0), np.arange(12.0).reshape(3, 4)
    step(v, data)
    assert w.get_value(borrow=True) is buffer
    np.testing.assert_allclose(buffer, 1 - 0.1 * (0.02 + v @ data))


def _chain_cases():
    """Elementwise trees over a dead product ``p``: chains, inputs read twice, views, dtypes."""
    a, b, y = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("y")
    p = T.dot(a, b)
    q = T.dot(b, a)
    return (a, b, y), [
        (p - y) / 3.0,
        (p - y) * p,  # p read again by the root: only the root may write p
        T.exp(p * 2.0) - y.T,
        (p - y).T * q,  # a view of the chain's result feeds the root
        T.sigmoid(p + 1.0) * q + T.tanh(q - p),
        ((p > y) * 1.0 - q) * 2.0,  # a bool member cannot go into a float buffer
        T.maximum(p * 3.0, q) - (q + p).sum(axis=1, keepdims=True),
        T.cast(p * 2.0, "float32") + 1.0,
    ]


@pytest.mark.parametrize("case", range(8))
def test_chains_never_change_a_result(case):
    inputs, outputs = _chain_cases()
    data = [np.random.RandomState(case + k).rand(3, 3) for k in range(3)]
    kwargs = {"on_unused_input": "ignore"}
    no_inplace = theano.Mode(inplace=False)
    expected = theano.function(list(inputs), outputs[case], mode=no_inplace, **kwargs)(*data)
    f = theano.function(list(inputs), outputs[case], **kwargs)
    np.testing.assert_allclose(f(*data), expected, rtol=1e-12)
    np.testing.assert_allclose(f(*data), expected, rtol=1e-12)  # and again: no state left


def test_a_chain_that_meets_a_broadcast_midway_is_rerun_out_of_place():
    a, b, y = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("y")
    f = theano.function([a, b, y], (T.dot(a, b) * 2.0 - y) + 1.0)
    assert "t1 *= 2.0" in f.source and "t1 -= y" in f.source
    # a (3, 1) product: ``t1 *= 2.0`` succeeds, then ``t1 -= y`` would broadcast t1 to (3, 4)
    args = np.ones((3, 2)), np.ones((2, 1)), np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(f(*args), (args[0] @ args[1]) * 2.0 - args[2] + 1.0)
    assert "t1 -= y" not in f.source  # replanned without in-place work


def test_a_scipy_function_behind_a_lazy_import_writes_in_place():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = theano.function([a, b], T.erf(T.dot(a, b) * 2.0) + 1.0)
    # with SciPy, special.erf is its ufunc and accepts out=; without, a per-element fallback
    assert ("special.erf(t1, out=t1)" in f.source) == (
        importlib.util.find_spec("scipy") is not None
    )
    data = np.random.RandomState(0).rand(3, 3)
    expected = [math.erf(v) + 1.0 for v in (data @ data * 2.0).ravel()]
    np.testing.assert_allclose(f(data, data).ravel(), expected, rtol=1e-12)


def test_read_only_diagonal_views_are_never_written_and_leave_as_copies():
    """``np.diagonal`` returns a read-only view: no in-place work into it, no caller gets it."""
    x = T.dmatrix("x")
    s = theano.shared(np.zeros(3), name="s")
    diagonal = T.diagonal(x * 2.0)  # a view of a temporary nobody reads afterwards
    f = theano.function(
        [x], [T.exp(diagonal), T.diagonal(x), diagonal.T], updates=[(s, T.diagonal(x * 3.0))]
    )
    assert "t3 = np.exp(t2)" in f.source and "out=t" not in f.source
    value = np.arange(9.0).reshape(3, 3)
    for _ in range(2):  # the second call updates the stored value: it must be writable
        exp_diag, diag, view = f(value)
        assert exp_diag.flags.writeable and diag.flags.writeable and view.flags.writeable
        np.testing.assert_allclose(exp_diag, np.exp(2 * np.diag(value)))
        np.testing.assert_array_equal(diag, np.diag(value))
        assert not np.shares_memory(diag, value)
    assert s.get_value(borrow=True).flags.writeable
    np.testing.assert_array_equal(s.get_value(), 3 * np.diag(value))
    g = theano.function([x], [], updates=[(s, s - T.diagonal(x))])
    g(value)
    np.testing.assert_array_equal(s.get_value(), 2 * np.diag(value))


def test_an_operand_given_twice_is_no_buffer():
    """``a + b + b`` (an n-ary sum reading ``b`` twice) once ran ``t += a; t += t`` in
    ``b``'s buffer; the gradient of ``concatenate([x * x, x])`` is such a sum."""
    x = T.dvector("x")
    value = np.array([-1.925, 0.774, 0.003])
    doubled = T.exp(x)
    f = theano.function([x], T.add(T.sin(x), doubled, doubled))
    np.testing.assert_allclose(f(value), np.sin(value) + 2 * np.exp(value))
    weights = np.array([0.7, 1.3, 0.9, 1.1, 0.6, 1.4])
    g = T.grad((T.concatenate([x * x, x]) * weights).sum(), x)
    np.testing.assert_allclose(
        theano.function([x], g)(value), 2 * value * weights[:3] + weights[3:]
    )
