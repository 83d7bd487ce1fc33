"""Sums and products read as flat lists: the forms canonicalize and stabilize work on.

A chain of ``add``/``sub``/``neg`` nodes is read as a ``Sum``: signed terms and
one constant. A chain of ``mul``/``true_div``/``neg`` nodes is read as a
``Product``: numerator and denominator factors and one constant. Only nodes of
the root's dtype are flattened, so reordering never changes the dtype an
intermediate result is computed in.

Each form is read once and remembered, and a node that appends one leaf to a
remembered chain is recognized in constant time (``sum_extension``,
``extends_canonical_sum``): a sum of n terms costs O(n), not O(n^2).
"""

from __future__ import annotations

import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.tensor.elemwise import add, exp, mul, neg, sigmoid, sub, true_div
from symgraph.tensor.shape import Alloc, DimShuffle


def numeric_constant(v: Variable) -> np.ndarray | None:
    """The value of a number-valued constant (not strings or objects), else None."""
    if isinstance(v, Constant):
        value = np.asarray(v.value)
        if value.dtype.kind in "biufc":
            return value
    return None


def broadcast_source(v: Variable) -> Variable | None:
    """What an elementwise consumer may read instead of ``v``: the value an Alloc fills
    with, or the input of a DimShuffle that only adds leading broadcastable axes."""
    node = v.owner
    if node is None:
        return None
    if isinstance(node.op, Alloc) and node.inputs[0].dtype == v.dtype:
        return node.inputs[0]
    if isinstance(node.op, DimShuffle):
        order = node.op.order
        lead = len(order) - node.op.ndim_in
        if (
            lead > 0
            and all(d == "x" for d in order[:lead])
            and order[lead:] == tuple(range(node.op.ndim_in))
        ):
            return node.inputs[0]
    return None


@dataclass
class Sum:
    """``sum(sign * term) + constant``; ``constant`` is None when there is none."""

    dtype: str
    terms: list[tuple[Variable, int]] = field(default_factory=list)
    constant: np.ndarray | None = None

    def add_constant(self, value: np.ndarray, sign: int) -> None:
        with np.errstate(all="ignore"):
            value = np.asarray(value).astype(self.dtype) * sign
            self.constant = np.asarray(value if self.constant is None else self.constant + value)


def flattenable(v: Variable, ops: tuple, dtype: str) -> bool:
    node = v.owner
    return node is not None and node.op in ops and v.dtype == dtype


SUM_OPS = (add, sub, neg)


class _Read(NamedTuple):
    """A form as read once, with what extending it by one leaf needs to know in O(1)."""

    above: tuple  # a sum's (term, sign) pairs; a product's numerators
    below: tuple  # a product's denominators
    constant: np.ndarray | None
    index: frozenset  # (id(leaf), +1 or -1)
    uniform: bool  # every leaf has the form's dtype
    count: int  # a sum's negative terms
    kinds: frozenset = frozenset()  # a product's factor kinds that rules look for


#: forms already read: a chain is read once, however many of its prefixes are asked for
_SUMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PRODUCTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _remember_sum(var: Variable, terms: tuple, constant) -> _Read:
    read = _Read(
        terms,
        (),
        constant,
        frozenset((id(v), s) for v, s in terms),
        all(v.dtype == var.dtype for v, _ in terms),
        sum(s < 0 for _, s in terms),
    )
    _SUMS[var] = read
    return read


def read_sum(var: Variable) -> Sum:
    """``var`` as a Sum, flattening add/sub/neg nodes of its dtype."""
    known = _SUMS.get(var)
    if known is None:
        form = Sum(var.dtype)
        stack = [(var, 1)]
        while stack:
            v, sign = stack.pop()
            value = numeric_constant(v)
            part = _SUMS.get(v) if v is not var else None
            if value is not None:
                form.add_constant(value, sign)
            elif part is not None:
                form.terms.extend((t, s * sign) for t, s in part.above)
                if part.constant is not None:
                    form.add_constant(part.constant, sign)
            elif flattenable(v, SUM_OPS, form.dtype):
                node = v.owner
                if node.op is neg:
                    stack.append((node.inputs[0], -sign))
                else:
                    a, b = node.inputs
                    stack.append((b, -sign if node.op is sub else sign))
                    stack.append((a, sign))
            else:
                form.terms.append((v, sign))
        known = _remember_sum(var, tuple(form.terms), form.constant)
    return Sum(var.dtype, list(known.above), known.constant)


