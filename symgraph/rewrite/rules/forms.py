"""Sums and products read as flat lists: the forms canonicalize and stabilize work on.

A chain of ``add``/``sub``/``neg`` nodes is read as a ``Sum``: signed terms and
one constant. A chain of ``mul``/``true_div``/``neg`` nodes is read as a
``Product``: numerator and denominator factors and one constant. Only nodes of
the root's dtype are flattened, so reordering never changes the dtype an
intermediate result is computed in.

Both are read by one mechanism (``read_chain``): a chain is a list of leaves,
each with +1 or -1 (a term's sign, or the side of the line a factor is on),
and the form's class says which ops make the chain and what a constant or a
negation does to it. Each chain is read once and remembered, and a node that
appends one leaf to a remembered chain is recognized in constant time
(``chain_extension``, ``extends_canonical``): a sum of n terms costs O(n), not
O(n^2).
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple

import numpy as np

from symgraph.graph.basic import Apply, Constant, Op, Variable
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


Leaves = Sequence[tuple[Variable, int]]


class _Read(NamedTuple):
    """A chain as read once, with what extending it by one leaf needs to know in O(1)."""

    leaves: tuple  # (leaf, +1 or -1): a sum's signed terms; a product's factors, -1 below
    constant: np.ndarray | None
    index: frozenset  # the leaves as (id(leaf), +1 or -1)
    uniform: bool  # every leaf has the chain's dtype
    count: int  # leaves with -1
    kinds: frozenset  # the factor kinds that rules look for (products only)


class ChainKind:
    """A kind of chain, as ``read_chain`` sees it: the base of the forms ``Sum`` and ``Product``.

    ``append_op`` adds a leaf on either side, ``inverse_op`` adds its right
    operand with -1, ``known`` remembers the chains already read (a chain is
    read once, however many of its prefixes are asked for). Each kind also
    says which ops it ``flattens`` for a dtype, whether a constant ``absorbs``
    into the chain's one constant and how they ``combine``, what a ``neg``
    does (``negated``), and which ``factor_kinds`` rules look for.
    """

    append_op: ClassVar[Op]
    inverse_op: ClassVar[Op]
    known: ClassVar[weakref.WeakKeyDictionary]

    def __init_subclass__(cls, append_op: Op, inverse_op: Op) -> None:
        cls.append_op, cls.inverse_op = append_op, inverse_op
        cls.known = weakref.WeakKeyDictionary()


@dataclass
class Sum(ChainKind, append_op=add, inverse_op=sub):
    """``sum(sign * term) + constant``; ``constant`` is None when there is none."""

    dtype: str
    terms: list[tuple[Variable, int]] = field(default_factory=list)
    constant: np.ndarray | None = None

    @staticmethod
    def flattens(dtype: str) -> tuple:
        """The ops a chain of ``dtype`` is read through."""
        return (add, sub, neg)

    @staticmethod
    def absorbs(value: np.ndarray, sign: int) -> bool:
        """True when the constant ``value`` read with ``sign`` joins the chain's constant."""
        return True

    @staticmethod
    def combine(
        constant: np.ndarray | None, value: np.ndarray, sign: int, dtype: str
    ) -> np.ndarray:
        """``constant`` (None: none yet) with ``value`` read with ``sign`` absorbed."""
        with np.errstate(all="ignore"):
            value = np.asarray(value).astype(dtype) * sign
            return np.asarray(value if constant is None else constant + value)

    @staticmethod
    def negated(constant: np.ndarray | None, sign: int, dtype: str) -> tuple:
        """``(constant, sign)`` for the operand of a ``neg`` read with ``sign``."""
        return constant, -sign

    @staticmethod
    def factor_kinds(leaves: Leaves) -> frozenset:
        return frozenset()


@dataclass
class Product(ChainKind, append_op=mul, inverse_op=true_div):
    """``constant * prod(numerators) / prod(denominators)``."""

    dtype: str
    numerators: list[Variable] = field(default_factory=list)
    denominators: list[Variable] = field(default_factory=list)
    constant: np.ndarray | None = None

    @staticmethod
    def flattens(dtype: str) -> tuple:
        """The ops a chain of ``dtype`` is read through: integers do not divide exactly."""
        return (mul, neg, true_div) if dtype[0] in "fc" else (mul, neg)

    @staticmethod
    def absorbs(value: np.ndarray, power: int) -> bool:
        """True unless joining would divide by zero: ``x / 0`` stays a factor."""
        return power > 0 or bool(np.all(value != 0))

    @staticmethod
    def combine(
        constant: np.ndarray | None, value: np.ndarray, power: int, dtype: str
    ) -> np.ndarray:
        with np.errstate(all="ignore"):
            value = np.asarray(value).astype(dtype)
            if power < 0:
                value = np.asarray(1, dtype=dtype) / value
            return np.asarray(value if constant is None else constant * value)

    @staticmethod
    def negated(constant: np.ndarray | None, power: int, dtype: str) -> tuple:
        """A negation is a factor -1 of the constant; the operand keeps ``power``."""
        return Product.combine(constant, np.asarray(-1), 1, dtype), power

    @staticmethod
    def factor_kinds(leaves: Leaves) -> frozenset:
        return frozenset(factor_kind(v) for v, power in leaves if power > 0) - {None}


