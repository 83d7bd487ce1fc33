"""canonicalize: one spelling per expression, so merging and the later phases see through syntax.

Sums become ``a + b - c + k`` chains and products ``a * b * k / c`` chains
(flattened, cancelled, constants combined), negations are folded, and shape
and layout ops that do nothing are dropped.
"""

from __future__ import annotations

import collections

import numpy as np

import symgraph.tensor as T
from symgraph.rewrite.pattern import EVERY_OP, RuleSet, any_op, bind, pvars
from symgraph.rewrite.rules.algebra import canonical, covers
from symgraph.rewrite.rules.forms import (
    broadcast_source,
    plain,
    read_product,
    read_sum,
)
from symgraph.tensor.elemwise import Cast, Elemwise, add, exp, log, mul, neg, sub, true_div
from symgraph.tensor.reduction import Reduce
from symgraph.tensor.shape import Alloc, DimShuffle, Join, Reshape, Shape, ShapeEntry, dimshuffle
from symgraph.tensor.subtensor import FULL, Subtensor
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import constant

canonicalize = RuleSet("canonicalize")
x = pvars("x")


# Gradient-only identities (disconnected_grad, zero_grad, grad_clip) have done their work once
# the gradient exists; in the forward pass they compute nothing.
@canonicalize.node_rule(EVERY_OP)
def drop_forward_identity(node):
    """``identity(x) -> x`` for ops marked ``forward_identity``."""
    return node.inputs[0] if getattr(node.op, "forward_identity", False) else None


# Sums: flatten, cancel ``t - t``, combine constants, drop ``+ 0``, fold double negation.
@canonicalize.node_rule(add, sub, neg)
def canonical_sum(node):
    """``a + (b - (c - 1)) + 2 -> a + b - c + 3``; ``x - x -> 0``; ``-(-x) -> x``."""
    out = node.outputs[0]
    if out.dtype[0] not in "iufc" or plain(node):
        return None
    return canonical(read_sum(out), out)


# Products: flatten, cancel ``x / x``, combine constants, drop ``* 1``, signs to the front.
@canonicalize.node_rule(mul, true_div, neg)
def canonical_product(node):
    """``(2 * a) / (b / a) * -3 -> -(a * a * 6 / b)``; ``x / x -> 1``; ``x * 0 -> 0``."""
    out = node.outputs[0]
    if out.dtype[0] not in "iufc" or plain(node):
        return None
    return canonical(read_product(out), out)


# An Alloc or a leading-axis DimShuffle feeding an elementwise op is broadcasting the op
# would do anyway: read the source instead, as long as the output keeps its shape.
@canonicalize.node_rule(Elemwise)
def elementwise_reads_broadcast_source(node):
    """``f(alloc(v, shape), y) -> f(v, y)`` when ``y`` already gives the output's shape."""
    out = node.outputs[0]
    inputs = list(node.inputs)
    changed = False
    for i, v in enumerate(inputs):
        source = broadcast_source(v)
        if source is None:
            continue
        trial = [*inputs[:i], source, *inputs[i + 1 :]]
        if covers([t.type.shape for t in trial], out.type.shape):
            inputs, changed = trial, True
    if not changed:
        return None
    result = node.op(*inputs)
    return result if result.type == out.type else None


# Only for floats: log(exp(k)) of an integer k is a float, and of a complex k wraps its phase.
canonicalize.add(log(exp(x)), lambda x: x if x.dtype[0] == "f" else None, name="log_of_exp")


# Layout ops that do nothing, or two that are one.
def merge_dimshuffles(outer, inner, x):
    """``x.dimshuffle(p).dimshuffle(q) -> x.dimshuffle(p[q])``."""
    first = inner.owner.op.order
    return dimshuffle(x, tuple(d if d == "x" else first[d] for d in outer.owner.op.order))


def identity_dimshuffle(shuffled, x):
    """``x.dimshuffle(0, 1, ..., n-1) -> x``."""
    return x if shuffled.owner.op.order == tuple(range(x.ndim)) else None


def dimshuffle_through_unary(shuffled, inner, x):
    """``f(x).dimshuffle(p) -> f(x.dimshuffle(p))`` for one-input elementwise ``f`` when ``x``
    comes from a dimshuffle or a reduction the moved dimshuffle then merges with."""
    f = inner.owner.op
    if not isinstance(f, Elemwise) or f.nin != 1 or x.owner is None:
        return None
    if not isinstance(x.owner.op, (DimShuffle, Reduce)):
        return None
    return f(shuffled.owner.op(x))


