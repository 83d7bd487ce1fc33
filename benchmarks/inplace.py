"""Does writing into a dead buffer pay, and from which size? The measurement behind memory.py.

    python benchmarks/inplace.py

For each array size, the time of the three forms the code generator can emit
for an elementwise node whose input buffer is dead:

* ``c = a + b``                 allocate the result (what every node does without a plan)
* ``a += b``                    augmented assignment, for operator templates
* ``np.add(a, b, out=a)``       the ufunc with ``out=``, for everything else
* and the same for a unary function: ``np.sqrt(a)`` against ``np.sqrt(a, out=a)``.

Prints the time of each in-place form relative to allocating (below 1: in
place is faster). ``inplace.MIN_INPLACE_SIZE`` is the smallest size where the
in-place forms stop losing.
"""

from __future__ import annotations

import os
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from symgraph.compile.inplace import MIN_INPLACE_SIZE  # noqa: E402

SIZES = [0, 1, 2, 16, 256, 4096, 65536, 1 << 20]
#: each in-place form, and the allocating statement it replaces
FORMS = [
    ("a += b", "c = a + b"),
    ("np.add(a, b, out=a)", "c = a + b"),
    ("np.sqrt(a, out=a)", "c = np.sqrt(a)"),
]


def per_call(statement: str, size: int, repeat: int = 7) -> float:
    """CPU seconds per execution of ``statement`` on float64 arrays of ``size`` elements."""
    shape = () if size == 0 else (size,)
    setup = f"a = np.full({shape}, 0.5); b = np.full({shape}, 1e-9)"
    number = max(10, int(2e6 / (size + 200)))
    timer = timeit.Timer(statement, setup, timer=time.process_time, globals={"np": np})
    return min(timer.repeat(repeat, number)) / number


def table() -> list[str]:
    """The Markdown table of in-place time over allocating time, one row per size."""
    rows = [
        "| elements | c = a + b (us) | a += b | np.add(a, b, out=a) | np.sqrt(a, out=a) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for size in SIZES:
        base = per_call("c = a + b", size)
        cells = [f"{base * 1e6:.3f}"]
        for statement, allocating in FORMS:
            reference = base if allocating == "c = a + b" else per_call(allocating, size)
            cells.append(f"{per_call(statement, size) / reference:.2f}")
        label = "0-d" if size == 0 else f"{size:,}"
        rows.append(f"| {label} | {' | '.join(cells)} |")
    return rows


def main() -> None:
    print(f"numpy {np.__version__}; time of the in-place form / time of allocating\n")
    print("\n".join(table()))
    print(f"\nMIN_INPLACE_SIZE = {MIN_INPLACE_SIZE} (0-d values are never written in place)")


if __name__ == "__main__":
    main()
