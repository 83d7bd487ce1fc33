"""fusion: elementwise chains become one ``Fused`` node, one NumPy expression in generated code.

A whole-graph pass, because it must know who reads each result: a producer
joins its consumer's expression only when that consumer is its one reader
(anything read twice is computed once and named). Views that only move axes
(``DimShuffle``) join too; reductions, dots and ops that need statements do
not. Scalar constants read by same-dtype operands are written as literals.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from symgraph.graph.basic import Apply, Constant, Variable, building_at
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.engine import Firing, Session
from symgraph.rewrite.pattern import graph_rule
from symgraph.tensor.elemwise import MAX_OPERANDS, Elemwise
from symgraph.tensor.fused import Fused
from symgraph.tensor.shape import DimShuffle

#: the most operations in one fused expression (Python's compiler nests one level per operation)
MAX_MEMBERS = 48


def _fusable(node: Apply, as_member: bool) -> bool:
    op = node.op
    kind_ok = getattr(op, "elementwise", False) or (as_member and isinstance(op, DimShuffle))
    return kind_ok and len(node.outputs) == 1 and len(node.inputs) <= MAX_OPERANDS


def _operations(node: Apply) -> int:
    """How many operations the node adds to an expression: ``a + b + c`` is two."""
    return max(len(node.inputs) - 1, 1) if getattr(node.op, "variadic", False) else 1


def _literal(node: Apply, v: Variable):
    """The Python number to write for ``v`` in ``node``, or None to pass it as an input.

    Only where NumPy's rules give the same dtype for the number as for the
    constant (the op's other operands share the constant's dtype, and the node
    computes its declared dtype with numbers there: ``np.where(c, 2, -4)`` is
    int64 whatever the constants were), and only beside an array operand (so
    the op still makes an array).
    """
    number = _number(node, v)
    return None if number is None or not _keeps_dtype(node) else number


def _number(node: Apply, v: Variable):
    if not isinstance(v, Constant) or not isinstance(node.op, Elemwise):
        return None
    if all(isinstance(w, Constant) for w in node.inputs):
        return None
    value = np.asarray(v.value)
    if value.ndim != 0 or value.dtype.kind not in "biuf":
        return None
    if any(w is not v and w.dtype != value.dtype for w in node.inputs):
        return None
    number = value.item()
    if value.dtype.kind == "f" and value.dtype.itemsize < 8:
        # the shortest text that rounds back to this float32: 0.1, not 0.10000000149011612
        number = float(str(value[()]))
    return ("literal", number, str(value.dtype))


def _keeps_dtype(node: Apply) -> bool:
    """True when ``node`` computes its declared dtype with its numbers written as literals."""
    numbers = {}
    for i, v in enumerate(node.inputs):
        number = _number(node, v)
        if number is not None:
            numbers[i] = number[1]
    return node.op.keeps_dtype_with_numbers(node.inputs, numbers)


def _program(root: Apply, group: dict[Apply, Apply]) -> tuple[list, list[Variable]]:
    """The members (in evaluation order) and external inputs of the group rooted at ``root``."""
    members: list = []
    inputs: list[Variable] = []

    def emit(node: Apply) -> tuple:
        refs = []
        for v in node.inputs:
            literal = _literal(node, v)
            if literal is not None:
                refs.append(literal)
            elif v.owner is not None and group.get(v.owner) is root:
                refs.append(emit(v.owner))
            else:
                index = next((i for i, w in enumerate(inputs) if w is v), None)
                if index is None:
                    inputs.append(v)
                    index = len(inputs) - 1
                refs.append(index)
        members.append((node.op, tuple(refs)))
        return ("member", len(members) - 1)

    emit(root)
    return members, inputs


def _groups(graph: Graph) -> dict[Apply, Apply]:
    """Each fused node's root, for every node that joins a group (roots map to themselves).

    Readers come before producers (reverse schedule), so a producer is offered to
    its reader's group once that group is known.
    """
    uses: Counter[Variable] = Counter(v for node in graph.apply_nodes for v in node.inputs)
    uses.update(graph.outputs)
    group: dict[Apply, Apply] = {}
    members: Counter[Apply] = Counter()
    operations: Counter[Apply] = Counter()
    for node in reversed(graph.apply_nodes):
        root = group.get(node)
        if root is None:
            if not _fusable(node, as_member=False):
                continue
            root = group[node] = node
            members[root], operations[root] = 1, _operations(node)
        for v in node.inputs:
            producer = v.owner
            if (
                producer is None
                or producer in group
                or uses[v] != 1
                or _literal(node, v) is not None
                or not _fusable(producer, as_member=True)
                or operations[root] + _operations(producer) > MAX_MEMBERS
            ):
                continue
            group[producer] = root
            members[root] += 1
            operations[root] += _operations(producer)
    return {node: root for node, root in group.items() if members[root] > 1}


def fuse_elementwise(graph: Graph, session: Session | None = None) -> Graph:
    """``graph`` with each maximal group of singly-read elementwise nodes as one ``Fused``.

    Each fused node is logged in the ``session`` (and checked in DEBUG_MODE).
    """
    group = _groups(graph)
    memo: dict[Variable, Variable] = {}
    for node in graph.apply_nodes:
        root = group.get(node)
        if root is not None and root is not node:
            continue
        if root is node:
            members, inputs = _program(node, group)
            op = Fused(tuple(members), len(inputs))
            with building_at(node.where):
                fused = op(*(memo.get(v, v) for v in inputs))
                checked = op(*inputs) if session is not None and session.check else None
            fused.name = node.outputs[0].name
            memo[node.outputs[0]] = fused
            if session is not None:
                firing = Firing(FUSION, node.where, node.outputs[0], fused)
                session.record(
                    firing,
                    None if checked is None else Firing(FUSION, node.where, firing.before, checked),
                )
            continue
        inputs = [memo.get(v, v) for v in node.inputs]
        if any(a is not b for a, b in zip(inputs, node.inputs)):
            memo.update(zip(node.outputs, node.rebuilt(inputs).outputs))
    return Graph(graph.inputs, [memo.get(v, v) for v in graph.outputs])


FUSION = graph_rule("fuse_elementwise", fuse_elementwise)
