"""compare, and every printer given a real compiled function."""

from __future__ import annotations

import re

import numpy as np

import symgraph as theano
import symgraph.tensor as T
from symgraph.printing import compare, debugprint, to_dot, to_networkx
from symgraph.printing.common import op_label
from symgraph.printing.compare import side_by_side


def test_side_by_side_pads_the_left_column():
    assert side_by_side("ab\nc\n", "1\n2\n3\n", gap=" | ") == "ab | 1\nc  | 2\n   | 3\n"


def test_compare_heads_each_tree_with_its_node_count():
    x = T.dvector("x")
    text = compare(T.exp(x) * 1.0 + 0.0, T.exp(x), file="str")
    lines = text.splitlines()
    assert [part.strip() for part in lines[0].split("┃")] == ["before: 3 nodes", "after: 1 node"]
    assert set(lines[1]) <= {"─", " ", "┃"}
    assert lines[2].startswith("add [id A]") and lines[2].endswith("┃  exp [id A]")
    assert lines[3].endswith("┃   └─ x [id B]")
    assert all("┃" in line for line in lines)


def test_compare_with_a_compiled_function_shows_the_schedule(capsys):
    x = T.dvector("x")
    y = T.exp(x) * 2.0 + T.exp(x) * 2.0
    f = theano.function([x], y)
    assert compare(y, f, titles=("built", "compiled")) is None
    out = capsys.readouterr().out
    n = len(f.graph.apply_nodes)
    assert out.startswith("built: 5 nodes") and f"compiled: {n} node" in out
    last = f.graph.outputs[0].owner
    assert f"┃  {last.op} [id A]  {n - 1}" in out


def test_debugprint_of_a_function_prints_its_optimized_graph_with_positions_and_updates():
    x = T.dvector("x")
    w = theano.shared(np.ones(3), name="w")
    f = theano.function([x], T.sum(x * w), updates=[(w, w * 2.0)])
    lines = debugprint(f, file="str").splitlines()
    roots = [line for line in lines if not line.startswith(" ")]
    assert len(roots) == 2 and roots[1].endswith("(update of w)")
    computed = re.compile(r"^[ │├└─]*(.+?) \[id \w+\]  (\d+)")
    positions = set()
    for line in lines:
        match = computed.match(line)
        if match:
            label, position = match.group(1), int(match.group(2))
            assert label == op_label(f.graph.apply_nodes[position].op)
            positions.add(position)
    assert positions == set(range(len(f.graph.apply_nodes)))


def test_networkx_and_dot_of_a_function_follow_its_schedule():
    x = T.dvector("x")
    f = theano.function([x], T.exp(x) + T.log(x))
    g = to_networkx(f)
    orders = sorted(d["order"] for _, d in g.nodes(data=True) if d["kind"] == "apply")
    assert orders == list(range(len(f.graph.apply_nodes)))
    assert to_dot(f).count('shape="box"') == len(f.graph.apply_nodes)
