"""to_networkx, to_dot and pydotprint: structure, attributes, DOT that parses, rendering."""

from __future__ import annotations

import os
import re
import stat

import networkx as nx
import pytest

import symgraph.tensor as T
from symgraph.printing import pydotprint, to_dot, to_networkx


def small_graph():
    """``(exp(x) - y) * exp(x)``, with the shared ``exp(x)`` named ``e``."""
    x, y = T.dvector("x"), T.dscalar("y")
    e = T.exp(x)
    e.name = "e"
    out = (e - y) * e + 2.0
    out.name = "out"
    return x, y, e, out


def test_networkx_graph_has_variables_and_apply_nodes_with_attributes():
    x, y, e, out = small_graph()
    g = to_networkx(out)
    applies = {k: d for k, d in g.nodes(data=True) if d["kind"] == "apply"}
    variables = {k: d for k, d in g.nodes(data=True) if d["kind"] == "variable"}
    assert sorted(d["op"] for d in applies.values()) == ["add", "exp", "mul", "sub"]
    assert len(variables) == 7  # x, y, 2.0, e, e - y, (e - y) * e, out
    assert nx.is_directed_acyclic_graph(g) and nx.is_bipartite(g)
    by_label = {d["label"]: d for d in variables.values() if d["label"]}
    assert by_label["x"]["role"] == "input" and by_label["x"]["shape"] == "(?,)"
    assert by_label["2.0"]["role"] == "constant" and by_label["2.0"]["type"] == "Scalar(float64)"
    assert by_label["out"]["output"] and by_label["e"]["name"] == "e"
    assert all(d["where"].endswith(".py:" + d["where"].rsplit(":", 1)[1]) for d in applies.values())
    (exp_node,) = [k for k, d in applies.items() if d["op"] == "exp"]
    (e_key,) = g.successors(exp_node)
    assert len(list(g.successors(e_key))) == 2  # one node for e, read twice
    (sub_node,) = [k for k, d in applies.items() if d["op"] == "sub"]
    assert {g.edges[p, sub_node]["position"] for p in g.predecessors(sub_node)} == {0, 1}
    assert [applies[k]["order"] for k in sorted(applies, key=lambda k: applies[k]["order"])] == [
        0, 1, 2, 3,
    ]  # fmt: skip
    assert "<graphml" in "".join(nx.generate_graphml(g))  # plain attributes: exportable


def parse_dot(text: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict]]]:
    """A minimal DOT reader for what to_dot writes: node and edge statements with attributes."""
    assert text.startswith("digraph ") and text.rstrip().endswith("}")
    attr = r'(\w+)="((?:[^"\\]|\\.)*)"'
    nodes, edges = {}, []
    for line in text.splitlines()[1:-1]:
        line = line.strip()
        assert line.endswith(";"), line
        if re.fullmatch(attr + ";", line):
            continue  # a graph attribute
        statement = re.fullmatch(r"(\w+)(?: -> (\w+))?(?: \[(.*)\])?;", line)
        assert statement, line
        source, target, attrs = statement.groups()
        attrs = {k: re.sub(r"\\(.)", r"\1", v) for k, v in re.findall(attr, attrs or "")}
        if source in ("node", "edge"):
            continue
        if target is None:
            nodes[source] = attrs
        else:
            edges.append((source, target, attrs))
    return nodes, edges


def test_dot_text_parses_and_draws_intermediates_as_edges():
    x, y, e, out = small_graph()
    nodes, edges = parse_dot(to_dot(out))
    labels = sorted(d["label"] for d in nodes.values())
    assert labels == ["2.0", "add", "exp", "mul", "out", "sub", "x", "y"]
    assert all(s in nodes and t in nodes for s, t, _ in edges)
    by_label = {d["label"]: k for k, d in nodes.items()}
    named = [(s, t, a) for s, t, a in edges if a.get("label") == "e"]
    assert {(s, t) for s, t, _ in named} == {
        (by_label["exp"], by_label["sub"]),
        (by_label["exp"], by_label["mul"]),
    }
    into_sub = {a.get("headlabel") for s, t, a in edges if t == by_label["sub"]}
    assert into_sub == {"0", "1"}  # order matters for sub, not for mul or add
    assert all("headlabel" not in a for s, t, a in edges if t in (by_label["mul"], by_label["add"]))
    assert nodes[by_label["x"]]["fillcolor"] == "palegreen"
    assert nodes[by_label["out"]]["fillcolor"] == "gold"


def test_a_variable_read_twice_by_one_node_is_one_edge_marked_with_its_count():
    x = T.dvector("x")
    g = to_networkx(x * x)
    ((source, target, data),) = g.in_edges(
        [k for k, d in g.nodes(data=True) if d["kind"] == "apply"], data=True
    )
    assert (data["position"], data["count"]) == (0, 2)
    _, edges = parse_dot(to_dot(x * x))
    assert [a["label"] for s, t, a in edges if "label" in a] == ["×2"]


def test_dot_quotes_labels():
    x = T.dvector('say "hi"\\')
    nodes, _ = parse_dot(to_dot(T.exp(x)))
    assert any(d["label"] == 'say "hi"\\' for d in nodes.values())


def test_pydotprint_names_the_missing_program(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="`dot` program from Graphviz"):
        pydotprint(T.exp(T.dvector("x")), outfile=str(tmp_path / "g.png"))


def test_pydotprint_runs_dot_with_the_format_and_outfile(tmp_path, monkeypatch):
    fake = tmp_path / "dot"  # stands in for Graphviz: records its arguments and its input
    fake.write_text('#!/bin/sh\necho "$@" > "$3.args"\ncat > "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ["PATH"])
    out = tmp_path / "graph.svg"
    y = T.exp(T.dvector("x"))
    assert pydotprint(y, outfile=str(out), format="svg") == str(out)
    assert out.read_text() == to_dot(y)
    assert (tmp_path / "graph.svg.args").read_text().split() == ["-Tsvg", "-o", str(out)]


def test_pydotprint_reports_a_failing_dot(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="syntax error in line 1"):
        pydotprint(T.exp(T.dvector("x")), outfile=str(tmp_path / "g.png"))
