"""A tensor as SymPy sees it: its sizes and its element at any (symbolic) index.

Each op states its SymPy form with these pieces (``op.sympy_form``), and
``printing.to_sympy`` walks a graph asking each op for it. Broadcasting is
substitution: ``align`` turns an index of a broadcast result into an index of an
operand, as NumPy's rule says. The ops import this module inside ``sympy_form``,
so SymPy loads only when a graph is translated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

Index = tuple[sympy.Expr, ...]
#: a summation index not free in the given indices: ``bound(index)`` inside a ``Sum``
Bound = Callable[..., sympy.Symbol]
ZERO, ONE = sympy.Integer(0), sympy.Integer(1)


@dataclass(frozen=True)
class Elements:
    """A tensor's sizes, and its element at an index.

    ``explicit`` tensors (shapes, stacks) are short lists of entries; reducing
    one adds up its entries instead of writing a ``Sum``.
    """

    sizes: tuple[sympy.Expr, ...]
    at: Callable[[Index], sympy.Expr]
    explicit: bool = False


def number(value: Any) -> sympy.Expr:
    """A NumPy scalar as SymPy: whole numbers as Integers, so ``1 - y`` stays ``1 - y``."""
    value = np.asarray(value)[()]
    if isinstance(value, (bool, np.bool_)):
        return sympy.true if value else sympy.false
    if np.iscomplexobj(value):
        return sympy.sympify(complex(value))
    if float(value).is_integer():
        return sympy.Integer(int(value))
    return sympy.Float(float(value))


def align(sizes: Sequence[sympy.Expr], index: Index) -> Index:
    """``index`` of a broadcast result, as an index of an operand of ``sizes``: NumPy's rule."""
    tail = index[len(index) - len(sizes) :] if sizes else ()
    return tuple(ZERO if s == ONE else i for s, i in zip(sizes, tail))


def broadcast(operands: Sequence[Elements]) -> tuple[sympy.Expr, ...]:
    """The sizes of the result of broadcasting ``operands`` together."""
    ndim = max((len(a.sizes) for a in operands), default=0)
    sizes = []
    for axis in range(-ndim, 0):
        here = [a.sizes[axis] for a in operands if len(a.sizes) >= -axis]
        sizes.append(next((s for s in here if s != ONE), ONE))
    return tuple(sizes)


def choose(position: sympy.Expr, entries: Sequence[sympy.Expr]) -> sympy.Expr:
    """Entry ``position`` of a short list; a ``Piecewise`` when the position is symbolic."""
    if position.is_Integer:
        return entries[int(position)]
    cases = [(e, sympy.Eq(position, c)) for c, e in enumerate(entries[:-1])]
    return sympy.Piecewise(*cases, (entries[-1], True))


def same_shape(*variables: Any) -> bool:
    """True when adding ``variables`` as matrices needs no broadcasting."""
    first = variables[0]
    return all(
        v.ndim == first.ndim
        and all((s == 1) == (t == 1) for s, t in zip(v.type.shape, first.type.shape))
        for v in variables
    )


def is_matrix(form: Any) -> bool:
    """True for a SymPy matrix expression (a matrix, or a vector as a column)."""
    return isinstance(form, sympy.MatrixExpr)


def bound_value(value: Any, default: sympy.Expr, size: sympy.Expr) -> sympy.Expr:
    """A slice bound as an index from the start (negative bounds count from the end)."""
    if value is None:
        return default
    value = sympy.sympify(value)
    bounded = size + value if value.is_negative else value
    return sympy.Min(bounded, size) if bounded.is_Integer and size.is_Integer else bounded
