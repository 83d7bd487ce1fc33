"""``NullType``: the type of a gradient that does not exist, and Theano's two ways to make one.

A pullback may return a variable of this type for an input (Theano's
``grad_undefined``, ``grad_not_implemented``); ``grad`` raises
``NullTypeGradError`` with its reason only when that gradient is asked for.
"""

from __future__ import annotations

from typing import Any

from symgraph.graph.basic import Type, Variable


class NullType(Type):
    """The type of a gradient that does not exist; ``why_null`` says why."""

    def __init__(self, why_null: str = "(no explanation given)") -> None:
        self.why_null = why_null

    def filter(self, value: Any, allow_downcast: bool = False) -> Any:
        raise TypeError(f"a null gradient has no value: {self.why_null}")

    def __eq__(self, other: object) -> bool:
        return type(other) is NullType and other.why_null == self.why_null

    def __hash__(self) -> int:
        return hash((NullType, self.why_null))

    def __str__(self) -> str:
        return "Null"


def grad_undefined(op: Any, x_pos: int, x: Variable, comment: str = "") -> Variable:
    """A null gradient for input ``x_pos`` of ``op``, where the gradient is mathematically undefined."""
    return NullType(
        f"the gradient of {op} with respect to its input {x_pos} ({x!r}) is undefined. {comment}"
    )()


def grad_not_implemented(op: Any, x_pos: int, x: Variable, comment: str = "") -> Variable:
    """A null gradient for input ``x_pos`` of ``op``, whose gradient nobody has written yet."""
    return NullType(
        f"the gradient of {op} with respect to its input {x_pos} ({x!r}) is not implemented. "
        f"{comment}"
    )()
