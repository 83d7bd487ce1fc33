"""One expression, or an in-place ``out=`` sequence? The measurement behind ``Fused.code``.

    python benchmarks/fusion_forms.py

For a fused chain like the seed program's gradient, ``(1 / (1 + exp(-x)) - y)
* 0.5 + x * x``, the time of the one NumPy expression a ``Fused`` node emits
against the same work as ufunc calls writing into one buffer with ``out=``,
at sizes from 100 to 4,000,000 elements. A ratio below 1 means the in-place
sequence is faster. The two alternate, so a change in machine load hits both.
"""

from __future__ import annotations

import timeit

import numpy as np

SIZES = [100, 10_000, 100_000, 1_000_000, 4_000_000]


def expression(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-x)) - y) * 0.5 + x * x


def in_place(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.negative(x)
    np.exp(out, out=out)
    np.add(out, 1.0, out=out)
    np.divide(1.0, out, out=out)
    np.subtract(out, y, out=out)
    np.multiply(out, 0.5, out=out)
    square = np.multiply(x, x)
    np.add(out, square, out=out)
    return out


def main() -> None:
    rng = np.random.default_rng(0)
    print("| elements | expression (µs) | out= sequence (µs) | ratio |")
    print("| ---: | ---: | ---: | ---: |")
    for size in SIZES:
        x, y = rng.normal(size=size), rng.normal(size=size)
        np.testing.assert_allclose(expression(x, y), in_place(x, y))
        number = max(1, 2_000_000 // size)
        best = [float("inf"), float("inf")]
        for _ in range(7):
            for k, form in enumerate((expression, in_place)):
                best[k] = min(best[k], timeit.timeit(lambda f=form: f(x, y), number=number))
        ours, theirs = (b / number * 1e6 for b in best)
        print(f"| {size:,} | {ours:.1f} | {theirs:.1f} | {theirs / ours:.2f} |")


if __name__ == "__main__":
    main()
