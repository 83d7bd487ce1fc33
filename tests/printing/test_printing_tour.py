"""examples/printing_tour.py runs and shows each printer: graphs before and after, the source."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tour_shows_every_printer(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PATH=str(tmp_path))  # no Graphviz here
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "printing_tour.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "cost = let t1 = 1 / (1 + exp(-(x @ w) - b)); " in out  # pprint
    assert "add [id A] 'cost'" in out and "true_div [id I] ···" in out  # debugprint
    assert "<Vector(float64)>" in out  # types
    assert "before: " in out and "after: " in out and "┃" in out  # compare
    assert "(update of w)" in out and "(update of b)" in out  # the compiled train function
    assert "def fn(x, y):" in out and "np." in out  # generated source
    assert "firings)" in out
    assert "before optimization: " in out and "after optimization: " in out  # networkx
    assert 'digraph "symgraph" {' in out and "install Graphviz's `dot`" in out
    assert "cost  = " in out and "Sum(" in out and "\\sum_{i=0}" in out  # SymPy, LaTeX
    assert "x @ w = x*w" in out
    assert "after 10 steps: mean cross-entropy" in out
