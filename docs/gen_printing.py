#!/usr/bin/env python
"""Regenerate the outputs and pictures of docs/printing.md from the code on the page.

Every ```python block of the page runs in order in one namespace, as
tests/test_docs.py runs it, and the output block right after it is replaced
by what the block printed. Output blocks fenced ```text are compared by the
docs test; those fenced ```console depend on the optimizer's current rules
(compiled graphs, generated source, rewrite logs), so they are refreshed here
but not compared, and a new rewrite rule does not break the page.

Then the seed cost is rendered before and after optimization with Graphviz's
``dot`` into docs/printing_cost_before.svg and docs/printing_cost_after.svg.
Graphviz is a system package: run as root, this script installs it with
apt-get when it is missing; otherwise it says what to install and stops.

Run: ``python docs/gen_printing.py``
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from docblocks import refresh_outputs

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
PAGE = DOCS / "printing.md"
PICTURES = {"cost": "printing_cost_before.svg", "cost_fn": "printing_cost_after.svg"}
OUTPUT_FENCES = ("text", "output", "console")


def ensure_dot() -> str:
    """The path of ``dot``, installing Graphviz with apt-get when running as root."""
    dot = shutil.which("dot")
    if dot is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing Graphviz (apt-get install graphviz) ...", file=sys.stderr)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "graphviz"], check=True)
        dot = shutil.which("dot")
    if dot is None:
        sys.exit(
            "docs/gen_printing.py needs Graphviz's `dot` program to draw the pictures: install "
            "Graphviz (apt-get install graphviz, brew install graphviz) and run it again"
        )
    return dot


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from symgraph.printing import pydotprint

    ensure_dot()
    namespace: dict = {"__name__": "docs_printing"}
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # files the page writes land here, as in tests/test_docs.py
        text = refresh_outputs(
            PAGE.read_text(encoding="utf-8"),
            str(PAGE),
            namespace,
            OUTPUT_FENCES,
            clean=lambda printed: printed.replace(str(ROOT) + os.sep, ""),
        )
        PAGE.write_text(text, encoding="utf-8")
    for name, picture in PICTURES.items():
        print("wrote", pydotprint(namespace[name], str(DOCS / picture), format="svg"))
    print("wrote", PAGE)


if __name__ == "__main__":
    main()
