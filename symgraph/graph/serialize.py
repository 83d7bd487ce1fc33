"""Pickling graphs without recursion: a graph travels as a flat table of its nodes.

Pickle follows references recursively, so a chain of a few hundred nodes would
exceed Python's recursion limit. A variable computed by a node (and a node, and
a ``Graph``) is therefore pickled as a table: the root variables it depends on
(inputs, constants, shared variables, pickled as objects, so a root shared by
several pickled objects is one object again after loading), then one record per
node in schedule order whose inputs are positions in the table. Loading rebuilds
the nodes directly, without ``make_node``, so the graph comes back exactly as it
was. The table holds ops, types, names and ``file:line`` texts: data, and
references to symgraph's classes by name; never code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from symgraph.graph.basic import Apply, Variable
from symgraph.graph.traversal import toposort

#: one node: its op, the table positions of its inputs, its output types, names and line
Record = tuple[Any, tuple[int, ...], tuple[Any, ...], tuple[Any, ...], str]


def flatten(
    outputs: Sequence[Variable], stop: Sequence[Variable] = ()
) -> tuple[list[Variable], list[Record], list[int]]:
    """``(roots, records, output positions)`` of the graph computing ``outputs``.

    Positions number the roots first, then each record's outputs in order.
    Variables in ``stop`` are roots even when a node computes them.
    """
    nodes = toposort(outputs, stop)
    position: dict[int, int] = {}
    roots: list[Variable] = []

    def ref(v: Variable) -> int:
        found = position.get(id(v))
        if found is None:
            found = position[id(v)] = len(roots)
            roots.append(v)
        return found

    for v in stop:
        ref(v)
    produced = {id(out) for node in nodes for out in node.outputs}
    for node in nodes:
        for v in node.inputs:
            if id(v) not in produced:
                ref(v)
    for v in outputs:
        if id(v) not in produced:
            ref(v)
    records: list[Record] = []
    count = len(roots)
    # equal types and line texts become one object each, which pickle then stores once
    same: dict[Any, Any] = {}
    for node in nodes:
        inputs = tuple(position[id(v)] for v in node.inputs)
        for out in node.outputs:
            position[id(out)] = count
            count += 1
        records.append(
            (
                node.op,
                inputs,
                tuple(same.setdefault(out.type, out.type) for out in node.outputs),
                tuple(out.name for out in node.outputs),
                same.setdefault(node.where, node.where),
            )
        )
    return roots, records, [position[id(v)] for v in outputs]


def restore(roots: list[Variable], records: list[Record], outputs: list[int]) -> list[Variable]:
    """The variables at positions ``outputs`` of the graph a ``flatten`` table describes."""
    values = list(roots)
    for op, inputs, types, names, where in records:
        node = Apply(op, [values[i] for i in inputs], types, where)
        for out, name in zip(node.outputs, names):
            out.name = name
        values.extend(node.outputs)
    return [values[i] for i in outputs]


def restore_variable(roots: list[Variable], records: list[Record], outputs: list[int]) -> Variable:
    """How a variable computed by a node is unpickled."""
    return restore(roots, records, outputs)[0]


def restore_node(roots: list[Variable], records: list[Record], outputs: list[int]) -> Apply:
    """How an ``Apply`` node is unpickled (from its outputs' table)."""
    return restore(roots, records, outputs)[0].owner