def flattenable(v: Variable, ops: tuple, dtype: str) -> bool:
    node = v.owner
    return node is not None and node.op in ops and v.dtype == dtype


def read_chain(var: Variable, kind: type[ChainKind]) -> _Read:
    """``var`` read as a chain of ``kind`` through the chain's nodes of its dtype; read once,
    and a chain read before is taken in one step."""
    known = kind.known.get(var)
    if known is not None:
        return known
    dtype = var.dtype
    ops = kind.flattens(dtype)
    leaves: list[tuple[Variable, int]] = []
    constant = None
    stack = [(var, 1)]
    while stack:
        v, sign = stack.pop()
        value = numeric_constant(v)
        part = kind.known.get(v) if v is not var else None
        if value is not None and kind.absorbs(value, sign):
            constant = kind.combine(constant, value, sign, dtype)
        elif part is not None and (part.constant is None or kind.absorbs(part.constant, sign)):
            leaves.extend(part.leaves if sign > 0 else [(t, -s) for t, s in part.leaves])
            if part.constant is not None:
                constant = kind.combine(constant, part.constant, sign, dtype)
        elif flattenable(v, ops, dtype):
            node = v.owner
            if node.op is neg:
                constant, sign = kind.negated(constant, sign, dtype)
                stack.append((node.inputs[0], sign))
            else:
                a, b = node.inputs
                stack.append((b, -sign if node.op is kind.inverse_op else sign))
                stack.append((a, sign))
        else:
            leaves.append((v, sign))
    known = kind.known[var] = _Read(
        tuple(leaves),
        constant,
        frozenset((id(v), s) for v, s in leaves),
        all(v.dtype == dtype for v, _ in leaves),
        sum(s < 0 for _, s in leaves),
        kind.factor_kinds(leaves),
    )
    return known


def read_sum(var: Variable) -> Sum:
    """``var`` as a Sum, flattening add/sub/neg nodes of its dtype."""
    known = read_chain(var, Sum)
    return Sum(var.dtype, list(known.leaves), known.constant)


def read_product(var: Variable) -> Product:
    """``var`` as a Product, flattening mul/neg (and true_div for floats) nodes of its dtype."""
    known = read_chain(var, Product)
    return Product(
        var.dtype,
        [v for v, power in known.leaves if power > 0],
        [v for v, power in known.leaves if power < 0],
        known.constant,
    )


def chain_extension(node: Apply, kind: type[ChainKind]) -> tuple[_Read, Variable, int] | None:
    """``(read chain, leaf, sign)`` when ``node`` is ``chain ± leaf`` (a Sum) or ``chain * leaf``,
    ``chain / leaf`` (a Product): one leaf appended to a chain already read (rules then need
    to look at the new leaf only)."""
    op, out = node.op, node.outputs[0]
    if op not in (kind.append_op, kind.inverse_op):
        return None
    ops = kind.flattens(out.dtype)
    if op not in ops:  # integer products do not divide
        return None
    for chain, leaf in [node.inputs] + ([node.inputs[::-1]] if op is kind.append_op else []):
        if chain.dtype != out.dtype or numeric_constant(leaf) is not None:
            continue
        if flattenable(leaf, ops, out.dtype):
            continue
        return read_chain(chain, kind), leaf, (-1 if op is kind.inverse_op else 1)
    return None


def extends_canonical(node: Apply, kind: type[ChainKind]) -> bool:
    """True when ``node`` appends a leaf to a canonical chain in canonical order (leaves with +1
    first, then those with -1, the first with +1), so it is canonical itself (and its chain is
    remembered): an O(1) answer for long chains."""
    extension = chain_extension(node, kind)
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
        and (chain.count == 0 if sign > 0 else chain.count < len(chain.leaves))
    )
    if canonical:
        kind.known[out] = _Read(
            chain.leaves + ((leaf, sign),),
            None,
            chain.index | {(id(leaf), sign)},
            True,
            chain.count + (sign < 0),
            chain.kinds | kind.factor_kinds(((leaf, sign),)),
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


def factor_kind(v: Variable) -> str | None:
    """What stabilizing product rules look for in a numerator: an exp, a sigmoid or a sum."""
    op = v.owner.op if v.owner is not None else None
    if op is exp:
        return "exp"
    if op is sigmoid:
        return "sigmoid"
    return "sum" if op in (add, sub) else None


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
