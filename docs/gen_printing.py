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

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
PAGE = DOCS / "printing.md"
PICTURES = {"cost": "printing_cost_before.svg", "cost_fn": "printing_cost_after.svg"}
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
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


def refresh(text: str, namespace: dict) -> str:
    """The page with each output block replaced by what the python block before it prints."""
    pieces, last = [], 0
    fences = list(FENCE.finditer(text))
    for i, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        line = text.count("\n", 0, fence.start(2)) + 1
        code = compile("\n" * (line - 1) + fence.group(2), str(PAGE), "exec")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)
        after = fences[i + 1] if i + 1 < len(fences) else None
        if after is None or text[fence.end() : after.start()].strip():
            continue
        if after.group(1) in OUTPUT_FENCES:
            output = printed.getvalue().replace(str(ROOT) + os.sep, "")
            pieces += [text[last : after.start(2)], output]
            last = after.end(2)
    return "".join(pieces) + text[last:]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from symgraph.printing import pydotprint

    ensure_dot()
    namespace: dict = {"__name__": "docs_printing"}
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # files the page writes land here, as in tests/test_docs.py
        PAGE.write_text(refresh(PAGE.read_text(encoding="utf-8"), namespace), encoding="utf-8")
    for name, picture in PICTURES.items():
        print("wrote", pydotprint(namespace[name], str(DOCS / picture), format="svg"))
    print("wrote", PAGE)


if __name__ == "__main__":
    main()
