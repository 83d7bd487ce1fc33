#!/usr/bin/env python
"""A compiled scan against the same loop written by hand in NumPy.

The recurrence ``h_t = tanh(W h_{t-1} + x_t)`` with 64 units over 1000 steps,
keeping every ``h_t`` (as an RNN's forward pass does), in float64. Prints the
best of several timed calls of each, their ratio (target: within 1.5x), and
the same for the gradient of ``sum(h)`` w.r.t. ``W`` (backpropagation through
time, a second scan running backwards) against a hand-written BPTT loop.

Run: ``python benchmarks/scan_bench.py``
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import symgraph as theano  # noqa: E402
import symgraph.tensor as T  # noqa: E402

STEPS, UNITS, REPEATS = 1000, 64, 30


def best_times(ours, theirs, *args) -> tuple[float, float]:
    """The fastest of ``REPEATS`` calls of each, in seconds, timed alternately.

    Alternating exposes both to the same machine load; one warm-up call each.
    """
    best = [float("inf"), float("inf")]
    ours(*args), theirs(*args)
    for _ in range(REPEATS):
        for i, fn in enumerate((ours, theirs)):
            start = time.perf_counter()
            fn(*args)
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def numpy_forward(x: np.ndarray, W: np.ndarray, h0: np.ndarray) -> np.ndarray:
    hs = np.empty((len(x), len(h0)))
    h = h0
    for t in range(len(x)):
        h = np.tanh(W @ h + x[t])
        hs[t] = h
    return hs


def numpy_grad_W(x: np.ndarray, W: np.ndarray, h0: np.ndarray) -> np.ndarray:
    hs = numpy_forward(x, W, h0)
    dW, dh = np.zeros_like(W), np.zeros_like(h0)
    for t in range(len(x) - 1, -1, -1):
        da = (dh + 1.0) * (1.0 - hs[t] * hs[t])
        dW += np.outer(da, hs[t - 1] if t else h0)
        dh = W.T @ da
    return dW


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sequence ``x``, the recurrent weights ``W`` and the initial state ``h0``."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(STEPS, UNITS))
    W = rng.normal(size=(UNITS, UNITS)) / np.sqrt(UNITS)
    return x, W, np.zeros(UNITS)


def compiled(gradient: bool):
    """The compiled forward loop (or its gradient w.r.t. ``W``), and a builder compiling it
    again."""
    x, W, h0 = T.dmatrix("x"), T.dmatrix("W"), T.dvector("h0")
    h, _ = theano.scan(
        lambda x_t, h_prev, W: T.tanh(T.dot(W, h_prev) + x_t),
        sequences=x,
        outputs_info=h0,
        non_sequences=W,
    )
    target = theano.grad(h.sum(), W) if gradient else h

    def build():
        return theano.function([x, W, h0], target)

    return build(), build


def main() -> None:
    args = data()
    start = time.perf_counter()
    forward, _ = compiled(gradient=False)
    backward, _ = compiled(gradient=True)
    compile_time = time.perf_counter() - start
    np.testing.assert_allclose(forward(*args), numpy_forward(*args), rtol=1e-12)
    np.testing.assert_allclose(backward(*args), numpy_grad_W(*args), rtol=1e-9)

    print(f"scan of {STEPS} steps, {UNITS} units, float64 (best of {REPEATS} calls)")
    print(f"{'':18}{'symgraph':>12}{'NumPy loop':>12}{'ratio':>8}")
    for label, ours_fn, by_hand in (
        ("forward", forward, numpy_forward),
        ("gradient (BPTT)", backward, numpy_grad_W),
    ):
        ours, theirs = best_times(ours_fn, by_hand, *args)
        print(f"{label:18}{ours * 1e3:>10.2f}ms{theirs * 1e3:>10.2f}ms{ours / theirs:>8.2f}")
    print(f"building and compiling both functions: {compile_time * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
