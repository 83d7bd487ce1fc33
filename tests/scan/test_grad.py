"""Gradients of scan (backpropagation through time) against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph.compile.shared import shared
from symgraph.gradient import grad, numeric_grad, verify_grad
from symgraph.graph.traversal import toposort
from symgraph.ifelse import ifelse
from symgraph.scan import Scan, reduce, scan

rng = np.random.default_rng(11)


def rnn(x, W, h0):
    h, _ = scan(
        lambda x_t, h, W: T.tanh(W @ h + x_t), sequences=x, outputs_info=h0, non_sequences=W
    )
    return h


def test_rnn_gradient_wrt_sequence_initial_state_and_non_sequence():
    verify_grad(rnn, [rng.normal(size=(5, 3)), 0.5 * rng.normal(size=(3, 3)), rng.normal(size=3)])


def test_rnn_gradient_matches_hand_written_bptt():
    x, W, h0 = T.dmatrix("x"), T.dmatrix("W"), T.dvector("h0")
    cost = (rnn(x, W, h0) ** 2).sum()
    gx, gW, gh0 = grad(cost, [x, W, h0])
    xv, Wv, h0v = rng.normal(size=(6, 4)), 0.5 * rng.normal(size=(4, 4)), rng.normal(size=4)
    hs = [h0v]
    for t in range(6):
        hs.append(np.tanh(Wv @ hs[-1] + xv[t]))
    dh, dW, dx = np.zeros(4), np.zeros((4, 4)), np.zeros((6, 4))
    for t in reversed(range(6)):
        dh = dh + 2 * hs[t + 1]
        da = dh * (1 - hs[t + 1] ** 2)
        dx[t], dW = da, dW + np.outer(da, hs[t])
        dh = Wv.T @ da
    values = {x: xv, W: Wv, h0: h0v}
    np.testing.assert_allclose(gx.eval(values), dx, rtol=1e-10)
    np.testing.assert_allclose(gW.eval(values), dW, rtol=1e-10)
    np.testing.assert_allclose(gh0.eval(values), dh, rtol=1e-10)


def test_gradient_through_output_taps():
    def fib_like(init, c):
        out, _ = scan(
            lambda a, b, c: T.sin(a) * c[0] + b * c[1],
            outputs_info=dict(initial=init, taps=[-2, -1]),
            non_sequences=c,
            n_steps=5,
        )
        return out

    verify_grad(fib_like, [rng.normal(size=3), np.array([0.7, 0.9])])


def test_gradient_through_sequence_taps_and_go_backwards():
    def windowed(x, w):
        out, _ = scan(
            lambda a, b, c, w: T.tanh(a * w[0] + b * w[1] + c * w[2]),
            sequences=dict(input=x, taps=[-2, 0, 1]),
            non_sequences=w,
            go_backwards=True,
        )
        return out

    verify_grad(windowed, [rng.normal(size=(7, 2)), rng.normal(size=3)])


def test_gradient_of_state_and_not_fed_back_outputs_together():
    def two_outputs(x, s0):
        def step(x_t, s):
            new = s * T.cos(x_t) + x_t
            return [new, T.exp(new) * x_t]

        (states, extra), _ = scan(step, sequences=x, outputs_info=[s0, None])
        return states.sum() + extra[1:].sum() * 0.5

    verify_grad(two_outputs, [rng.normal(size=(4, 2)), rng.normal(size=2)])


def test_gradient_of_reduce_and_power():
    def power(A):
        result, _ = scan(
            lambda p, A: p * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=4
        )
        return result[-1]

    verify_grad(power, [rng.uniform(0.5, 1.5, size=3)])
    x = T.dvector("x")
    total, _ = reduce(lambda v, acc: acc + v * v, x, T.constant(0.0))
    np.testing.assert_allclose(grad(total, x).eval({x: np.array([1.0, -2.0])}), [2.0, -4.0])


def test_gradient_wrt_a_shared_variable_read_inside():
    W = shared(0.5 * rng.normal(size=(3, 3)), name="W")
    x = T.dmatrix("x")
    h, _ = scan(lambda x_t, h: T.tanh(T.dot(W, h) + x_t), sequences=x, outputs_info=T.zeros((3,)))
    cost = h[-1].sum()
    xv = rng.normal(size=(4, 3))
    analytic = grad(cost, W).eval({x: xv})

    def cost_at(Wv):
        W.set_value(Wv)
        return cost.eval({x: xv})

    Wv = W.get_value()
    numeric = numeric_grad(cost_at, Wv).gf
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_truncated_gradient_backpropagates_through_the_last_steps_only():
    x, w, h0 = T.dvector("x"), T.dscalar("w"), T.dscalar("h0")
    h, _ = scan(
        lambda x_t, h, w: T.tanh(w * h + x_t),
        sequences=x,
        outputs_info=h0,
        non_sequences=w,
        truncate_gradient=2,
    )
    cost = h.sum()
    gx, gw, gh0 = grad(cost, [x, w, h0])
    xv, wv, h0v = rng.normal(size=5), 0.8, 0.3
    hs = [h0v]
    for t in range(5):
        hs.append(np.tanh(wv * hs[-1] + xv[t]))
    dx, dw, dh = np.zeros(5), 0.0, 0.0
    for t in (4, 3):
        dh = dh + 1.0
        da = dh * (1 - hs[t + 1] ** 2)
        dx[t], dw, dh = da, dw + da * hs[t], wv * da
    values = {x: xv, w: wv, h0: h0v}
    np.testing.assert_allclose(gx.eval(values), dx, rtol=1e-12)
    np.testing.assert_allclose(gw.eval(values), dw, rtol=1e-12)
    assert float(gh0.eval(values)) == 0.0
    short = {x: xv[:2], w: wv, h0: h0v}
    untruncated = grad(rnn_scalar(x, w, h0).sum(), h0).eval(short)
    np.testing.assert_allclose(gh0.eval(short), untruncated, rtol=1e-12)


def rnn_scalar(x, w, h0):
    h, _ = scan(
        lambda x_t, h, w: T.tanh(w * h + x_t), sequences=x, outputs_info=h0, non_sequences=w
    )
    return h


def test_second_derivative_through_scan():
    def gradient_of_power(a):
        result, _ = scan(
            lambda p, a: p * a, outputs_info=T.ones_like(a), non_sequences=a, n_steps=3
        )
        return grad(result[-1].sum(), a)

    verify_grad(gradient_of_power, [np.array([0.5, 1.5])])


def test_gradient_with_a_carried_shared_update_recomputes_the_history():
    scale = shared(np.float64(1.0), name="scale")
    x = T.dvector("x")
    out, updates = scan(lambda v: (v * scale, {scale: scale * 2}), sequences=x)
    gx = grad(out.sum(), x)
    np.testing.assert_allclose(gx.eval({x: np.zeros(4)}), [1.0, 2.0, 4.0, 8.0])
    # the forward loop kept only the final value; the gradient reads a twin that keeps all
    forward = [
        n.op.stored for n in toposort([gx]) if isinstance(n.op, Scan) and n.op.name == "scan"
    ]
    assert (True,) in forward


def test_gradient_of_integer_inputs_is_none():
    up_to, x = T.iscalar("up_to"), T.dscalar("x")
    out, _ = scan(lambda k, x: x * T.cast(k, "float64"), sequences=T.arange(up_to), non_sequences=x)
    g = grad(out.sum(), x)
    assert float(g.eval({up_to: 4, x: 2.0})) == pytest.approx(6.0)


def test_gradient_through_ifelse_inside_the_step():
    def gated(x, h0):
        def step(x_t, h):
            return ifelse(x_t.sum() > 0, T.tanh(h + x_t), h * x_t)

        h, _ = scan(step, sequences=x, outputs_info=h0)
        return h

    verify_grad(gated, [rng.normal(size=(6, 2)), rng.normal(size=2)])


def test_gradient_with_passthrough_and_repeated_outputs():
    def odd_steps(x, h0):
        def step(x_t, h):
            y = T.exp(x_t) * h
            return [h, y, y]

        (kept, y1, y2), _ = scan(step, sequences=x, outputs_info=[h0, None, None])
        return kept.sum() + y1.sum() + 2 * y2.sum()

    verify_grad(odd_steps, [rng.normal(size=(4, 2)), rng.normal(size=2)])
