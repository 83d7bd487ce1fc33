"""Graphs as graphs: ``to_networkx``, ``to_dot`` (Graphviz text) and ``pydotprint`` (a picture).

``to_dot`` is written from the networkx graph, so both show the same nodes
with the same attributes; Graphviz itself is needed only to render a picture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import networkx as nx

from symgraph.graph.basic import Variable
from symgraph.printing.common import as_graph, op_label, role, schedule, variable_label

#: fill colour of a variable node by role, and of the outputs
COLORS = {
    "input": "palegreen",
    "shared": "lightskyblue",
    "constant": "lightgrey",
    "computed": "white",
    "output": "gold",
}


def to_networkx(obj: Any) -> nx.DiGraph:
    """A ``networkx.DiGraph`` with one node per variable and one per apply node.

    Edges run from each input variable to the apply node that reads it and
    from the apply node to its outputs; ``position`` holds the input or output
    slot (the first one, and ``count`` how many, when a node reads a variable
    in several slots, as ``x * x`` does). Every attribute is a string, number or bool, so the graph exports to
    GraphML or JSON as it is.

    Node attributes
    ---------------
    ``kind``
        ``'variable'`` or ``'apply'``.
    ``label``
        the text a picture shows: an op, a name, a constant's value.
    ``where``
        the user's ``file:line`` that built the node.
    variables: ``role`` (``input``, ``shared``, ``constant``, ``computed``),
    ``output`` (bool), ``name`` (``''`` when unnamed), ``type``, ``dtype``,
    ``shape`` (``(?, 3)``: ``?`` unknown).
    apply nodes: ``op`` (its text), ``op_class``, ``commutative`` (input order
    does not matter), ``order`` (position in the schedule: the compiled one
    for a compiled function).

    Parameters
    ----------
    obj
        A variable, a list of variables, a ``Graph`` or a compiled function.

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> x = T.dvector("x")
    >>> g = to_networkx(T.exp(x) + 1)
    >>> sorted(d["label"] for _, d in g.nodes(data=True) if d["kind"] == "apply")
    ['add', 'exp']
    """
    graph, _ = as_graph(obj)
    order = schedule(graph)
    outputs = set(graph.outputs)
    result = nx.DiGraph()
    keys: dict[Variable, str] = {}

    def add_variable(var: Variable) -> str:
        if var not in keys:
            keys[var] = f"v{len(keys)}"
            result.add_node(
                keys[var],
                kind="variable",
                label=variable_label(var) if var.owner is None else (var.name or ""),
                role=role(var),
                output=var in outputs,
                name=var.name or "",
                type=str(var.type),
                dtype=getattr(var.type, "dtype", ""),
                shape=var.type.shape_str() if hasattr(var.type, "shape_str") else "",
                where=var.where,
            )
        return keys[var]

    for var in graph.inputs:
        add_variable(var)
    for node, position in order.items():
        key = f"a{position}"
        result.add_node(
            key,
            kind="apply",
            label=op_label(node.op),
            op=op_label(node.op),
            op_class=type(node.op).__name__,
            commutative=bool(getattr(node.op, "commutative", False)),
            order=position,
            where=node.where,
        )
        for i, var in enumerate(node.inputs):
            source = add_variable(var)
            if result.has_edge(source, key):  # one edge per pair: ``x * x`` reads x twice
                result.edges[source, key]["count"] += 1
            else:
                result.add_edge(source, key, position=i, count=1)
        for i, var in enumerate(node.outputs):
            result.add_edge(key, add_variable(var), position=i)
    for var in graph.outputs:
        add_variable(var)
    return result


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(**attrs: Any) -> str:
    return "[" + ", ".join(f"{k}={_quote(str(v))}" for k, v in attrs.items()) + "]"


def to_dot(obj: Any, name: str = "symgraph") -> str:
    """Graphviz DOT text for a graph; no Graphviz needed to produce it.

    Apply nodes are boxes labelled with their op. Inputs (green), shared
    variables (blue), constants (grey) and outputs (gold) are ovals; other
    intermediate variables are drawn as the edges between the nodes that
    produce and read them, labelled with their name when they have one. An
    edge into an op with several inputs carries the input's position; an
    input read in several slots is one edge marked ``×2``.

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> x = T.dvector("x")
    >>> text = to_dot(T.exp(x))
    >>> text.splitlines()[0], "v0 -> a0;" in text, "a0 -> v1;" in text
    ('digraph "symgraph" {', True, True)
    """
    graph = to_networkx(obj)
    lines = [
        f"digraph {_quote(name)} {{",
        '  rankdir="TB";',
        '  node [fontname="Helvetica", fontsize="11"];',
        '  edge [fontname="Helvetica", fontsize="9", labelfontsize="8", labeldistance="1.8"];',
    ]

    def drawn_as_node(key: str) -> bool:
        data = graph.nodes[key]
        return data["kind"] == "apply" or data["role"] != "computed" or data["output"]

    for key, data in graph.nodes(data=True):
        if data["kind"] == "apply":
            style = dict(shape="box", style="rounded,filled", fillcolor="lemonchiffon")
            tooltip = os.path.basename(data["where"])
            lines.append(f"  {key} {_attrs(label=data['label'], **style, tooltip=tooltip)};")
        elif drawn_as_node(key):
            color = COLORS["output" if data["output"] else data["role"]]
            label = data["label"] or data["type"]
            style = dict(shape="ellipse", style="filled", fillcolor=color)
            tooltip = f"{data['type']} {os.path.basename(data['where'])}"
            lines.append(f"  {key} {_attrs(label=label, **style, tooltip=tooltip)};")
    for source, target, data in graph.edges(data=True):
        if not drawn_as_node(target):
            continue  # an intermediate variable: drawn below as producer -> reader edges
        if graph.nodes[source]["kind"] == "apply" or drawn_as_node(source):
            producer, label = source, ""
        else:
            (producer,) = graph.predecessors(source)
            label = graph.nodes[source]["name"]
        attrs = {}
        count = data.get("count", 1)
        if label or count > 1:
            attrs["label"] = " ".join(filter(None, [label, f"×{count}" if count > 1 else ""]))
        reader = graph.nodes[target]
        if reader["kind"] == "apply" and not reader["commutative"] and graph.in_degree(target) > 1:
            attrs["headlabel"] = data["position"]
        lines.append(f"  {producer} -> {target}{' ' + _attrs(**attrs) if attrs else ''};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def pydotprint(obj: Any, outfile: str | None = None, format: str = "png") -> str:
    """Render a graph to a picture file with Graphviz's ``dot`` program.

    Parameters
    ----------
    obj
        A variable, a list of variables, a ``Graph`` or a compiled function.
    outfile
        The file to write; ``symgraph_graph.<format>`` in the current directory by default.
    format
        Any output format ``dot`` knows: ``'png'``, ``'svg'``, ``'pdf'``...

    Returns
    -------
    The path of the written file.

    Raises
    ------
    FileNotFoundError
        When ``dot`` is not installed (Graphviz is a system package:
        ``apt-get install graphviz``, ``brew install graphviz``).
    """
    dot = shutil.which("dot")
    if dot is None:
        raise FileNotFoundError(
            "pydotprint needs the `dot` program from Graphviz, which is not on PATH; install "
            "Graphviz (apt-get install graphviz / brew install graphviz), or use to_dot() for "
            "the DOT text"
        )
    outfile = outfile or f"symgraph_graph.{format}"
    run = subprocess.run(
        [dot, f"-T{format}", "-o", outfile], input=to_dot(obj), capture_output=True, text=True
    )
    if run.returncode != 0:
        raise RuntimeError(f"`dot -T{format}` failed for {outfile!r}: {run.stderr.strip()}")
    return os.path.abspath(outfile)
