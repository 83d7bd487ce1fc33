"""Sums and products read as flat lists: the forms canonicalize and stabilize work on.

A sum is signed terms and one constant; a product is numerator and denominator
factors and one constant. Their canonical graphs are n-ary nodes, built by
``algebra``:

    sum       a + b + 3 - (c + d)        sub(add(a, b, 3), add(c, d)); -(c + d) without positives
    product   -(a * b * 2 / (c * d))     neg(true_div(mul(a, b, 2), mul(c, d)))

``read_sum`` and ``read_product`` read a node's form through at most that
shape (``neg``, then ``sub``/``true_div``, then ``add``/``mul``: three levels),
so reading costs the node's own terms, never a whole chain. Long chains of
binary nodes become n-ary nodes once, in ``flatten.py``, which knows who reads
each node. Only nodes of the root's dtype are read through, so reordering
never changes the dtype an intermediate result is computed in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from symgraph.graph.basic import Constant, Variable
from symgraph.tensor.elemwise import add, exp, mul, neg, sub, true_div
from symgraph.tensor.shape import Alloc, DimShuffle

#: how many levels of sum (product) nodes the canonical form has
LEVELS = 3


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


@dataclass
class Product:
    """``constant * prod(numerators) / prod(denominators)``."""

    dtype: str
    numerators: list[Variable] = field(default_factory=list)
    denominators: list[Variable] = field(default_factory=list)
    constant: np.ndarray | None = None

    def absorbs(self, value: np.ndarray, power: int) -> bool:
        """True unless joining would divide by zero: ``x / 0`` stays a factor."""
        return power > 0 or bool(np.all(value != 0))

    def add_constant(self, value: np.ndarray, power: int) -> None:
        with np.errstate(all="ignore"):
            value = np.asarray(value).astype(self.dtype)
            if power < 0:
                value = np.asarray(1, dtype=self.dtype) / value
            self.constant = np.asarray(value if self.constant is None else self.constant * value)


def sum_ops(dtype: str) -> tuple:
    """The ops a sum of ``dtype`` is made of (booleans do not add)."""
    return (add, sub, neg) if dtype[0] in "iufc" else ()


def product_ops(dtype: str) -> tuple:
    """The ops a product of ``dtype`` is made of: integers do not divide exactly."""
    if dtype[0] in "fc":
        return (mul, true_div, neg)
    return (mul, neg) if dtype[0] in "iu" else ()


def read_sum(var: Variable, levels: int = LEVELS) -> Sum:
    """``var`` as a Sum, reading through ``levels`` levels of add/sub/neg nodes of its dtype."""
    form = Sum(var.dtype)
    ops = sum_ops(var.dtype)
    stack = [(var, 1, 0)]
    while stack:
        v, sign, level = stack.pop()
        value = numeric_constant(v)
        node = v.owner
        if value is not None:
            form.add_constant(value, sign)
        elif node is not None and node.op in ops and v.dtype == form.dtype and level < levels:
            if node.op is neg:
                stack.append((node.inputs[0], -sign, level + 1))
            elif node.op is sub:
                stack += [(node.inputs[1], -sign, level + 1), (node.inputs[0], sign, level + 1)]
            else:
                stack += [(v, sign, level + 1) for v in reversed(node.inputs)]
        else:
            form.terms.append((v, sign))
    return form


def read_product(var: Variable, levels: int = LEVELS) -> Product:
    """``var`` as a Product, reading through ``levels`` levels of mul/neg (and true_div for
    floats) nodes of its dtype; a negation is a factor -1 of the constant."""
    form = Product(var.dtype)
    ops = product_ops(var.dtype)
    stack = [(var, 1, 0)]
    while stack:
        v, power, level = stack.pop()
        value = numeric_constant(v)
        node = v.owner
        if value is not None and form.absorbs(value, power):
            form.add_constant(value, power)
        elif node is not None and node.op in ops and v.dtype == form.dtype and level < levels:
            if node.op is neg:
                form.add_constant(np.asarray(-1), 1)
                stack.append((node.inputs[0], power, level + 1))
            elif node.op is true_div:
                stack += [(node.inputs[1], -power, level + 1), (node.inputs[0], power, level + 1)]
            else:
                stack += [(v, power, level + 1) for v in reversed(node.inputs)]
        elif power > 0:
            form.numerators.append(v)
        else:
            form.denominators.append(v)
    return form


def plain(node) -> bool:
    """True when ``node`` is an add (mul) of operands of its dtype that are neither sum
    (product) nodes nor broadcasts, with at most one constant, last, that canonical forms
    keep as it is (positive, not 0 or 1, 0-d): it is its own canonical form, known unread."""
    op, dtype = node.op, node.outputs[0].dtype
    if op is add:
        ops = sum_ops(dtype)
    elif op is mul:
        ops = product_ops(dtype)
    else:
        return False
    *operands, last = node.inputs
    value = numeric_constant(last)
    if value is not None:
        if value.ndim or last.dtype != dtype or value.dtype.kind not in "iuf":
            return False
        if not value > 0 or (op is mul and value == 1):
            return False
    else:
        operands.append(last)
    for v in operands:
        owner = v.owner
        if v.dtype != dtype or isinstance(v, Constant):
            return False
        if owner is not None and (owner.op in ops or isinstance(owner.op, (Alloc, DimShuffle))):
            return False
    return True


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