def squeeze_of_keepdims_reduce(squeezed, reduced, x):
    """``sum(x, axis, keepdims=True)`` with those axes dropped ``-> sum(x, axis)``."""
    op = reduced.owner.op
    kept = tuple(a for a in range(reduced.ndim) if a not in op.axes)
    if squeezed.owner.op.order != kept:
        return None
    return Reduce(op.kind, op.axes, False, op.dtype)(x)


def squeeze_of_single_stack(squeezed, stacked, x):
    """``stack([x])`` with its new axis dropped ``-> x``."""
    axis = stacked.owner.op.axis
    return (
        x if squeezed.owner.op.order == tuple(a for a in range(x.ndim + 1) if a != axis) else None
    )


_dimshuffle = any_op(DimShuffle)
canonicalize.add(bind("outer", _dimshuffle(bind("inner", _dimshuffle(x)))), merge_dimshuffles)
canonicalize.add(bind("shuffled", _dimshuffle(x)), identity_dimshuffle)
canonicalize.add(
    bind("shuffled", _dimshuffle(bind("inner", any_op(Elemwise)(x)))), dimshuffle_through_unary
)
canonicalize.add(
    bind("squeezed", _dimshuffle(bind("reduced", any_op(Reduce, keepdims=True)(x)))),
    squeeze_of_keepdims_reduce,
)
canonicalize.add(
    bind("squeezed", _dimshuffle(bind("stacked", any_op(Join, new_axis=True)(x)))),
    squeeze_of_single_stack,
)


def reduce_over_unit_axes(reduced, x):
    """A sum/prod/max/min over axes of static size 1 only drops (or keeps) those axes, and
    casts to the reduction's dtype (a sum of booleans counts in int64)."""
    op = reduced.owner.op
    if op.kind not in ("sum", "prod", "max", "min"):
        return None
    if not op.axes or any(x.type.shape[a] != 1 for a in op.axes):
        return None
    kept = x if op.keepdims else dimshuffle(x, [a for a in range(x.ndim) if a not in op.axes])
    return T.cast(kept, reduced.dtype)


def sum_of_negation(total, x):
    """``sum(-x) -> -sum(x)``: negate the smaller array."""
    op = total.owner.op
    return None if op.dtype not in (None, x.dtype) else neg(op(x))


canonicalize.add(bind("reduced", any_op(Reduce)(x)), reduce_over_unit_axes)
canonicalize.add(bind("total", any_op(Reduce, kind="sum")(neg(x))), sum_of_negation)


def useless_reshape(reshaped, x, s):
    """``reshape(x, s) -> x`` when both shapes are the same static shape."""
    shape = reshaped.type.shape
    return x if None not in shape and shape == x.type.shape else None


def reshape_of_reshape(reshaped, x, s, t):
    """``reshape(reshape(x, s), t) -> reshape(x, t)``, unless a -1 in ``t`` was resolved
    from the static size the inner reshape knows and ``x`` does not."""
    merged = reshaped.owner.op(x, t)
    return merged if merged.type == reshaped.type else None


s, t = pvars("s t")
canonicalize.add(bind("reshaped", any_op(Reshape)(x, s)), useless_reshape)
canonicalize.add(bind("reshaped", any_op(Reshape)(any_op(Reshape)(x, s), t)), reshape_of_reshape)


def useless_cast(cast_x, x):
    """``cast(x, x.dtype) -> x``."""
    return x if x.dtype == cast_x.dtype else None


def cast_of_widening_cast(cast_x, widened, x):
    """``cast(cast(x, wider), t) -> cast(x, t)`` when the inner cast loses nothing."""
    return T.cast(x, cast_x.dtype) if np.can_cast(x.dtype, widened.dtype, casting="safe") else None


_cast = any_op(Cast)
canonicalize.add(bind("cast_x", _cast(x)), useless_cast)
canonicalize.add(bind("cast_x", _cast(bind("widened", _cast(x)))), cast_of_widening_cast)


# A mean divides by a float count of an axis: read it as one scalar, ``np.float64(x.shape[0])``,
# instead of building the shape vector, indexing it and converting the entry.
def cast_of_shape_entry(cast_x, entry, x):
    """``cast(shape(x)[k], float) -> shape_entry(x, k, float)``."""
    if np.dtype(cast_x.dtype).kind != "f" or not entry.owner.op.is_shape_entry():
        return None
    axis = entry.owner.op.idx[0][1]
    return ShapeEntry(axis % x.ndim, cast_x.dtype)(x) if -x.ndim <= axis < x.ndim else None


