#!/usr/bin/env python
"""Compiled linear algebra against the same computations written by hand in NumPy.

Three rows, float64, best of several alternated calls each:

* ``inv(A) @ B`` for a 400 x 400 A and 400 x 50 B: FAST_RUN rewrites it into
  ``np.linalg.solve(A, B)``; FAST_COMPILE keeps the inversion. Against
  ``np.linalg.solve`` by hand.
* the log-density of a 200-dimensional Gaussian, written with ``inv`` and
  ``log(det(cholesky(S)))``, at 100 points, and its gradient with respect to
  the points. Against the same by hand, written well (one solve, the log
  determinant from the Cholesky factor's diagonal).
* ``cumprod`` of a 1000 x 1000 matrix along its rows, and the gradient of its
  sum (exact at zeros). Against ``np.cumprod`` and the textbook gradient
  ``reverse_cumsum(y) / x`` (which is NaN at zeros).

The sides alternate, call by call, so load that comes and goes affects both;
BLAS runs on one thread unless ``OPENBLAS_NUM_THREADS`` says otherwise.

Run: ``python benchmarks/linalg_bench.py``
"""

from __future__ import annotations

import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads its BLAS

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import symgraph as theano  # noqa: E402
import symgraph.tensor as T  # noqa: E402

REPEATS = 30


def best_times(fns, *args) -> list[float]:
    """The fastest of ``REPEATS`` calls of each function, timed alternately (same machine load)."""
    best = [float("inf")] * len(fns)
    for fn in fns:
        fn(*args)
    for _ in range(REPEATS):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn(*args)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def row(name: str, ours: dict, reference, args, check) -> None:
    """Time each compiled function and the NumPy reference; check values; print a line."""
    expected = reference(*args)
    for fn in ours.values():
        check(fn(*args), expected)
    numpy_time, *times = best_times([reference, *ours.values()], *args)
    cells = [f"{label} {t * 1e3:8.2f} ms ({t / numpy_time:4.2f}x)" for label, t in zip(ours, times)]
    print(f"{name:<30} numpy {numpy_time * 1e3:8.2f} ms   " + "   ".join(cells))


def close(got, want) -> None:
    for g, w in zip(
        got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]
    ):
        np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9)


def inverse_product() -> None:
    rng = np.random.default_rng(0)
    a_value = rng.normal(size=(400, 400)) + 20 * np.eye(400)
    b_value = rng.normal(size=(400, 50))
    a, b = T.dmatrices("a", "b")
    expr = T.dot(T.linalg.inv(a), b)
    ours = {mode: theano.function([a, b], expr, mode=mode) for mode in ("FAST_RUN", "FAST_COMPILE")}
    row("inv(A) @ B, n=400", ours, np.linalg.solve, (a_value, b_value), close)


def gaussian() -> None:
    rng = np.random.default_rng(1)
    dim, points = 200, 100
    factor = rng.normal(size=(dim, dim))
    cov_value = factor @ factor.T / dim + np.eye(dim)
    x_value = rng.normal(size=(points, dim))

    cov, x = T.dmatrix("cov"), T.dmatrix("x")
    logdet = 2 * T.log(T.linalg.det(T.linalg.cholesky(cov)))
    quadratic = T.sum(x * T.dot(x, T.linalg.inv(cov)), axis=1)
    logp = -0.5 * (quadratic + logdet + dim * np.log(2 * np.pi))
    f = theano.function([cov, x], [logp, T.grad(logp.sum(), x)])

    def by_hand(cov_value, x_value):
        lower = np.linalg.cholesky(cov_value)
        alpha = np.linalg.solve(cov_value, x_value.T)
        logdet = 2 * np.log(np.diagonal(lower)).sum()
        value = -0.5 * ((x_value.T * alpha).sum(axis=0) + logdet + dim * np.log(2 * np.pi))
        return [value, -alpha.T]

    row("Gaussian logp + grad, d=200", {"FAST_RUN": f}, by_hand, (cov_value, x_value), close)


def cumulative_product() -> None:
    rng = np.random.default_rng(2)
    value = rng.uniform(0.9, 1.1, size=(1000, 1000))
    x = T.dmatrix("x")
    y = T.cumprod(x, axis=1)
    f = theano.function([x], [y, T.grad(y.sum(), x)])

    def by_hand(value):
        y = np.cumprod(value, axis=1)
        return [y, np.cumsum(y[:, ::-1], axis=1)[:, ::-1] / value]

    row("cumprod + grad, 1000 x 1000", {"FAST_RUN": f}, by_hand, (value,), close)


def main() -> None:
    inverse_product()
    gaussian()
    cumulative_product()


if __name__ == "__main__":
    main()
