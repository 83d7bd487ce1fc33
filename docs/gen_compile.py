#!/usr/bin/env python
"""Regenerate docs/compile.md: the outputs of its code blocks and its measured tables.

Every ```python block of the page runs in order in one namespace, compiled
under the page's name and line numbers as tests/test_docs.py runs it, and the
output block right after it is replaced by what the block printed. Blocks
fenced ```text are compared by the docs test; ```console blocks (the
optimized train function, which follows the optimizer's current rules) are
refreshed here only. Then each ``<!-- measured: name -->`` region is filled
with a freshly measured table.

Run: ``python docs/gen_compile.py`` (about a minute: it runs the benchmarks).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import timeit
import warnings
from pathlib import Path

from docblocks import refresh_outputs

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
PAGE = DOCS / "compile.md"
OUTPUT_FENCES = ("text", "console")
MEASURED = re.compile(r"(<!-- measured: (\w+) -->\n)(.*?)(<!-- /measured -->)", re.DOTALL)


def overhead_table() -> list[str]:
    """CPU time per call of a compiled scalar ``x + y``, called in the ways users call it."""
    import numpy as np

    import symgraph as theano
    import symgraph.tensor as T

    x, y = T.dscalars("x", "y")
    total = x + y
    f = theano.function([x, y], total)
    a, b = np.array(2.0), np.array(3.0)
    calls = {
        "`a + b`, bare NumPy on 0-d arrays": lambda: a + b,
        "`f(a, b)`, 0-d arrays": lambda: f(a, b),
        "`f(2.0, 3.0)`, Python floats": lambda: f(2.0, 3.0),
        "`f(x=a, y=b)`, keywords": lambda: f(x=a, y=b),
        "`total.eval({x: a, y: b})`, reference evaluator": lambda: total.eval({x: a, y: b}),
    }
    rows = ["| call | us |", "|---|---:|"]
    for label, call in calls.items():
        call()
        seconds = min(timeit.repeat(call, number=20000, repeat=7, timer=time.process_time)) / 20000
        rows.append(f"| {label} | {seconds * 1e6:.2f} |")
    compiling = min(timeit.repeat(lambda: theano.function([x, y], total), number=1, repeat=5))
    rows.append(f"| `function([x, y], x + y)`, compiling | {compiling * 1e6:.0f} |")
    return rows


def measured_tables() -> dict[str, list[str]]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import inplace
    import run

    return {
        "inplace": inplace.table(),
        "overhead": overhead_table(),
        "benchmarks": run.table(repeat=10),
    }


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    warnings.simplefilter("ignore", RuntimeWarning)
    tables = measured_tables()
    text = MEASURED.sub(
        lambda m: m.group(1) + "\n".join(tables[m.group(2)]) + "\n" + m.group(4),
        PAGE.read_text(encoding="utf-8"),
    )
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # files the page writes land here, as in tests/test_docs.py
        # an output of a new length moves the lines of the blocks below it: repeat until stable
        for _ in range(3):
            namespace = {"__name__": "__docs__"}
            display = str(PAGE.relative_to(ROOT))
            previous, text = text, refresh_outputs(text, display, namespace, OUTPUT_FENCES)
            if text == previous:
                break
        os.chdir(here)
    PAGE.write_text(text, encoding="utf-8")
    print("wrote", PAGE)


if __name__ == "__main__":
    main()
