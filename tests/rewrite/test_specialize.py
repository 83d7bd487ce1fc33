"""specialize (powers, squares, dots), constant folding and dead code: structure and values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_softmax, logsumexp, softmax

import symgraph.tensor as T
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.rules.canonicalize import canonicalize
from symgraph.rewrite.rules.constant_fold import FOLD_LIMIT, constant_fold
from symgraph.rewrite.rules.dead_code import dead_code
from symgraph.rewrite.rules.specialize import scale_dot_operands, specialize
from symgraph.tensor.dot import Dot, Tensordot
from symgraph.tensor.shape import Alloc

rng = np.random.default_rng(3)
a, b = T.dvectors("a", "b")
m, n = T.dmatrices("m", "n")
i = T.ivector("i")
GIVENS = {
    a: rng.uniform(0.5, 2.0, 4),
    b: rng.normal(size=4),
    m: rng.normal(size=(3, 4)),
    n: rng.normal(size=(4, 3)),
    i: np.array([1, -2, 3, 4], dtype="int32"),
}


def specialized(rewritten, expr, inputs=(a, b, m, n, i)):
    (out,) = rewritten(list(inputs), [expr], specialize, canonicalize, constant_fold)
    return out


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda: a**2, "sqr(a)"),
        (lambda: a**0.5, "sqrt(a)"),
        (lambda: a**-1, "(1.0 / a)"),
        (lambda: a**-0.5, "(1.0 / sqrt(a))"),
        (lambda: a**1, "a"),
        (lambda: a**3, "(a * sqr(a))"),
        (lambda: a**4, "sqr(sqr(a))"),
        (lambda: a**-2, "(1.0 / sqr(a))"),
        (lambda: a**2.5, "(a ** 2.5)"),
        (lambda: i**2, "sqr(i)"),
        (lambda: a * a, "sqr(a)"),
    ],
)
def test_powers_with_constant_exponents(rewritten, same_values, text, build, expected):
    expr = build()
    out = specialized(rewritten, expr)
    assert text(out) == expected
    same_values([expr], [out], GIVENS, rtol=1e-14)


def test_integers_keep_negative_powers(rewritten, text):
    assert text(specialized(rewritten, i**-1)) == "(i ** -1)"


def test_power_of_zero_keeps_the_shape(rewritten, same_values):
    expr = a**0
    out = specialized(rewritten, expr)
    assert isinstance(out.owner.op, Alloc)
    same_values([expr], [out], GIVENS)


def test_sum_of_squares_is_one_dot(rewritten, same_values):
    for x, op in ((a, Dot), (m, Tensordot)):
        expr = T.sum(x**2)
        out = specialized(rewritten, expr)
        assert isinstance(out.owner.op, op) and out.owner.inputs == (x, x)
        same_values([expr], [out], GIVENS, rtol=1e-14)
    partial = T.sum(m**2, axis=0)
    assert specialized(rewritten, partial).owner.op.kind == "sum"


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda: T.dot(m.T, b[:3]), "(b[:3] @ m)"),
        (lambda: T.dot(b[:3], n.T), "(n @ b[:3])"),
        (lambda: T.dot(m.T, n.T), "(n @ m).T"),
        (lambda: T.dot(m, a.dimshuffle(0, "x")).dimshuffle(0), "(m @ a)"),
        (lambda: T.dot(b[:3].dimshuffle("x", 0), m).dimshuffle(1), "(b[:3] @ m)"),
    ],
)
def test_dots_without_transposes(rewritten, same_values, text, build, expected):
    expr = build()
    out = specialized(rewritten, expr)
    assert text(out) == expected
    same_values([expr], [out], GIVENS, rtol=1e-14)


def test_an_outer_product_is_a_broadcast_product(rewritten, same_values, text):
    expr = T.dot(a.dimshuffle(0, "x"), b.dimshuffle("x", 0))
    out = specialized(rewritten, expr)
    assert text(out) == "(a.dimshuffle(0, 'x') * b)"
    same_values([expr], [out], GIVENS)


def test_a_scalar_moves_to_the_smaller_operand_of_a_dot(same_values, text):
    weights = T.tensor("weights", dtype="float64", shape=(4, 2))
    data = T.tensor("data", dtype="float64", shape=(500, 4))
    expr = 0.5 * T.dot(data, weights)
    (out,) = scale_dot_operands(Graph([data, weights], [expr])).outputs
    assert text(out) == "(data @ (0.5 * weights))"
    values = {data: rng.normal(size=(500, 4)), weights: rng.normal(size=(4, 2))}
    same_values([expr], [out], values)
    product = T.dot(data, weights)
    both = Graph([data, weights], [0.5 * product, product])
    assert product in scale_dot_operands(both).outputs[0].owner.inputs


def test_constants_fold_within_limits(rewritten, text):
    (small,) = rewritten([], [T.exp(T.constant([0.0, 1.0])) * 2.0], constant_fold)
    np.testing.assert_allclose(small.value, np.exp([0.0, 1.0]) * 2.0)
    (spread,) = rewritten([], [T.zeros((100,))], constant_fold)
    assert isinstance(spread.owner.op, Alloc)
    big = T.constant(np.ones(FOLD_LIMIT + 1))
    (kept,) = rewritten([], [big * 2.0], constant_fold)
    assert kept.owner is not None
    negative_power = T.constant(np.array([2])) ** T.constant(np.array([-1]))
    (failing,) = rewritten([], [negative_power], constant_fold)
    assert failing.owner is not None


def test_branches_a_constant_condition_never_takes_are_dropped(rewritten, same_values):
    (then,) = rewritten([a, b], [T.switch(T.constant(True), a, b)], dead_code)
    assert then is a
    b4 = T.tensor("b4", dtype="float64", shape=(4,))
    (other,) = rewritten([a, b4], [T.switch(T.constant(np.zeros(4, bool)), a, b4)], dead_code)
    assert other is b4
    # the condition fixes the result's length at 4; b alone does not, so the type would change
    (typed,) = rewritten([a, b], [T.switch(T.constant(np.zeros(4, bool)), a, b)], dead_code)
    assert typed.owner.op is T.switch
    (same,) = rewritten([a, b], [T.switch(a > 1, b, b)], dead_code)
    assert same is b
    s = T.dscalar("s")
    widened = T.switch(T.constant(True), s, a)
    (kept,) = rewritten([s, a], [widened], dead_code)
    assert kept.owner.op is T.switch


def test_an_increment_at_arange_rows_needs_no_add_at():
    """The gradient of the Theano tutorials' ``-mean(log(p)[arange(n), y])``: each (row, y)
    pair appears once, so ``x[rows, y] += v`` is np.add.at's result."""
    import symgraph as theano

    x, y = T.dmatrix("x"), T.lvector("y")
    p = T.nnet.softmax(x)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    f = theano.function([x, y], T.grad(cost, x))
    assert "np.add.at" not in f.source and "] += " in f.source
    plain = theano.function([x, y], T.grad(cost, x), mode=theano.Mode(optimizer=None))
    assert "np.add.at" in plain.source
    xv, yv = rng.normal(size=(5, 4)), np.array([3, 0, 0, 2, 3])
    np.testing.assert_allclose(f(xv, yv), plain(xv, yv), rtol=1e-12)


