"""What scan and ifelse compile to: a real loop and a real branch, with invariant work hoisted."""

from __future__ import annotations

import numpy as np

import symgraph as theano
import symgraph.tensor as T
from symgraph.graph.fgraph import Graph
from symgraph.ifelse import ifelse
from symgraph.scan import Scan, scan
from symgraph.scan.inner import loop_invariant_split
from symgraph.tensor.evaluate import evaluate

rng = np.random.default_rng(5)


def test_scan_is_a_for_loop_over_preallocated_histories():
    x, W, h0 = T.dmatrix("x"), T.dmatrix("W"), T.dvector("h0")
    h, _ = scan(
        lambda x_t, h, W: T.tanh(T.dot(W, h) + x_t), sequences=x, outputs_info=h0, non_sequences=W
    )
    f = theano.function([x, W, h0], h)
    lines = f.source.splitlines()
    loops = [line for line in lines if line.strip().startswith("for ")]
    assert len(loops) == 1 and "range(len(x))" in loops[0]
    assert "np.empty((len(x) + 1,)" in f.source
    assert "append" not in f.source and "stack" not in f.source
    body = lines[lines.index(loops[0]) + 1 :]
    assert any("np.tanh" in line for line in body) and any("W @ " in line for line in body)
    xv, Wv, h0v = rng.normal(size=(5, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)
    np.testing.assert_allclose(f(xv, Wv, h0v), evaluate(h, {x: xv, W: Wv, h0: h0v}), rtol=1e-12)


def test_each_step_is_computed_into_its_row_of_the_history():
    x, W, h0 = T.dmatrix("x"), T.dmatrix("W"), T.dvector("h0")

    def step(x_t, h, W):
        new = T.tanh(T.dot(W, h) + x_t)
        return new, new.sum(), T.dot(W, new)  # the sum is 0-d: its row is a NumPy scalar

    (h, total, projected), _ = scan(
        step, sequences=x, outputs_info=[h0, None, None], non_sequences=W
    )
    f = theano.function([x, W, h0], [h, total, projected])
    loop = f.source.split("for ")[1]
    assert "out=t1[t1_t + 1])" in loop and "t1[t1_t + 1] =" not in loop
    assert ".sum(axis=0, out=" not in loop  # a 0-d value is copied into its row
    xv, Wv, h0v = rng.normal(size=(6, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)
    expected = [evaluate(v, {x: xv, W: Wv, h0: h0v}) for v in (h, total, projected)]
    no_inplace = theano.function([x, W, h0], [h, total, projected], mode=theano.Mode(inplace=False))
    for got, want, plain in zip(f(xv, Wv, h0v), expected, no_inplace(xv, Wv, h0v)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
        np.testing.assert_allclose(plain, want, rtol=1e-12)


def test_invariant_work_is_computed_before_the_loop():
    x, W = T.dmatrix("x"), T.dmatrix("W")
    out, _ = scan(lambda x_t, W: T.dot(T.exp(W), x_t), sequences=x, non_sequences=W)
    f = theano.function([x, W], out)
    lines = f.source.splitlines()
    loop = next(i for i, line in enumerate(lines) if line.strip().startswith("for "))
    exp_line = next(i for i, line in enumerate(lines) if "np.exp(W" in line)
    assert exp_line < loop
    xv, Wv = rng.normal(size=(4, 2)), rng.normal(size=(2, 2))
    np.testing.assert_allclose(f(xv, Wv), xv @ np.exp(Wv).T, rtol=1e-12)


def test_loop_invariant_split_moves_what_rewrites_expose():
    h, W = T.dvector("h"), T.dmatrix("W")
    step = Graph([h, W], [T.dot(T.exp(W), h) + W.sum()])
    before, body = loop_invariant_split(step, n_varying=1)
    assert [type(n.op).__name__ for n in before.apply_nodes].count("Elemwise") == 1
    assert len(body.inputs) == 3 and body.inputs[0] is h
    assert {type(n.op).__name__ for n in body.apply_nodes} == {"Dot", "Elemwise"}
    Wv, hv = rng.normal(size=(2, 2)), rng.normal(size=2)
    hoisted = evaluate(before.outputs[0], {W: Wv}), evaluate(before.outputs[1], {W: Wv})
    result = evaluate(body.outputs[0], dict(zip(body.inputs, [hv, *hoisted])))
    np.testing.assert_allclose(result, np.exp(Wv) @ hv + Wv.sum(), rtol=1e-12)


def test_ifelse_is_an_if_block_with_each_branch_inside():
    c, x = T.dscalar("c"), T.dmatrix("x")
    f = theano.function([c, x], ifelse(c > 0, T.exp(x).sum(), T.log(x).sum()))
    lines = [line.strip() for line in f.source.splitlines()]
    start, middle = (
        lines.index(next(s for s in lines if s.startswith("if t"))),
        lines.index("else:"),
    )
    assert any("np.exp(x)" in s for s in lines[start:middle])
    assert any("np.log(x)" in s for s in lines[middle:])
    assert float(f(1.0, np.ones((2, 2)))) == np.exp(1.0) * 4
    assert float(f(-1.0, np.ones((2, 2)))) == 0.0


def test_carried_states_are_replaced_together():
    a = theano.shared(np.float64(1.0), name="a")
    b = theano.shared(np.float64(2.0), name="b")
    seen, updates = scan(lambda: ((a - b) * 1.0, {a: b, b: a}), n_steps=3)
    f = theano.function([], seen, updates=updates)
    np.testing.assert_allclose(f(), [-1.0, 1.0, -1.0])
    assert (a.get_value(), b.get_value()) == (2.0, 1.0)


def test_outputs_of_unknown_shape_over_zero_steps():
    x = T.dmatrix("x")
    rows, _ = scan(lambda r: r[r > 0], sequences=x)
    f = theano.function([x], rows)
    assert f(np.zeros((0, 3))).shape[0] == 0
    np.testing.assert_allclose(f(np.array([[1.0, -1.0], [-2.0, 3.0]])), [[1.0], [3.0]])


def test_nested_loops_keep_their_own_counters():
    m = T.dmatrix("m")

    def row_step(row, acc):
        inner, _ = scan(lambda v, s: s + v, sequences=row, outputs_info=T.constant(0.0))
        return acc + inner[-1]

    totals, _ = scan(row_step, sequences=m, outputs_info=T.constant(0.0))
    f = theano.function([m], totals)
    mv = rng.normal(size=(4, 3))
    np.testing.assert_allclose(f(mv), np.cumsum(mv.sum(axis=1)), rtol=1e-12)
    assert sum(isinstance(n.op, Scan) for n in f.graph.apply_nodes) == 1


def test_a_gradient_scan_computes_only_the_rows_someone_reads():
    """The gradient w.r.t. W alone: the backward loop does not build the rows of the
    gradient w.r.t. the sequence (``unused_outputs``)."""
    x, W, h0 = T.dmatrix("x"), T.dmatrix("W"), T.dvector("h0")
    h, _ = scan(
        lambda x_t, h, W: T.tanh(T.dot(W, h) + x_t), sequences=x, outputs_info=h0, non_sequences=W
    )
    wanted = theano.grad(h.sum(), W)
    f = theano.function([x, W, h0], wanted)
    assert "np.empty" not in _second_loop(f.source)  # the backward loop keeps no rows
    assert "unused_outputs" in str(f.rewrites)
    both = theano.function([x, W, h0], theano.grad(h.sum(), [W, x]))  # here the rows are read
    assert "np.empty" in _second_loop(both.source)
    xv, Wv, h0v = rng.normal(size=(5, 3)), rng.normal(size=(3, 3)) / 2, rng.normal(size=3)
    slow = theano.function([x, W, h0], wanted, mode="FAST_COMPILE")
    np.testing.assert_allclose(f(xv, Wv, h0v), slow(xv, Wv, h0v), rtol=1e-12)
    np.testing.assert_allclose(both(xv, Wv, h0v)[0], slow(xv, Wv, h0v), rtol=1e-12)


def _second_loop(source: str) -> str:
    lines = source.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith("for ")]
    assert len(starts) == 2
    return "\n".join(lines[starts[1] :])