def sum_extension(node: Apply) -> tuple[_Read, Variable, int] | None:
    """``(read chain, leaf, sign)`` when ``node`` is ``chain ± leaf``: one term appended to a
    sum already read (rules then need to look at the new term only)."""
    out = node.outputs[0]
    if node.op not in (add, sub):
        return None
    for chain, leaf in [node.inputs] + ([node.inputs[::-1]] if node.op is add else []):
        if chain.dtype != out.dtype or numeric_constant(leaf) is not None:
            continue
        if flattenable(leaf, SUM_OPS, out.dtype):
            continue
        if chain not in _SUMS:
            read_sum(chain)
        return _SUMS[chain], leaf, (-1 if node.op is sub else 1)
    return None


def extends_canonical_sum(node: Apply) -> bool:
    """True when ``node`` appends a term to a canonical chain in canonical order, so it is
    canonical itself (and its form is remembered): an O(1) answer for long sums."""
    extension = sum_extension(node)
    if extension is None:
        return False
    chain, leaf, sign = extension
    out = node.outputs[0]
    canonical = (
        chain.constant is None
        and chain.uniform
        and leaf.dtype == out.dtype
        and broadcast_source(leaf) is None
        and (id(leaf), -sign) not in chain.index
        and (chain.count == 0 if sign > 0 else chain.count < len(chain.above))
    )
    if canonical:
        _SUMS[out] = _Read(
            chain.above + ((leaf, sign),),
            (),
            None,
            chain.index | {(id(leaf), sign)},
            True,
            chain.count + (sign < 0),
        )
    return canonical


def cancel_terms(form: Sum) -> list[Variable]:
    """Remove pairs ``+t`` and ``-t``; returns the removed variables."""
    kept: list[tuple[Variable, int] | None] = []
    open_terms: dict[tuple[int, int], list[int]] = {}
    removed = []
    for v, sign in form.terms:
        opposite = open_terms.get((id(v), -sign))
        if opposite:
            kept[opposite.pop()] = None
            removed.append(v)
        else:
            open_terms.setdefault((id(v), sign), []).append(len(kept))
            kept.append((v, sign))
    form.terms = [t for t in kept if t is not None]
    return removed


@dataclass
class Product:
    """``constant * prod(numerators) / prod(denominators)``."""

    dtype: str
    numerators: list[Variable] = field(default_factory=list)
    denominators: list[Variable] = field(default_factory=list)
    constant: np.ndarray | None = None

    def scale(self, value: np.ndarray, power: int) -> None:
        with np.errstate(all="ignore"):
            value = np.asarray(value).astype(self.dtype)
            if power < 0:
                value = np.asarray(1, dtype=self.dtype) / value
            self.constant = np.asarray(value if self.constant is None else self.constant * value)


def _remember_product(var: Variable, numerators: tuple, denominators: tuple, constant) -> _Read:
    read = _Read(
        numerators,
        denominators,
        constant,
        frozenset([(id(v), 1) for v in numerators] + [(id(v), -1) for v in denominators]),
        all(v.dtype == var.dtype for v in numerators + denominators),
        0,
        frozenset(factor_kind(v) for v in numerators) - {None},
    )
    _PRODUCTS[var] = read
    return read


def _product_ops(dtype: str) -> tuple:
    return (mul, neg, true_div) if dtype[0] in "fc" else (mul, neg)


