"""Plans: the one canonical n-ary graph of a sum or a product, compared with the graph or built.

``sum_plan`` and ``product_plan`` turn a form (``forms.py``) back into a
nested tuple ``(op, *operands)`` of variables and constant arrays, at most three
levels deep; ``same`` tells whether the graph already is that, ``realize``
builds it when it is not. Theano's convention that a dimension of unknown size is not 1 decides
when a term may be dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symgraph.graph.basic import Variable
from symgraph.rewrite.rules.forms import (
    Product,
    Sum,
    broadcast_source,
    cancel_factors,
    cancel_terms,
    numeric_constant,
    read_sum,
)
from symgraph.tensor.elemwise import add, cast, mul, neg, sub, true_div
from symgraph.tensor.shape import Alloc, Shape
from symgraph.tensor.type import broadcast_shapes
from symgraph.tensor.variable import constant

Shape_ = tuple[int | None, ...]


def covers(shapes: Sequence[Shape_], out: Shape_) -> bool:
    """True when broadcasting ``shapes`` gives exactly the static shape ``out``.

    Exactly: a replacement must keep its original's type, so a size known on
    one side must be known, and the same, on the other.
    """
    try:
        return broadcast_shapes(*shapes) == tuple(out)
    except TypeError:
        return False


def shape_of(v: Variable | np.ndarray) -> Shape_:
    return v.type.shape if isinstance(v, Variable) else v.shape


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


def is_zero(value: np.ndarray | None) -> bool:
    """An all-zero constant; not an empty one, which still shapes the result it joins."""
    return value is not None and value.size > 0 and not np.any(value)


def is_one(value: np.ndarray | None) -> bool:
    """An all-one constant; not an empty one (see ``is_zero``)."""
    return value is not None and value.size > 0 and bool(np.all(value == 1))


def all_negative(value: np.ndarray) -> bool:
    return value.dtype.kind in "if" and value.size > 0 and bool(np.all(value < 0))


def root_first(leaves: list, dtype: str) -> list:
    """``leaves`` with those of ``dtype`` first, so every partial result has the root's dtype."""
    return sorted(leaves, key=lambda v: isinstance(v, Variable) and v.dtype != dtype)


def mixed_dtypes(leaves: list, dtype: str) -> bool:
    """True when reordering could compute some partial result in another dtype."""
    return sum(isinstance(v, Variable) and v.dtype != dtype for v in leaves) > 1


def _group(op, leaves: list):
    """One leaf as it is, several as one n-ary node of ``op``."""
    return leaves[0] if len(leaves) == 1 else (op, *leaves)


def sum_plan(form: Sum, out: Shape_):
    """The canonical sum ``a + b + k - (c + d)``: positives (the constant last) minus
    negatives; ``-(c + d)`` without positives; a zero constant when nothing is left."""
    const = None if is_zero(form.constant) else form.constant
    leaves = absorb_broadcasts([v for v, _ in form.terms] + ([] if const is None else [const]), out)
    if const is not None:
        const = leaves.pop()
    signs = [s for _, s in form.terms]
    positive = root_first([v for v, s in zip(leaves, signs) if s > 0], form.dtype)
    negative = root_first([v for v, s in zip(leaves, signs) if s < 0], form.dtype)
    if const is not None:
        if all_negative(const):
            negative.append(np.asarray(-const))
        else:
            positive.append(const)
    if positive and negative:
        return (sub, _group(add, positive), _group(add, negative))
    if positive:
        return _group(add, positive)
    if negative:
        return (neg, _group(add, negative))
    return np.zeros((), dtype=form.dtype)


def product_plan(form: Product, out: Shape_):
    """The canonical product ``-(n0 * n1 * k / (d0 * d1))``: a negative constant gives the
    leading minus, a zero constant gives zero."""
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
    if const is not None:
        numerators.append(leaves[-1])
    plan = _group(mul, numerators) if numerators else np.ones((), dtype=form.dtype)
    if denominators:
        plan = (true_div, plan, _group(mul, denominators))
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
    """True when the graph at ``var`` is ``plan`` (plans are at most three levels deep), up
    to the order of two commutative operands (the engine merges those orders)."""
    if not isinstance(plan, tuple):
        return _same_leaf(plan, var)
    node = var.owner
    if node is None or node.op is not plan[0] or len(node.inputs) != len(plan) - 1:
        return False
    if all(same(p, v) for p, v in zip(plan[1:], node.inputs)):
        return True
    swapped = len(node.inputs) == 2 and node.op.commutative
    return swapped and same(plan[1], node.inputs[1]) and same(plan[2], node.inputs[0])


def build(plan, dtype: str) -> Variable:
    """The graph ``plan`` describes; constants take ``dtype``."""
    if isinstance(plan, Variable):
        return plan
    if not isinstance(plan, tuple):
        return constant(plan.astype(dtype), dtype=dtype)
    return plan[0](*(build(p, dtype) for p in plan[1:]))


def plan_shapes(plan) -> list[Shape_]:
    if not isinstance(plan, tuple):
        return [shape_of(plan)]
    return [shape for p in plan[1:] for shape in plan_shapes(p)]


def realize(plan, out: Variable, donors: Sequence[Variable] = ()) -> Variable | None:
    """``plan`` as a graph replacing ``out``, or None when ``plan`` already is ``out``.

    A plan whose broadcast shape falls short of the output's (rules removed the
    terms that gave it) fills the shape of one of the ``donors``, the removed
    variables; with no donor of that shape the rewrite is declined (None), as it is
    when the plan's static shape is more precise than the output's.
    """
    if same(plan, out):
        return None
    if covers(plan_shapes(plan), out.type.shape):
        result = cast(build(plan, out.dtype), out.dtype)
        return result if result.type == out.type else None
    for donor in donors:
        if covers([donor.type.shape], out.type.shape):
            result = Alloc(out.dtype)(build(plan, out.dtype), Shape()(donor))
            return result if result.type == out.type else None
    return None


def canonical(form: Sum | Product, out: Variable) -> Variable | None:
    """The canonical graph of ``form`` standing for ``out``: terms ``t - t`` and factors
    ``x / x`` cancelled; None when ``out`` already is it (or reordering could change the
    dtype of a partial result)."""
    if isinstance(form, Sum):
        if mixed_dtypes([v for v, _ in form.terms], out.dtype):
            return None
        removed = cancel_terms(form)
        return realize(sum_plan(form, out.type.shape), out, removed)
    factors = form.numerators + form.denominators
    if mixed_dtypes(factors, out.dtype):
        return None
    removed = cancel_factors(form)
    if form.constant is not None and not np.any(form.constant):
        removed = factors
    return realize(product_plan(form, out.type.shape), out, removed)


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
