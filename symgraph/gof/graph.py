"""``theano.gof.graph``: the graph classes and walks as Theano users import them.

Each walk is one of symgraph's own (iterative, so deep graphs are fine); the
names and argument orders are Theano's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.traversal import ancestors as _ancestors
from symgraph.graph.traversal import rebuild, toposort

__all__ = [
    "Apply",
    "Constant",
    "Variable",
    "ancestors",
    "clone",
    "clone_replace",
    "inputs",
    "io_toposort",
    "ops",
    "orphans",
    "variables",
]


def ancestors(
    variable_list: Iterable[Variable], blockers: Iterable[Variable] | None = None
) -> list[Variable]:
    """Every variable ``variable_list`` depends on, not looking above ``blockers``."""
    return _ancestors(variable_list, blockers or ())


def inputs(
    variable_list: Iterable[Variable], blockers: Iterable[Variable] | None = None
) -> list[Variable]:
    """The variables without an owner that ``variable_list`` depends on (constants included)."""
    return [v for v in ancestors(variable_list, blockers) if v.owner is None]


def variables(i: Sequence[Variable], o: Sequence[Variable]) -> list[Variable]:
    """The variables of the subgraph between inputs ``i`` and outputs ``o``, both included."""
    return _ancestors(o, i)


def ops(i: Sequence[Variable], o: Sequence[Variable]) -> set[Apply]:
    """The apply nodes between ``i`` and ``o``."""
    return set(toposort(o, i))


def orphans(i: Sequence[Variable], o: Sequence[Variable]) -> list[Variable]:
    """The variables without an owner that ``o`` needs besides ``i`` (constants, shared ones)."""
    given = set(i)
    return [v for v in variables(i, o) if v.owner is None and v not in given]


def io_toposort(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> list[Apply]:
    """The apply nodes between ``inputs`` and ``outputs``, each after those it reads."""
    return toposort(outputs, inputs)


def clone(
    i: Sequence[Variable], o: Sequence[Variable], copy_inputs: bool = True
) -> tuple[list[Variable], list[Variable]]:
    """``(inputs, outputs)`` of a copy of the subgraph between ``i`` and ``o``.

    Nodes never change once built, so only what depends on a copied input is
    built anew; the rest is shared.
    """
    new_inputs = [v.clone() for v in i] if copy_inputs else list(i)
    return new_inputs, rebuild(list(o), dict(zip(i, new_inputs)))


def clone_replace(
    output: Any,
    replace: Mapping[Variable, Variable] | Sequence[tuple[Variable, Variable]] | None = None,
    strict: bool = True,
    share_inputs: bool = True,
) -> Any:
    """``output`` (a variable or a list) rebuilt with each key of ``replace`` substituted.

    Theano's ``theano.clone``. With ``strict``, a replacement must have the type
    of the variable it replaces.
    """
    pairs = list(replace.items()) if isinstance(replace, Mapping) else list(replace or ())
    for old, new in pairs:
        if strict and old.type != new.type:
            raise TypeError(
                f"clone: the replacement {new!r} of {old!r} has type {new.type}, "
                f"not {old.type} (pass strict=False to allow it)"
            )
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    result = rebuild(outputs, dict(pairs))
    if not share_inputs:
        roots = [v for v in ancestors(result) if v.owner is None and not isinstance(v, Constant)]
        result = rebuild(result, {v: v.clone() for v in roots})
    if isinstance(output, (list, tuple)):
        return type(output)(result)
    return result[0]
