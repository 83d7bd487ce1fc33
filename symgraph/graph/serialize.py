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

#: one node: its op, the table positions of its inputs, its output types, names and line, and
#: for outputs of a special variable class (a random draw's), that class and its own slots
Record = tuple[Any, tuple[int, ...], tuple[Any, ...], tuple[Any, ...], str, tuple]


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
                tuple(_special(out, position) for out in node.outputs),
            )
        )
    return roots, records, [position[id(v)] for v in outputs]


def restore(roots: list[Variable], records: list[Record], outputs: list[int]) -> list[Variable]:
    """The variables at positions ``outputs`` of the graph a ``flatten`` table describes."""
    values = list(roots)
    slots: list[tuple[Variable, dict]] = []
    for op, inputs, types, names, where, specials in records:
        made = [t if s is None else s[0](t) for t, s in zip(types, specials)]
        node = Apply(op, [values[i] for i in inputs], made, where)
        for out, name, special in zip(node.outputs, names, specials):
            out.name = name
            if special is not None:
                slots.append((out, special[1]))
        values.extend(node.outputs)
    for var, state in slots:  # after every node: a slot may name a later variable
        for name, value in state.items():
            setattr(var, name, _deref(value, values))
    return [values[i] for i in outputs]


def _special(var: Variable, position: dict[int, int]) -> tuple | None:
    """``(class, {slot: value})`` for a variable of another class than its type makes; a
    value that is a variable of the table (or a tuple of them) is written as its position,
    so the table does not pickle itself again."""
    cls = type(var)
    if cls is var.type.variable_class:
        return None
    base = cls.__mro__.index(var.type.variable_class)
    own = {name for c in cls.__mro__[:base] for name in getattr(c, "__slots__", ())}
    return cls, {name: _ref(getattr(var, name), position) for name in own if hasattr(var, name)}


class _Position(int):
    """A table position standing for a variable in a special variable's slot."""


def _ref(value: Any, position: dict[int, int]) -> Any:
    if isinstance(value, tuple):
        return tuple(_ref(v, position) for v in value)
    if isinstance(value, Variable) and id(value) in position:
        return _Position(position[id(value)])
    return value


def _deref(value: Any, values: list[Variable]) -> Any:
    if isinstance(value, tuple):
        return tuple(_deref(v, values) for v in value)
    return values[value] if isinstance(value, _Position) else value


def restore_variable(roots: list[Variable], records: list[Record], outputs: list[int]) -> Variable:
    """How a variable computed by a node is unpickled."""
    return restore(roots, records, outputs)[0]


def restore_node(roots: list[Variable], records: list[Record], outputs: list[int]) -> Apply:
    """How an ``Apply`` node is unpickled (from its outputs' table)."""
    return restore(roots, records, outputs)[0].owner
