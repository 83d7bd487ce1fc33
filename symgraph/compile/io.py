"""``In`` and ``Out``: what ``function`` should know about an input or an output beyond its variable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symgraph.compile.shared import SharedVariable, filter_value
from symgraph.graph.basic import Constant, Variable


@dataclass(frozen=True, eq=False)
class In:
    """An input of a compiled function, with an optional default value and keyword name.

    Parameters
    ----------
    variable : Variable
        The symbolic input.
    value : object, optional
        Default used when the call does not give this input (None: required).
    name : str, optional
        Keyword under which the call may give it (defaults to ``variable.name``).
    mutable : bool
        Permission for the function to overwrite the array passed in, as in
        Theano. The generated code never writes into inputs, so it only
        documents the caller's intent.
    """

    variable: Variable
    value: Any = None
    name: str | None = None
    mutable: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.variable, Variable):
            raise TypeError(f"In() takes a symbolic variable, got {type(self.variable).__name__}")
        if self.name is None:
            object.__setattr__(self, "name", self.variable.name)
        if self.value is not None:
            what = f"default value of input {self.name or self.variable!r}"
            object.__setattr__(self, "value", filter_value(self.variable.type, self.value, what))

    @property
    def required(self) -> bool:
        return self.value is None


@dataclass(frozen=True, eq=False)
class Out:
    """An output of a compiled function.

    Parameters
    ----------
    variable : Variable
        The symbolic output.
    borrow : bool
        Allow the returned array to be one the function also holds (an
        input, a shared variable's storage, a constant) instead of a copy.
    """

    variable: Variable
    borrow: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.variable, Variable):
            raise TypeError(f"Out() takes a symbolic variable, got {type(self.variable).__name__}")


def as_in(item: Any) -> In:
    """An ``In`` for an entry of ``function``'s ``inputs`` list."""
    spec = item if isinstance(item, In) else In(item)
    var = spec.variable
    if isinstance(var, Constant):
        raise TypeError(f"the constant {var!r} cannot be an input of a function")
    if isinstance(var, SharedVariable):
        raise TypeError(
            f"the shared variable {var!r} cannot be an explicit input: every call reads its "
            f"stored value. To compute with another value, use givens={{{var!r}: other}}"
        )
    return spec


def as_out(item: Any) -> Out:
    """An ``Out`` for an entry of ``function``'s ``outputs``."""
    return item if isinstance(item, Out) else Out(item)