def read_product(var: Variable) -> Product:
    """``var`` as a Product, flattening mul/neg (and true_div for floats) nodes of its dtype."""
    known = _PRODUCTS.get(var)
    if known is None:
        form = Product(var.dtype)
        ops = _product_ops(var.dtype)
        stack = [(var, 1)]
        while stack:
            v, power = stack.pop()
            value = numeric_constant(v)
            part = _PRODUCTS.get(v) if v is not var else None
            if value is not None and (power > 0 or np.all(value != 0)):
                form.scale(value, power)
            elif part is not None and (
                power > 0 or part.constant is None or np.all(part.constant != 0)
            ):
                above, below = (part.above, part.below) if power > 0 else (part.below, part.above)
                form.numerators.extend(above)
                form.denominators.extend(below)
                if part.constant is not None:
                    form.scale(part.constant, power)
            elif flattenable(v, ops, form.dtype):
                node = v.owner
                if node.op is neg:
                    form.scale(np.asarray(-1), 1)
                    stack.append((node.inputs[0], power))
                else:
                    a, b = node.inputs
                    stack.append((b, -power if node.op is true_div else power))
                    stack.append((a, power))
            else:
                (form.numerators if power > 0 else form.denominators).append(v)
        known = _remember_product(
            var, tuple(form.numerators), tuple(form.denominators), form.constant
        )
    return Product(var.dtype, list(known.above), list(known.below), known.constant)


def factor_kind(v: Variable) -> str | None:
    """What stabilizing product rules look for in a numerator: an exp, a sigmoid or a sum."""
    op = v.owner.op if v.owner is not None else None
    if op is exp:
        return "exp"
    if op is sigmoid:
        return "sigmoid"
    return "sum" if op in (add, sub) else None


def product_extension(node: Apply) -> tuple[_Read, Variable, int] | None:
    """``(read chain, leaf, power)`` when ``node`` is ``chain * leaf`` or ``chain / leaf``:
    one factor appended to a product already read."""
    out = node.outputs[0]
    if node.op not in (mul, true_div) or (node.op is true_div and out.dtype[0] not in "fc"):
        return None
    ops = _product_ops(out.dtype)
    for chain, leaf in [node.inputs] + ([node.inputs[::-1]] if node.op is mul else []):
        if chain.dtype != out.dtype or numeric_constant(leaf) is not None:
            continue
        if flattenable(leaf, ops, out.dtype):
            continue
        if chain not in _PRODUCTS:
            read_product(chain)
        return _PRODUCTS[chain], leaf, (-1 if node.op is true_div else 1)
    return None


def extends_canonical_product(node: Apply) -> bool:
    """True when ``node`` appends a factor to a canonical chain in canonical order (its form
    is then remembered): an O(1) answer for long products."""
    extension = product_extension(node)
    if extension is None:
        return False
    chain, leaf, power = extension
    out = node.outputs[0]
    canonical = (
        chain.constant is None
        and chain.uniform
        and leaf.dtype == out.dtype
        and broadcast_source(leaf) is None
        and (id(leaf), -power) not in chain.index
        and (power < 0 or not chain.below)
    )
    if canonical:
        above, below = (
            (chain.above + (leaf,), chain.below)
            if power > 0
            else (
                chain.above,
                chain.below + (leaf,),
            )
        )
        kind = factor_kind(leaf) if power > 0 else None
        _PRODUCTS[out] = _Read(
            above,
            below,
            None,
            chain.index | {(id(leaf), power)},
            True,
            0,
            chain.kinds | {kind} if kind else chain.kinds,
        )
    return canonical


def cancel_factors(form: Product) -> list[Variable]:
    """Remove factors found both above and below the line; returns the removed variables."""
    below = Counter(id(v) for v in form.denominators)
    numerators, removed = [], []
    for v in form.numerators:
        if below[id(v)]:
            below[id(v)] -= 1
            removed.append(v)
        else:
            numerators.append(v)
    cancelled = Counter(id(v) for v in removed)
    denominators = []
    for v in form.denominators:
        if cancelled[id(v)]:
            cancelled[id(v)] -= 1
        else:
            denominators.append(v)
    form.numerators, form.denominators = numerators, denominators
    return removed


def exp_argument(v: Variable) -> Variable | None:
    """``u`` when ``v`` is ``exp(u)``."""
    return v.owner.inputs[0] if v.owner is not None and v.owner.op is exp else None