def test_increments_that_may_repeat_keep_add_at(rewritten, same_values):
    """Rows given by the caller, or an arange not as long as the other index, may repeat."""
    import symgraph as theano

    x, rows, cols = T.dmatrix("x"), T.lvector("rows"), T.lvector("cols")
    v = T.dvector("v")
    given = T.inc_subtensor(x[rows, cols], v)
    short = T.inc_subtensor(x[T.arange(rows.shape[0]), cols], v)  # rows sets the length
    f = theano.function([x, rows, cols, v], [given, short])
    assert f.source.count("np.add.at") == 2
    xv, cv = np.zeros((3, 3)), np.array([1, 1])
    got_given, got_short = f(xv, np.array([0, 0]), cv, np.array([1.0, 2.0]))
    assert got_given[0, 1] == 3.0  # both increments land on (0, 1)
    np.testing.assert_array_equal(got_short, [[0, 1, 0], [0, 2, 0], [0, 0, 0]])
    assert not xv.any()  # the caller's array is never written


def test_an_increment_writes_into_fresh_zeros_and_copies_an_input():
    import symgraph as theano

    x, v = T.dmatrix("x"), T.dvector("v")
    into_input = T.inc_subtensor(x[1:], v)
    into_zeros = T.inc_subtensor(T.zeros_like(x)[1:], v)
    f = theano.function([x, v], [into_input, into_zeros], mode=theano.Mode(optimizer=None))
    assert f.source.count(".copy()") == 1  # the input is copied; the zeros are not
    xv = np.ones((3, 2))
    got_input, got_zeros = f(xv, np.array([5.0, 7.0]))
    np.testing.assert_array_equal(got_input, [[1, 1], [6, 8], [6, 8]])
    np.testing.assert_array_equal(got_zeros, [[0, 0], [5, 7], [5, 7]])
    np.testing.assert_array_equal(xv, np.ones((3, 2)))


