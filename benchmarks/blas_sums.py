"""Is a matrix's sum over its rows faster as a BLAS product with ones? The measurement
behind the ``blas_sums`` rewrite (``SumOverRows``).

    python benchmarks/blas_sums.py

For each shape and float dtype: the time of NumPy's ``x.sum(axis=0, out=out)`` and of
``np.dot(ones_for_rows(x), x, out=out)`` (what the rewrite generates, the cached ones
included), their ratio, and each one's largest error against a sum in long double.
"""

from __future__ import annotations

import os
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from symgraph.tensor.reduction import ones_for_rows  # noqa: E402

SHAPES = [(4, 3), (32, 64), (128, 256), (400, 1), (1000, 1000), (100000, 10), (10, 100000)]


def per_call(call, size: int) -> float:
    number = max(10, int(2e5 / size))
    return min(timeit.repeat(call, number=number, repeat=5, timer=time.process_time)) / number


def table() -> list[str]:
    rows = [
        "| shape | dtype | x.sum(axis=0) (us) | np.dot(ones, x) (us) | ratio | error sum | error dot |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        for dtype in (np.float64, np.float32):
            x = rng.normal(size=shape).astype(dtype)
            out = np.empty(shape[1], dtype)
            summed = per_call(lambda: x.sum(axis=0, out=out), x.size)
            dotted = per_call(lambda: np.dot(ones_for_rows(x), x, out=out), x.size)
            exact = x.astype(np.longdouble).sum(axis=0)
            errors = [
                float(np.abs(value - exact).max())
                for value in (x.sum(axis=0), np.dot(ones_for_rows(x), x))
            ]
            rows.append(
                f"| {shape[0]}x{shape[1]} | {np.dtype(dtype).name} | {summed * 1e6:.2f} | "
                f"{dotted * 1e6:.2f} | {dotted / summed:.2f} | {errors[0]:.1e} | {errors[1]:.1e} |"
            )
    return rows


def main() -> None:
    print(f"numpy {np.__version__}; ratio = time of the product / time of the sum\n")
    print("\n".join(table()))


if __name__ == "__main__":
    main()
