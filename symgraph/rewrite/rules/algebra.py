"""Sums and products as flat lists: the algebra that canonicalize and stabilize share.

A chain of ``add``/``sub``/``neg`` nodes is read as a ``Sum``: signed terms and
one constant. A chain of ``mul``/``true_div``/``neg`` nodes is read as a
``Product``: numerator and denominator factors and one constant. Rules edit
these lists (cancel, combine, recognize) and ``build`` turns them back into the
one canonical chain, so a form that is already canonical is left alone.

Only nodes of the root's dtype are flattened, so reordering never changes the
dtype an intermediate result is computed in; Theano's convention that a
dimension of unknown size is not 1 decides when a term may be dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from symgraph.graph.basic import Constant, Variable
from symgraph.tensor.elemwise import add, cast, exp, mul, neg, sub, true_div
from symgraph.tensor.shape import Alloc, DimShuffle, Shape
from symgraph.tensor.type import broadcast_shapes
from symgraph.tensor.variable import constant

Shape_ = tuple[int | None, ...]


def numeric_constant(v: Variable) -> np.ndarray | None:
    """The value of a number-valued constant (not strings or objects), else None."""
    if isinstance(v, Constant):
        value = np.asarray(v.value)
        if value.dtype.kind in "biufc":
            return value
    return None


def covers(shapes: Sequence[Shape_], out: Shape_) -> bool:
    """True when broadcasting ``shapes`` surely gives the static shape ``out``.

    A size-None axis is taken as not 1 (Theano's convention), so it covers any
    size; a size-1 axis covers only a size-1 output axis.
    """
    try:
        shape = broadcast_shapes(*shapes)
    except TypeError:
        return False
    if len(shape) != len(out):
        return False
    return all(o == 1 or s != 1 for s, o in zip(shape, out))


def shape_of(v: Variable | np.ndarray) -> Shape_:
    return v.type.shape if isinstance(v, Variable) else v.shape


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


def absorb_broadcasts(leaves: list, out: Shape_) -> list:
    """``leaves`` with each Alloc/leading-axis DimShuffle replaced by its source while the
    leaves together still broadcast to ``out`` (constants lose leading size-1 axes too)."""
    leaves = list(leaves)
    for i, leaf in enumerate(leaves):
        while True:
            if isinstance(leaf, np.ndarray):
                source = leaf.reshape(leaf.shape[1:]) if leaf.ndim and leaf.shape[0] == 1 else None
            else:
                source = broadcast_source(leaf)
            if source is None:
                break
            trial = [*leaves[:i], source, *leaves[i + 1 :]]
            if not covers([shape_of(x) for x in trial], out):
                break
            leaves[i] = leaf = source
    return leaves


# -- sums --------------------------------------------------------------------------------------


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


def read_sum(var: Variable) -> Sum:
    """``var`` as a Sum, flattening add/sub/neg nodes of its dtype."""
    form = Sum(var.dtype)
    stack = [(var, 1)]
    while stack:
        v, sign = stack.pop()
        value = numeric_constant(v)
        if value is not None:
            form.add_constant(value, sign)
        elif flattenable(v, (add, sub, neg), form.dtype):
            node = v.owner
            if node.op is neg:
                stack.append((node.inputs[0], -sign))
            else:
                a, b = node.inputs
                stack.append((b, -sign if node.op is sub else sign))
                stack.append((a, sign))
        else:
            form.terms.append((v, sign))
    return form


def cancel_terms(form: Sum) -> list[Variable]:
    """Remove pairs ``+t`` and ``-t``; returns the removed variables."""
    kept: list[tuple[Variable, int]] = []
    removed = []
    for v, sign in form.terms:
        for i, (w, s) in enumerate(kept):
            if w is v and s == -sign:
                del kept[i]
                removed.append(v)
                break
        else:
            kept.append((v, sign))
    form.terms = kept
    return removed


def is_zero(value: np.ndarray | None) -> bool:
    return value is not None and not np.any(value)


def is_one(value: np.ndarray | None) -> bool:
    return value is not None and bool(np.all(value == 1))


def all_negative(value: np.ndarray) -> bool:
    return value.dtype.kind in "if" and value.size > 0 and bool(np.all(value < 0))


def root_first(leaves: list, dtype: str) -> list:
    """``leaves`` with those of ``dtype`` first, so every partial result has the root's dtype."""
    return sorted(leaves, key=lambda v: isinstance(v, Variable) and v.dtype != dtype)


def mixed_dtypes(leaves: list, dtype: str) -> bool:
    """True when reordering could compute some partial result in another dtype."""
    return sum(isinstance(v, Variable) and v.dtype != dtype for v in leaves) > 1


def sum_plan(form: Sum, out: Shape_):
    """The canonical chain: positives, then ``- negatives``, then the constant last.

    All-negative sums without a constant read ``-(a + b)``; a lone constant
    leads: ``1 - x``; nothing at all is a zero constant.
    """
    const = None if is_zero(form.constant) else form.constant
    leaves = absorb_broadcasts([v for v, _ in form.terms] + ([] if const is None else [const]), out)
    if const is not None:
        const = leaves.pop()
    signs = [s for _, s in form.terms]
    positive = root_first([v for v, s in zip(leaves, signs) if s > 0], form.dtype)
    negative = root_first([v for v, s in zip(leaves, signs) if s < 0], form.dtype)
    if positive:
        plan = positive[0]
        for v in positive[1:]:
            plan = (add, plan, v)
        for v in negative:
            plan = (sub, plan, v)
        if const is not None:
            plan = (sub, plan, np.asarray(-const)) if all_negative(const) else (add, plan, const)
        return plan
    if negative and const is not None:
        plan = const
        for v in negative:
            plan = (sub, plan, v)
        return plan
    if negative:
        plan = negative[0]
        for v in negative[1:]:
            plan = (add, plan, v)
        return (neg, plan)
    return np.zeros((), dtype=form.dtype) if const is None else const


# -- products ----------------------------------------------------------------------------------


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


def read_product(var: Variable) -> Product:
    """``var`` as a Product, flattening mul/neg (and true_div for floats) nodes of its dtype."""
    form = Product(var.dtype)
    ops = (mul, neg, true_div) if var.dtype[0] in "fc" else (mul, neg)
    stack = [(var, 1)]
    while stack:
        v, power = stack.pop()
        value = numeric_constant(v)
        if value is not None and (power > 0 or np.all(value != 0)):
            form.scale(value, power)
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
    return form


def cancel_factors(form: Product) -> list[Variable]:
    """Remove factors found both above and below the line; returns the removed variables."""
    removed = []
    for v in list(form.denominators):
        for i, w in enumerate(form.numerators):
            if w is v:
                del form.numerators[i]
                form.denominators.remove(v)
                removed.append(v)
                break
    return removed


def product_plan(form: Product, out: Shape_):
    """The canonical chain ``-(n0 * n1 * c / d0 / d1)``: a negative constant gives the
    leading minus; a zero constant gives zero."""
    const = form.constant
    if is_zero(const):
        return np.zeros((), dtype=form.dtype)
    if not form.numerators and not form.denominators:
        return np.ones((), dtype=form.dtype) if const is None else const
    negative = const is not None and all_negative(const)
    if negative:
        const = np.asarray(-const)
    if is_one(const):
        const = None
    leaves = form.numerators + form.denominators + ([] if const is None else [const])
    leaves = absorb_broadcasts(leaves, out)
    count = len(form.numerators)
    numerators = root_first(leaves[:count], form.dtype)
    denominators = leaves[count : count + len(form.denominators)]
    plan = numerators[0] if numerators else None
    for v in numerators[1:]:
        plan = (mul, plan, v)
    if const is not None:
        plan = leaves[-1] if plan is None else (mul, plan, leaves[-1])
    if plan is None:
        plan = np.ones((), dtype=form.dtype)
    for v in denominators:
        plan = (true_div, plan, v)
    return (neg, plan) if negative else plan


# -- plans: compare with the graph, or build -----------------------------------------------------


def _same_leaf(plan, var: Variable) -> bool:
    if isinstance(plan, Variable):
        return plan is var
    value = numeric_constant(var)
    if value is None or value.dtype != plan.dtype or value.shape != plan.shape:
        return False
    return bool(np.array_equal(value, plan, equal_nan=plan.dtype.kind in "fc"))


def same(plan, var: Variable) -> bool:
    """True when the graph at ``var`` is ``plan``, up to the order of commutative operands
    (the engine merges those orders, so they are one expression).

    Plans are chains deep on the left, so the walk follows the left operand in a loop
    (a sum of thousands of terms must not exhaust Python's recursion limit).
    """
    while isinstance(plan, tuple):
        node = var.owner
        if node is None or node.op is not plan[0] or len(node.inputs) != len(plan) - 1:
            return False
        if len(plan) == 2:
            plan, var = plan[1], node.inputs[0]
            continue
        (left, right), (a, b) = plan[1:], node.inputs
        if isinstance(right, tuple):
            return same(right, b) and same(left, a)
        if _same_leaf(right, b):
            plan, var = left, a
        elif node.op.commutative and _same_leaf(right, a):
            plan, var = left, b
        else:
            return False
    return _same_leaf(plan, var)


def _spine(plan) -> tuple[list[tuple], object]:
    """The nested nodes along the left operands, outermost first, and the innermost leaf."""
    nodes = []
    while isinstance(plan, tuple):
        nodes.append(plan)
        plan = plan[1]
    return nodes, plan


def build(plan, dtype: str) -> Variable:
    """The graph ``plan`` describes; constants take ``dtype``."""
    nodes, leaf = _spine(plan)
    result = leaf if isinstance(leaf, Variable) else constant(leaf.astype(dtype), dtype=dtype)
    for node in reversed(nodes):
        result = node[0](result, *(build(p, dtype) for p in node[2:]))
    return result


def plan_shapes(plan) -> list[Shape_]:
    nodes, leaf = _spine(plan)
    shapes = [shape_of(leaf)]
    for node in nodes:
        for p in node[2:]:
            shapes.extend(plan_shapes(p))
    return shapes


def realize(plan, out: Variable, donors: Sequence[Variable] = ()) -> Variable | None:
    """``plan`` as a graph replacing ``out``, or None when ``plan`` already is ``out``.

    A plan whose broadcast shape falls short of the output's (rules removed the
    terms that gave it) fills the shape of one of the ``donors``, the removed
    variables; with no donor of that shape the rewrite is declined (None).
    """
    if same(plan, out):
        return None
    if covers(plan_shapes(plan), out.type.shape):
        return cast(build(plan, out.dtype), out.dtype)
    for donor in donors:
        if covers([donor.type.shape], out.type.shape):
            return Alloc(out.dtype)(build(plan, out.dtype), Shape()(donor))
    return None


def negate(v: Variable) -> Variable:
    """``-v``, built without double negation: ``-(-a)`` is ``a``, ``-(a - b)`` is ``b - a``."""
    value = numeric_constant(v)
    if value is not None and value.dtype.kind in "if":
        return constant(-value, dtype=v.dtype)
    form = read_sum(v)
    form.terms = [(t, -s) for t, s in form.terms]
    if form.constant is not None:
        form.constant = np.asarray(-form.constant)
    return cast(build(sum_plan(form, v.type.shape), v.dtype), v.dtype)


def is_negation(a: Variable, b: Variable) -> bool:
    """True when ``b`` is surely ``-a`` (structurally, up to the order of sum terms)."""
    for x, y in ((a, b), (b, a)):
        if y.owner is not None and y.owner.op is neg and y.owner.inputs[0] is x:
            return True
    sa, sb = read_sum(a), read_sum(b)
    if len(sa.terms) != len(sb.terms) or not sa.terms:
        return False
    remaining = list(sb.terms)
    for v, sign in sa.terms:
        match = next((i for i, (w, s) in enumerate(remaining) if w is v and s == -sign), None)
        if match is None:
            return False
        del remaining[match]
    ca = np.zeros(()) if sa.constant is None else sa.constant
    cb = np.zeros(()) if sb.constant is None else sb.constant
    return bool(np.all(ca == -cb))


def exp_argument(v: Variable) -> Variable | None:
    """``u`` when ``v`` is ``exp(u)``."""
    return v.owner.inputs[0] if v.owner is not None and v.owner.op is exp else None