def cast_of_vector_length(cast_x, entry, x):
    """``cast(shape(v)[()], float) -> shape_entry(v, 0, float)`` for a vector ``v``."""
    if np.dtype(cast_x.dtype).kind != "f" or entry.owner.op.order != () or x.ndim != 1:
        return None
    return ShapeEntry(0, cast_x.dtype)(x)


canonicalize.add(
    bind("cast_x", _cast(bind("entry", any_op(Subtensor)(Shape()(x))))), cast_of_shape_entry
)
canonicalize.add(
    bind("cast_x", _cast(bind("entry", _dimshuffle(Shape()(x))))), cast_of_vector_length
)


# Shapes that are known when the graph is built are constants; an elementwise result has
# the shape of an input that covers it (by Theano's convention that None is not 1).
def static_shape(x):
    """``shape(x) -> constant`` when x's static shape is known;
    ``shape(f(g(a), b)) -> shape(a)`` for elementwise f, g when a alone gives the shape
    (down a whole elementwise chain at once), an input's where one gives it: reading an
    input's shape keeps no intermediate array alive."""
    if None not in x.type.shape:
        return constant(np.asarray(x.type.shape, dtype="int64"))
    source, frontier, seen = x, collections.deque([x]), {x}
    while frontier:  # breadth first through the elementwise nodes above x: the deepest
        source = v = frontier.popleft()  # variable that gives the shape, an input if one does
        if v.owner is None:
            break
        if not getattr(v.owner.op, "elementwise", False):
            continue
        for u in v.owner.inputs:
            if u not in seen and u.ndim == x.ndim and covers([u.type.shape], x.type.shape):
                seen.add(u)
                frontier.append(u)
    return Shape()(source) if source is not x else None


# An op that states its output shapes (Theano's ``infer_shape``) need not run for its shape.
def shape_from_infer_shape(x):
    """``shape(op(a, b)) -> stack(op.infer_shape(node, [shape(a), shape(b)]))``."""
    producer = x.owner
    infer = getattr(producer.op, "infer_shape", None) if producer is not None else None
    if infer is None:
        return None
    shapes = [
        tuple(T.shape(v)[i] for i in range(v.ndim)) if isinstance(v.type, TensorType) else None
        for v in producer.inputs
    ]
    sizes = infer(producer, shapes)[x.index]
    if not sizes:
        return constant(np.zeros(0, dtype="int64"))
    return T.stack([T.cast(s, "int64") for s in sizes])


def full_slice(sliced, x):
    """``x[:] -> x``: an index of full slices selects everything."""
    return x if all(e == FULL for e in sliced.owner.op.idx) else None


canonicalize.add(bind("sliced", any_op(Subtensor)(x)), full_slice)


def static_shape_entry(entry, x):
    """``shape(x)[i] -> constant`` when axis i of x has a static size."""
    if not entry.owner.op.is_shape_entry():
        return None
    index = entry.owner.op.idx[0][1]
    if not -x.ndim <= index < x.ndim or x.type.shape[index] is None:
        return None
    return constant(np.asarray(x.type.shape[index], dtype="int64"))


canonicalize.add(Shape()(x), static_shape, name="static_shape")
canonicalize.add(Shape()(x), shape_from_infer_shape, name="shape_from_infer_shape")
canonicalize.add(bind("entry", any_op(Subtensor)(Shape()(x))), static_shape_entry)
canonicalize.add(
    bind("filled", any_op(Alloc)(x, Shape()(x))),
    lambda filled, x: x if x.type == filled.type else None,
    name="alloc_of_own_shape",
)


@canonicalize.node_rule(Join)
def stack_of_shape_entries(node):
    """``stack([s[0], s[1], ..., s[n-1]]) -> s`` for a vector ``s`` of static length n."""
    if not node.op.new_axis or node.op.axis != 0 or not node.inputs:
        return None
    sources = []
    for i, entry in enumerate(node.inputs):
        owner = entry.owner
        if owner is None or not isinstance(owner.op, Subtensor) or not owner.op.is_shape_entry():
            return None
        if owner.op.idx[0][1] != i:
            return None
        sources.append(owner.inputs[0])
    vector = sources[0]
    if any(s is not vector for s in sources) or vector.type.shape != (len(sources),):
        return None
    return vector if vector.dtype == node.outputs[0].dtype else None
