"""Reference evaluation of a graph with each op's ``impl``: the semantics compiled code must match.

``Variable.eval`` runs here, so building and evaluating a graph needs nothing
of the later stages (rewriting, code generation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from symgraph.graph.basic import Constant, Variable
from symgraph.graph.traversal import toposort
from symgraph.tensor.type import TensorType


class MissingInputError(TypeError):
    """A variable the outputs need that is given no value and is neither a constant nor shared."""


def evaluate_all(outputs: Sequence[Variable], givens: Mapping[Variable, Any]) -> list[np.ndarray]:
    """Values of ``outputs`` with root variables bound by ``givens`` (shared variables read)."""
    values = _values(outputs, givens)
    return [values[v] for v in outputs]


def evaluate(output: Variable, givens: Mapping[Variable, Any]) -> np.ndarray:
    return evaluate_all([output], givens)[0]


def eval_variable(var: Variable, inputs_to_values: Mapping[Variable, Any]) -> np.ndarray:
    """``var.eval(inputs_to_values)``, Theano's: the value of ``var`` given its inputs' values.

    A key may be any variable, a shared one included (its value is replaced for
    this evaluation only). The result never shares memory with a value given or
    stored, as a compiled function's does not.
    """
    for key in inputs_to_values:
        if not isinstance(key, Variable):
            raise TypeError(
                f"eval: the keys of inputs_to_values must be variables, got {key!r} of type "
                f"{type(key).__name__}"
            )
    values = _values([var], inputs_to_values)
    result = values[var]
    roots = [value for v, value in values.items() if v.owner is None]
    if any(np.may_share_memory(result, root) for root in roots):
        result = result.copy()
    return result


def _values(outputs: Sequence[Variable], givens: Mapping[Variable, Any]) -> dict[Variable, Any]:
    """The value of every variable between the roots and ``outputs``, roots included."""
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
    for v in outputs:
        if v not in values:
            values[v] = _root_value(v)
    return values


def _root_value(v: Variable) -> Any:
    if isinstance(v, Constant):
        return v.value
    if hasattr(v, "get_value"):
        return v.get_value(borrow=True)
    raise MissingInputError(f"no value was given for the input {v!r} (created at {v.where})")
