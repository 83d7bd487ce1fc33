"""Inner graphs of control-flow ops (scan, ifelse): closed over the outer values they read.

A control-flow op holds its body as a ``Graph`` whose inputs are placeholders;
the outer variables the body reads become inputs of the op's node. The outer
rewrite engine therefore sees one opaque node: it cannot hoist a branch's work
out of its branch, and rebuilding the node with new inputs keeps the body valid.
Their gradients are vector-Jacobian products of the inner graphs (``vjp``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from symgraph.gradient import grad
from symgraph.graph.basic import Constant, Variable
from symgraph.graph.fgraph import Graph
from symgraph.graph.traversal import rebuild, toposort
from symgraph.tensor.shape import Alloc


def placeholder(like: Variable, name: str | None = None) -> Variable:
    """A fresh root variable of the type of ``like`` (a shared variable becomes a plain one)."""
    return like.type(like.name if name is None else name)


def close_over(
    outputs: Sequence[Variable], bound: Sequence[Variable], is_outer: Callable[[Variable], bool]
) -> tuple[Graph, list[Variable]]:
    """A Graph computing ``outputs`` from ``bound`` plus one placeholder per outer value read.

    Walking up from ``outputs``, the walk stops at ``bound`` (kept as inputs) and at
    every variable for which ``is_outer`` holds: each becomes a new input, and its
    outer variable is returned, in the order of the new inputs. Constants stay inside.
    """
    bound_ids = {id(v) for v in bound}
    outer: list[Variable] = []
    seen: set[int] = set()
    stack = list(reversed(outputs))
    while stack:
        v = stack.pop()
        if id(v) in seen or id(v) in bound_ids:
            continue
        seen.add(id(v))
        if is_outer(v):
            outer.append(v)
        elif v.owner is not None:
            stack.extend(reversed(v.owner.inputs))
    inputs = [placeholder(v) for v in outer]
    inner_outputs = rebuild(list(outputs), dict(zip(outer, inputs)))
    return Graph([*bound, *inputs], inner_outputs), outer


def depending_on(outputs: Iterable[Variable], sources: Iterable[Variable]) -> set[Variable]:
    """The variables among the ancestors of ``outputs`` whose value depends on ``sources``."""
    result = set(sources)
    for node in toposort(outputs):
        if any(v in result for v in node.inputs):
            result.update(node.outputs)
    return result


def loop_invariant_split(graph: Graph, n_varying: int) -> tuple[Graph, Graph]:
    """Split ``graph`` into the work that depends only on its trailing inputs, and the rest.

    The first ``n_varying`` inputs change at every iteration; the others do not.
    Returns ``(before, body)``: ``before`` computes, from the invariant inputs,
    every invariant value the body reads; ``body`` takes the varying inputs
    followed by those values. Constants stay in the body (they cost nothing).
    """
    varying = depending_on(graph.outputs, graph.inputs[:n_varying])
    invariant_inputs = set(graph.inputs[n_varying:])

    def hoisted(v: Variable) -> bool:
        return v not in varying and (v.owner is not None or v in invariant_inputs)

    body, values = close_over(graph.outputs, graph.inputs[:n_varying], hoisted)
    return Graph(graph.inputs[n_varying:], values), body


def is_free(v: Variable) -> bool:
    """True for a root that needs a value from outside: an input or a shared variable."""
    return v.owner is None and not isinstance(v, Constant)


def differentiable(v: Variable) -> bool:
    """Only float and complex values carry gradients, as in ``grad``."""
    return str(getattr(v.type, "dtype", ""))[:1] in ("f", "c")


def is_zero(v: Variable) -> bool:
    """True for a gradient known to be zero when the graph is built (zeros, or a zero fill)."""
    if isinstance(v, Constant):
        return not np.any(v.value)
    owner = v.owner
    return owner is not None and isinstance(owner.op, Alloc) and is_zero(owner.inputs[0])


def vjp(
    outputs: Sequence[Variable], output_grads: Sequence[Any], wrt: Sequence[Variable]
) -> list[Variable | None]:
    """``sum(g · ∂out/∂w)`` for each ``w`` in ``wrt``; None where no gradient reaches ``w``."""
    seeds: dict[Variable, Variable] = {}
    for out, g in zip(outputs, output_grads):
        if g is None or is_zero(g) or not differentiable(out):
            continue
        seeds[out] = seeds[out] + g if out in seeds else g
    result: list[Variable | None] = [None] * len(wrt)
    wanted = [i for i, w in enumerate(wrt) if differentiable(w)]
    if not seeds or not wanted:
        return result
    grads = grad(
        None,
        [wrt[i] for i in wanted],
        known_grads=seeds,
        disconnected_inputs="ignore",
        return_disconnected="None",
    )
    for i, g in zip(wanted, grads):
        result[i] = None if g is None or is_zero(g) else g
    return result
