"""The Jacobian and the Hessian: one gradient per element of a vector, inside a ``scan``.

They sit above both ``gradient`` and ``scan`` (scan differentiates its body with
``grad``); ``symgraph.gradient`` and ``symgraph.tensor`` serve them under
Theano's names.
"""

from __future__ import annotations

from collections.abc import Sequence

import symgraph.tensor as T
from symgraph.gradient import as_variable_list, grad
from symgraph.graph.basic import Variable
from symgraph.scan import scan
from symgraph.tensor.variable import as_tensor_variable

__all__ = ["hessian", "jacobian"]


def jacobian(
    expression: Variable,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
) -> Variable | list[Variable]:
    """The Jacobian of a vector ``expression``: shape ``expression.shape + wrt.shape``.

    As in Theano, a ``scan`` over the elements of ``expression`` takes one
    gradient per element, so the length may be symbolic and the graph stays
    the size of one gradient. A scalar expression gives its gradient.
    """
    expression = as_tensor_variable(expression)
    wrt_list, is_list = as_variable_list(wrt, "jacobian")
    if expression.ndim == 0:
        return grad(expression, wrt, consider_constant, disconnected_inputs)
    if expression.ndim != 1:
        raise TypeError(
            f"jacobian: expression must be a vector, got {expression.type}; flatten it first"
        )

    def row(i: Variable) -> list[Variable]:
        return grad(expression[i], wrt_list, consider_constant, disconnected_inputs)

    rows, _ = scan(row, sequences=T.arange(expression.shape[0]))
    rows = rows if isinstance(rows, list) else [rows]
    return rows if is_list else rows[0]


def hessian(
    cost: Variable,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
) -> Variable | list[Variable]:
    """The Hessian of a scalar ``cost`` with respect to a vector, or to each vector of a list."""
    wrt_list, is_list = as_variable_list(wrt, "hessian")
    result = []
    for w in wrt_list:
        if w.ndim != 1:
            raise TypeError(f"hessian: wrt must be vectors, got {w!r} of type {w.type}")
        gradient = grad(cost, w, consider_constant, disconnected_inputs)
        result.append(jacobian(gradient, w, consider_constant, disconnected_inputs))
    return result if is_list else result[0]
