"""Reference evaluation of a graph with each op's ``impl``: the semantics compiled code must match."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from symgraph.graph.basic import Constant, Variable
from symgraph.graph.traversal import toposort
from symgraph.tensor.type import TensorType


def evaluate_all(outputs: Sequence[Variable], givens: Mapping[Variable, Any]) -> list[np.ndarray]:
    """Values of ``outputs`` with root variables bound by ``givens`` (shared variables read)."""
    values: dict[Variable, Any] = {}
    for var, value in givens.items():
        values[var] = var.type.filter(value, what=f"value for {var!r}")
    for node in toposort(outputs, stop=values):
        args = []
        for v in node.inputs:
            if v not in values:
                values[v] = _root_value(v)
            args.append(values[v])
        results = node.op.impl(*args)
        if len(node.outputs) == 1:
            results = (results,)
        for v, r in zip(node.outputs, results):
            values[v] = np.asarray(r) if isinstance(v.type, TensorType) else r
    return [values[v] if v in values else _root_value(v) for v in outputs]


def evaluate(output: Variable, givens: Mapping[Variable, Any]) -> np.ndarray:
    return evaluate_all([output], givens)[0]


def _root_value(v: Variable) -> Any:
    if isinstance(v, Constant):
        return v.value
    if hasattr(v, "get_value"):
        return v.get_value(borrow=True)
    raise ValueError(f"no value was given for the input {v!r} (created at {v.where})")
