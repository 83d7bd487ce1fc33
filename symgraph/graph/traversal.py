"""Walking graphs: iterative toposort, ancestors, clients, and rebuilding with substitutions.

Everything here is iterative, so a graph a thousand nodes deep does not hit
Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from symgraph.graph.basic import Apply, Op, Variable, building_at


def toposort(outputs: Iterable[Variable], stop: Iterable[Variable] = ()) -> list[Apply]:
    """Apply nodes that ``outputs`` depend on, each after the nodes computing its inputs.

    The walk does not go above the variables in ``stop`` (for example a
    function's inputs).
    """
    stopped = set(stop)
    order: list[Apply] = []
    done: set[Apply] = set()
    # a node is pushed twice: first to expand its inputs, then (after them) to be emitted
    stack: list = [
        v.owner for v in reversed(list(outputs)) if v.owner is not None and v not in stopped
    ]
    expanded: set[Apply] = set()
    while stack:
        node = stack.pop()
        if node in done:
            continue
        if node in expanded:
            done.add(node)
            order.append(node)
            continue
        expanded.add(node)
        stack.append(node)
        for inp in reversed(node.inputs):
            owner = inp.owner
            if owner is not None and owner not in done and inp not in stopped:
                stack.append(owner)
    return order


def postorder(
    root: Variable,
    done: dict[Variable, Any],
    visit_root: Callable[[Variable], Any],
    visit_node: Callable[[Apply], None],
) -> Any:
    """``done[root]``, after visiting each node ``root`` depends on that is not ``done`` yet,
    every node after the nodes computing its inputs.

    ``done[v] = visit_root(v)`` for a variable ``v`` without an owner; ``visit_node(node)``
    must enter the node's outputs in ``done``. Walks already done stay done, so a caller
    that keeps ``done`` visits each node once however many roots it asks for.
    """
    stack = [root]
    while stack:
        var = stack[-1]
        if var in done:
            stack.pop()
            continue
        node = var.owner
        if node is None:
            done[var] = visit_root(var)
            stack.pop()
            continue
        missing = [v for v in node.inputs if v not in done]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        visit_node(node)
    return done[root]


def ancestors(outputs: Iterable[Variable], stop: Iterable[Variable] = ()) -> list[Variable]:
    """Every variable ``outputs`` depend on, inputs before users, ``outputs`` included."""
    outputs = list(outputs)
    result: list[Variable] = []
    seen: set[int] = set()

    def add(v: Variable) -> None:
        if id(v) not in seen:
            seen.add(id(v))
            result.append(v)

    for node in toposort(outputs, stop):
        for v in node.inputs:
            add(v)
        for v in node.outputs:
            add(v)
    for v in outputs:
        add(v)
    return result


def graph_inputs(outputs: Iterable[Variable]) -> list[Variable]:
    """The root variables (no owner) that ``outputs`` depend on, constants included."""
    return [v for v in ancestors(outputs) if v.owner is None]


def clients(nodes: Sequence[Apply]) -> dict[Variable, list[tuple[Apply, int]]]:
    """For each variable, the ``(node, input position)`` pairs that read it."""
    result: dict[Variable, list[tuple[Apply, int]]] = {}
    for node in nodes:
        for i, v in enumerate(node.inputs):
            result.setdefault(v, []).append((node, i))
    return result


def rebuild(
    outputs: Sequence[Variable],
    replace: Mapping[Variable, Variable],
    ops: Mapping[Op, Op] | None = None,
) -> list[Variable]:
    """``outputs`` with each key of ``replace`` substituted, re-applying every affected op.

    ``ops`` maps an op to the op its nodes are rebuilt with. Nodes that depend on
    no replaced variable or op are shared, not copied. New nodes keep the
    ``file:line`` of the node they stand for.
    """
    memo: dict[Variable, Variable] = dict(replace)
    for node in toposort(outputs, stop=replace):
        new_inputs = [memo.get(v, v) for v in node.inputs]
        op = node.op if ops is None else ops.get(node.op, node.op)
        if op is node.op and all(a is b for a, b in zip(new_inputs, node.inputs)):
            continue
        with building_at(node.where):
            new_node = op.make_node(*new_inputs)
        for old, new in zip(node.outputs, new_node.outputs):
            new.name = old.name
            memo[old] = new
    return [memo.get(v, v) for v in outputs]
