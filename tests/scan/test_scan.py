"""Every form of scan against a NumPy loop written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.compile.shared import shared
from symgraph.scan import Scan, foldl, foldr, map, reduce, scan
from symgraph.tensor.evaluate import evaluate

rng = np.random.default_rng(7)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def value(expr, givens=None):
    """``expr`` computed by generated code, checked against the reference ``impl`` evaluation."""
    compiled = expr.eval(givens or {})
    close(compiled, evaluate(expr, givens or {}))
    return compiled


def fails(expr, givens, error, match):
    """Generated code and the reference evaluation raise the same kind of error."""
    for run in (expr.eval, lambda g: evaluate(expr, g)):
        with pytest.raises(error, match=match):
            run(givens)


def test_recurrence_over_a_sequence_with_a_non_sequence():
    x, W, h0 = T.dmatrix("x"), T.dmatrix("W"), T.dvector("h0")
    h, updates = scan(
        lambda x_t, h_prev, W: T.tanh(W @ h_prev + x_t),
        sequences=x,
        outputs_info=h0,
        non_sequences=W,
    )
    xv, Wv, h0v = rng.normal(size=(6, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    expected, prev = [], h0v
    for t in range(6):
        prev = np.tanh(Wv @ prev + xv[t])
        expected.append(prev)
    assert updates == {}
    assert h.type.ndim == 2
    close(value(h, {x: xv, W: Wv, h0: h0v}), expected)


def test_power_by_n_steps_without_sequences():
    A, k = T.dvector("A"), T.iscalar("k")
    result, _ = scan(
        lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k
    )
    Av = np.array([1.0, 2.0, 3.0])
    close(value(result[-1], {A: Av, k: 5}), Av**5)
    assert value(result, {A: Av, k: 3}).shape == (3, 3)


def test_polynomial_outputs_not_fed_back_and_shortest_sequence_sets_length():
    coefficients, x = T.dvector("coefficients"), T.dscalar("x")
    components, _ = scan(
        lambda c, power, x: c * x**power,
        sequences=[coefficients, T.arange(1000)],
        non_sequences=x,
    )
    cv = np.array([1.0, 0.0, 2.0])
    close(value(components, {coefficients: cv, x: 3.0}), [1.0, 0.0, 18.0])
    close(value(components.sum(), {coefficients: cv, x: 3.0}), 19.0)


def test_output_taps_fibonacci():
    init = T.dvector("init")
    fib, _ = scan(
        lambda a, b: a + b, outputs_info=dict(initial=init, taps=[-2, -1]), n_steps=T.constant(8)
    )
    close(value(fib, {init: np.array([0.0, 1.0])}), [1, 2, 3, 5, 8, 13, 21, 34])


def test_output_taps_read_in_the_order_given():
    init = T.dvector("init")
    out, _ = scan(
        lambda late, early: late - 10 * early,
        outputs_info=dict(initial=init, taps=[-1, -3]),
        n_steps=4,
    )
    hist = [1.0, 2.0, 3.0]
    for _ in range(4):
        hist.append(hist[-1] - 10 * hist[-3])
    close(value(out, {init: np.array([1.0, 2.0, 3.0, 99.0])}), hist[3:])


def test_sequence_taps_negative_and_positive():
    x = T.dvector("x")
    back, _ = scan(lambda a, b: a * 10 + b, sequences=dict(input=x, taps=[-2, -1]))
    around, _ = scan(lambda a, b, c: a + 2 * b + 3 * c, sequences=dict(input=x, taps=[-1, 0, 1]))
    xv = rng.normal(size=7)
    close(value(back, {x: xv}), [xv[t - 2] * 10 + xv[t - 1] for t in range(2, 7)])
    close(value(around, {x: xv}), [xv[t - 1] + 2 * xv[t] + 3 * xv[t + 1] for t in range(1, 6)])


def test_mixed_outputs_states_and_not_fed_back():
    x, s0 = T.dvector("x"), T.dscalar("s0")

    def step(x_t, s_prev):
        s = s_prev + x_t
        return [s * 2, s]

    doubled, running = scan(step, sequences=x, outputs_info=[None, s0])[0]
    xv = rng.normal(size=5)
    close(value(running, {x: xv, s0: 1.0}), 1.0 + np.cumsum(xv))
    close(value(doubled, {x: xv, s0: 1.0}), 2 * (1.0 + np.cumsum(xv)))


def test_go_backwards_reads_sequences_from_the_end():
    x = T.dvector("x")
    acc, _ = scan(
        lambda v, a: a * 2 + v, sequences=x, outputs_info=T.constant(0.0), go_backwards=True
    )
    xv = np.array([1.0, 2.0, 3.0])
    close(value(acc, {x: xv}), [3.0, 8.0, 17.0])


def test_n_steps_with_sequences_and_a_too_short_sequence():
    x = T.dvector("x")
    n = T.lscalar("n")
    out, _ = scan(lambda v: v * 2, sequences=x, n_steps=n)
    close(value(out, {x: np.arange(5.0), n: 3}), [0.0, 2.0, 4.0])
    fails(out, {x: np.arange(2.0), n: 3}, ValueError, "shape")
    fails(out, {x: np.arange(2.0), n: -1}, ValueError, "negative")


def test_taps_need_enough_elements():
    x = T.dvector("x")
    out, _ = scan(lambda a, b: a + b, sequences=dict(input=x, taps=[-2, 0]))
    fails(out, {x: np.arange(1.0)}, ValueError, "shape")
    init = T.dvector("init")
    fib, _ = scan(lambda a, b: a + b, outputs_info=dict(initial=init, taps=[-2, -1]), n_steps=3)
    fails(fib, {init: np.array([1.0])}, ValueError, "shape")


def test_zero_steps_give_empty_results():
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    h, _ = scan(lambda x_t, h: h + x_t, sequences=x, outputs_info=h0)
    assert value(h, {x: np.zeros((0, 3)), h0: np.ones(3)}).shape == (0, 3)


def test_shared_variable_read_inside_and_updated():
    w = shared(np.array([1.0, 2.0]), name="w")
    count = shared(0, name="count")
    x = T.dmatrix("x")

    def step(x_t):
        return (x_t * w).sum(), {count: count + 1}

    totals, updates = scan(step, sequences=x)
    xv = rng.normal(size=(4, 2))
    close(value(totals, {x: xv}), xv @ np.array([1.0, 2.0]))
    assert list(updates) == [count]
    assert int(value(updates[count], {x: xv})) == 4
    assert count.get_value() == 0


def test_fn_returning_only_updates_like_theanos_loop_counter():
    k = shared(0, name="k")
    n = T.iscalar("n")
    result, updates = scan(lambda: {k: k + 1}, n_steps=n)
    assert result is None
    assert int(value(updates[k], {n: 7})) == 7


def test_updated_shared_variable_is_seen_updated_at_each_step():
    acc = shared(np.float64(1.0), name="acc")
    seen, updates = scan(lambda: (acc * 1.0, {acc: acc * 2}), n_steps=4)
    close(value(seen), [1.0, 2.0, 4.0, 8.0])
    close(value(updates[acc]), 16.0)


def test_closure_over_outer_variables_is_hoisted_out_of_the_loop():
    x, W = T.dmatrix("x"), T.dmatrix("W")
    WT = W.T * 2
    out, _ = scan(lambda x_t: T.dot(WT, x_t) + T.exp(W).sum(), sequences=x)
    node = out.owner
    assert isinstance(node.op, Scan)
    step_ops = {type(n.op).__name__ for n in node.op.step.apply_nodes}
    assert step_ops == {"Dot", "Elemwise"}, step_ops  # the transpose and the sum moved out
    assert [type(n.op).__name__ for n in node.op.step.apply_nodes].count("Elemwise") == 1
    xv, Wv = rng.normal(size=(3, 2)), rng.normal(size=(2, 2))
    close(value(out, {x: xv, W: Wv}), [2 * Wv.T @ xv[t] + np.exp(Wv).sum() for t in range(3)])


def test_map_reduce_foldl_foldr():
    x = T.dvector("x")
    xv = np.array([1.0, 2.0, 3.0, 4.0])
    squares, _ = map(lambda v: v**2, x)
    close(value(squares, {x: xv}), xv**2)
    total, _ = reduce(lambda v, acc: acc + v, x, T.constant(0.0))
    close(value(total, {x: xv}), 10.0)
    left, _ = foldl(lambda v, acc: acc * 10 + v, x, T.constant(0.0))
    right, _ = foldr(lambda v, acc: acc * 10 + v, x, T.constant(0.0))
    close(value(left, {x: xv}), 1234.0)
    close(value(right, {x: xv}), 4321.0)


def test_nested_scan_and_cumulative_sum():
    m = T.dmatrix("m")

    def row_cumsum(row):
        sums, _ = scan(lambda v, acc: acc + v, sequences=row, outputs_info=T.constant(0.0))
        return sums

    out, _ = map(row_cumsum, m)
    mv = rng.normal(size=(3, 4))
    close(value(out, {m: mv}), np.cumsum(mv, axis=1))


def test_integer_accumulation_keeps_its_dtype():
    up_to = T.iscalar("up_to")
    seq = T.arange(up_to)
    out, _ = scan(lambda v, acc: acc + v, sequences=seq, outputs_info=T.constant(np.int32(0)))
    assert out.dtype == "int32"
    np.testing.assert_array_equal(value(out, {up_to: 5}), np.cumsum(np.arange(5)))


def test_errors_are_clear():
    x, h0 = T.dvector("x"), T.dscalar("h0")
    with pytest.raises(TypeError, match="dtype and shape"):
        scan(lambda v, h: T.cast(h + v, "float32"), sequences=x, outputs_info=h0)
    with pytest.raises(TypeError, match="2 outputs but outputs_info has 1"):
        scan(lambda v, h: [h, v], sequences=x, outputs_info=[h0])
    with pytest.raises(TypeError, match="n_steps"):
        scan(lambda: T.constant(1.0))
    with pytest.raises(TypeError, match="strict"):
        scan(lambda v: v * h0, sequences=x, strict=True)
    out, _ = scan(lambda v, h0: v * h0, sequences=x, non_sequences=h0, strict=True)
    close(value(out, {x: np.array([1.0, 2.0]), h0: 3.0}), [3.0, 6.0])
    with pytest.raises(TypeError, match="negative"):
        scan(lambda h: h, outputs_info=dict(initial=x, taps=[0]), n_steps=2)


def test_inner_graphs_are_exposed_for_printing():
    x = T.dvector("x")
    out, _ = scan(lambda v: v * 2, sequences=x, name="double")
    op = out.owner.op
    assert str(op) == "Scan{double}"
    ((name, graph),) = op.inner_graphs.items()
    assert name == "step" and len(graph.apply_nodes) == 1


def test_fn_sees_the_non_sequences_themselves():
    """Theano's tutorial Jacobian: ``T.grad(y[i], x)`` inside fn, with y and x passed as
    non-sequences, needs them to be the outer variables (a copy of x would not be
    connected to y)."""
    x = T.dvector("x")
    y = x**2
    J, updates = theano.scan(
        lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x]
    )
    f = theano.function([x], J, updates=updates)
    np.testing.assert_array_equal(f([4.0, 4.0]), [[8.0, 0.0], [0.0, 8.0]])
