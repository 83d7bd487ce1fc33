"""Plans: the one canonical chain for a sum or a product, compared with the graph or built.

``sum_plan`` and ``product_plan`` turn a form (``forms.py``) back into a
nested tuple ``(op, left, right)`` of variables and constant arrays; ``same``
tells whether the graph already is that chain, ``realize`` builds it when it
is not. Theano's convention that a dimension of unknown size is not 1 decides
when a term may be dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symgraph.graph.basic import Variable
from symgraph.rewrite.rules.forms import Product, Sum, broadcast_source, numeric_constant, read_sum
from symgraph.tensor.elemwise import add, cast, mul, neg, sub, true_div
from symgraph.tensor.shape import Alloc, Shape
from symgraph.tensor.type import broadcast_shapes
from symgraph.tensor.variable import constant

Shape_ = tuple[int | None, ...]


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
    variables; with no donor of that shape the rewrite is declined (None), as it is
    when the plan's static shape is more precise than the output's.
    """
    if same(plan, out):
        return None
    if covers(plan_shapes(plan), out.type.shape):
        built = cast(build(plan, out.dtype), out.dtype)
        # factors in a new order can know a size the original left open: that type differs
        return built if built.type == out.type else None
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