def test_softmax_and_log_softmax_of_one_input_share_their_parts():
    """The cross-entropy reads log_softmax, its gradient softmax: one max, one exp, one sum."""
    import symgraph as theano
    from symgraph.tensor.nnet.basic import LogSoftmax, Softmax

    x, y = T.dmatrix("x"), T.lvector("y")
    cost = -T.mean(T.log(T.nnet.softmax(x))[T.arange(y.shape[0]), y])
    f = theano.function([x, y], [cost, T.grad(cost, x)])
    ops = {type(node.op) for node in f.graph.apply_nodes}
    assert Softmax not in ops and LogSoftmax not in ops
    assert f.source.count("np.exp(") == 1 and "share_softmax_parts" in str(f.rewrites)
    xv = rng.normal(size=(6, 4)) * np.array([1.0, 10.0, 100.0, 800.0])  # far apart: exp underflows
    yv = np.array([0, 1, 2, 3, 3, 0])
    rows = np.arange(6)
    onehot = np.zeros((6, 4))
    onehot[rows, yv] = 1.0
    want = [-log_softmax(xv, axis=1)[rows, yv].mean(), (softmax(xv, axis=1) - onehot) / 6]
    for got, expected in zip(f(xv, yv), want):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    alone = theano.function([x], T.nnet.softmax(x))  # without log_softmax nothing changes
    assert any(isinstance(node.op, Softmax) for node in alone.graph.apply_nodes)


def test_a_float_matrix_summed_over_its_rows_is_a_product_with_ones():
    """The bias gradient ``g.sum(axis=0)`` runs as BLAS's ``np.dot(ones, g)``; other sums stay
    sums, and rules that read a sum see it first (``log(sum(exp))`` is stabilized)."""
    import symgraph as theano
    from symgraph.tensor.reduction import Reduce, SumOverRows

    x, k = T.dmatrix("x"), T.lmatrix("k")
    outputs = [
        x.sum(axis=0),
        T.cast(x, "float32").sum(axis=0),
        x.sum(axis=1),
        k.sum(axis=0),
        x.sum(axis=0, keepdims=True),
        T.log(T.exp(x * 1000.0).sum(axis=0)),
    ]
    f = theano.function([x, k], outputs)
    plain = theano.function([x, k], outputs, mode=theano.Mode(optimizer=None))
    summed = [
        type(v.owner.op) if v.owner.op.__class__ in (Reduce, SumOverRows) else None
        for v in f.graph.outputs
    ]
    assert summed[:5] == [SumOverRows, SumOverRows, Reduce, Reduce, Reduce]
    assert "sum_over_rows_by_blas" in str(f.rewrites)
    xv, kv = rng.normal(size=(5, 3)) / 1000.0, rng.integers(-3, 4, size=(5, 3))
    for got, want in zip(f(xv, kv), plain(xv, kv)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-6 if got.dtype == "float32" else 1e-12)
    wide = xv * 1000.0  # exp(1000 x) overflows unless stabilized
    np.testing.assert_allclose(f(wide, kv)[5], logsumexp(wide * 1000.0, axis=0), rtol=1e-12)
