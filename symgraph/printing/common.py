"""What every printer needs: the outputs and schedule of whatever it was given, and value text."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from symgraph.graph.basic import Apply, Constant, Op, Variable
from symgraph.graph.fgraph import Graph
from symgraph.graph.traversal import toposort

#: constant arrays up to this many elements are shown by their values
SMALL_ARRAY = 10


def as_graph(obj: Any) -> tuple[Graph, bool]:
    """``obj`` as a ``Graph``, and whether it is compiled (its schedule is the real one).

    Accepts a variable, a sequence of variables, a ``Graph``, or a compiled
    function (anything with a ``graph`` attribute holding a ``Graph``).
    """
    graph = getattr(obj, "graph", None)
    if isinstance(graph, Graph):
        return graph, True
    if isinstance(obj, Graph):
        return obj, False
    if isinstance(obj, Variable):
        return Graph([], [obj]), False
    if isinstance(obj, Sequence) and obj and all(isinstance(v, Variable) for v in obj):
        return Graph([], list(obj)), False
    raise TypeError(
        f"cannot print {type(obj).__name__} {obj!r}: expected a variable, a list of variables, "
        f"a Graph or a compiled function"
    )


def schedule(graph: Graph) -> dict[Apply, int]:
    """Each node's position in the graph's execution order."""
    return {node: i for i, node in enumerate(graph.apply_nodes)}


def node_count(obj: Any) -> int:
    """How many apply nodes compute ``obj``'s outputs."""
    graph, _ = as_graph(obj)
    return len(toposort(graph.outputs, stop=graph.inputs))


def is_shared(var: Variable) -> bool:
    """Shared variables are the roots that carry their own storage."""
    return var.owner is None and hasattr(var, "get_value")


def role(var: Variable) -> str:
    """``input``, ``constant``, ``shared`` or ``computed``: how a variable gets its value."""
    if isinstance(var, Constant):
        return "constant"
    if is_shared(var):
        return "shared"
    return "input" if var.owner is None else "computed"


def number_text(value: Any, math: bool = False) -> str:
    """A scalar as NumPy prints it for its dtype; ``math`` drops the ``.0`` of whole floats."""
    text = str(np.asarray(value)[()])
    if math and text.endswith(".0"):
        return text[:-2]
    return text


def constant_text(const: Constant, math: bool = False) -> str:
    """A constant's value: numbers and small arrays literally, big arrays by dtype and shape."""
    value = np.asarray(const.value)
    if value.ndim == 0:
        return number_text(value, math)
    if value.size <= SMALL_ARRAY:
        inner = np.array2string(value, separator=", ", threshold=SMALL_ARRAY)
        return inner.replace("\n", "")
    shape = "x".join(map(str, value.shape))
    return f"array<{value.dtype}, {shape}>"


def variable_label(var: Variable, math: bool = False) -> str:
    """How a root shows up: constants by value, others by name (or type when unnamed)."""
    if isinstance(var, Constant):
        return constant_text(var, math)
    if var.name is not None:
        return var.name
    return f"<{var.type}>"


def op_label(op: Op) -> str:
    """The op's own text, or its class and parameters when it defines none (``Cast{float64}``)."""
    if type(op).__str__ is not Op.__str__ or not dataclasses.is_dataclass(op):
        return str(op)
    fields = dataclasses.fields(op)
    if not fields:
        return type(op).__name__
    if len(fields) == 1:
        params = str(getattr(op, fields[0].name))
    else:
        params = ", ".join(f"{f.name}={getattr(op, f.name)}" for f in fields)
    return f"{type(op).__name__}{{{params}}}"
