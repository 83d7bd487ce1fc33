"""canonicalize: one spelling per expression, so merging and the later phases see through syntax.

Sums become ``a + b - c + k`` chains and products ``a * b * k / c`` chains
(flattened, cancelled, constants combined), negations are folded, and shape
and layout ops that do nothing are dropped.
"""

from __future__ import annotations

import numpy as np

import symgraph.tensor as T
from symgraph.rewrite.pattern import EVERY_OP, RuleSet, pvars
from symgraph.rewrite.rules.algebra import covers, mixed_dtypes, product_plan, realize, sum_plan
from symgraph.rewrite.rules.forms import (
    Product,
    Sum,
    broadcast_source,
    cancel_factors,
    cancel_terms,
    extends_canonical,
    read_product,
    read_sum,
)
from symgraph.tensor.elemwise import Cast, Elemwise, add, exp, log, mul, neg, sub, true_div
from symgraph.tensor.reduction import Reduce
from symgraph.tensor.shape import Alloc, DimShuffle, Join, Reshape, Shape, ShapeEntry, dimshuffle
from symgraph.tensor.subtensor import Subtensor
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
    if out.dtype[0] not in "ifc" or extends_canonical(node, Sum):
        return None
    form = read_sum(out)
    if mixed_dtypes([v for v, _ in form.terms], out.dtype):
        return None
    removed = cancel_terms(form)
    return realize(sum_plan(form, out.type.shape), out, removed)


# Products: flatten, cancel ``x / x``, combine constants, drop ``* 1``, signs to the front.
@canonicalize.node_rule(mul, true_div, neg)
def canonical_product(node):
    """``(2 * a) / (b / a) * -3 -> -(a * a * 6 / b)``; ``x / x -> 1``; ``x * 0 -> 0``."""
    out = node.outputs[0]
    if out.dtype[0] not in "ifc" or extends_canonical(node, Product):
        return None
    form = read_product(out)
    factors = form.numerators + form.denominators
    if mixed_dtypes(factors, out.dtype):
        return None
    removed = cancel_factors(form)
    if form.constant is not None and not np.any(form.constant):
        removed = factors
    return realize(product_plan(form, out.type.shape), out, removed)


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
    return node.op(*inputs) if changed else None


canonicalize.add(log(exp(x)), lambda x: x, name="log_of_exp")


# Layout ops that do nothing, or two that are one.
@canonicalize.node_rule(DimShuffle)
def merge_dimshuffles(node):
    """``x.dimshuffle(p).dimshuffle(q) -> x.dimshuffle(p[q])``; identity orders vanish."""
    op, (inner,) = node.op, node.inputs
    if op.order == tuple(range(op.ndim_in)):
        return inner
    if inner.owner is None or not isinstance(inner.owner.op, DimShuffle):
        return None
    first = inner.owner.op.order
    order = tuple(d if d == "x" else first[d] for d in op.order)
    return dimshuffle(inner.owner.inputs[0], order)


@canonicalize.node_rule(DimShuffle)
def dimshuffle_through_unary(node):
    """``f(x).dimshuffle(p) -> f(x.dimshuffle(p))`` for one-input elementwise ``f`` when
    ``x`` comes from a dimshuffle or a reduction the moved dimshuffle then merges with."""
    (inner,) = node.inputs
    producer = inner.owner
    if producer is None or not isinstance(producer.op, Elemwise) or producer.op.nin != 1:
        return None
    source = producer.inputs[0].owner
    if source is None or not isinstance(source.op, (DimShuffle, Reduce)):
        return None
    return producer.op(node.op(producer.inputs[0]))


@canonicalize.node_rule(DimShuffle)
def squeeze_of_keepdims_reduce(node):
    """``sum(x, axis, keepdims=True)`` with those axes dropped ``-> sum(x, axis)``."""
    (inner,) = node.inputs
    reduce = inner.owner
    if reduce is None or not isinstance(reduce.op, Reduce) or not reduce.op.keepdims:
        return None
    kept = tuple(a for a in range(inner.ndim) if a not in reduce.op.axes)
    if node.op.order != kept:
        return None
    op = reduce.op
    return Reduce(op.kind, op.axes, False, op.dtype)(reduce.inputs[0])


@canonicalize.node_rule(DimShuffle)
def squeeze_of_single_stack(node):
    """``stack([s])`` with its new axis dropped ``-> s``."""
    (inner,) = node.inputs
    join = inner.owner
    if join is None or not isinstance(join.op, Join) or not join.op.new_axis:
        return None
    if len(join.inputs) != 1:
        return None
    axis = join.op.axis
    kept = tuple(a for a in range(inner.ndim) if a != axis)
    return join.inputs[0] if node.op.order == kept else None


@canonicalize.node_rule(Reduce)
def reduce_over_unit_axes(node):
    """A sum/prod/max/min over axes of static size 1 only drops (or keeps) those axes."""
    op, (x,) = node.op, node.inputs
    if op.kind not in ("sum", "prod", "max", "min") or (op.dtype and op.dtype != x.dtype):
        return None
    if not op.axes or any(x.type.shape[a] != 1 for a in op.axes):
        return None
    if op.keepdims:
        return x
    return dimshuffle(x, [a for a in range(x.ndim) if a not in op.axes])


@canonicalize.node_rule(Reduce)
def sum_of_negation(node):
    """``sum(-x) -> -sum(x)``: negate the smaller array."""
    op, (inner,) = node.op, node.inputs
    if op.kind != "sum" or inner.owner is None or inner.owner.op is not neg:
        return None
    if op.dtype and op.dtype != inner.dtype:
        return None
    return neg(Reduce(op.kind, op.axes, op.keepdims, op.dtype)(inner.owner.inputs[0]))


@canonicalize.node_rule(Reshape)
def useless_reshape(node):
    """``reshape(x, s) -> x`` when both shapes are the same static shape;
    ``reshape(reshape(x, s), t) -> reshape(x, t)``."""
    (x, shape), out = node.inputs, node.outputs[0]
    if None not in out.type.shape and out.type.shape == x.type.shape:
        return x
    if x.owner is not None and isinstance(x.owner.op, Reshape):
        return node.op(x.owner.inputs[0], shape)
    return None


@canonicalize.node_rule(Cast)
def useless_cast(node):
    """``cast(x, x.dtype) -> x``; ``cast(cast(x, wider), t) -> cast(x, t)``."""
    (x,), dtype = node.inputs, node.op.dtype
    if x.dtype == dtype:
        return x
    inner = x.owner
    if inner is not None and isinstance(inner.op, Cast):
        source = inner.inputs[0]
        if np.can_cast(source.dtype, x.dtype, casting="safe"):
            return T.cast(source, dtype)
    return None


# A mean divides by a float count of an axis: read it as one scalar, ``np.float64(x.shape[0])``,
# instead of building the shape vector, indexing it and converting the entry.
@canonicalize.node_rule(Cast)
def cast_of_shape_entry(node):
    """``cast(shape(x)[k], float) -> shape_entry(x, k, float)``, also for ``shape(v)`` of a vector."""
    entry, dtype = node.inputs[0], node.op.dtype
    owner = entry.owner
    if np.dtype(dtype).kind != "f" or owner is None or owner.inputs[0].owner is None:
        return None
    if not isinstance(owner.inputs[0].owner.op, Shape):
        return None
    (x,) = owner.inputs[0].owner.inputs
    if isinstance(owner.op, Subtensor) and owner.op.is_shape_entry():
        axis = owner.op.idx[0][1]
    elif isinstance(owner.op, DimShuffle) and owner.op.order == () and x.ndim == 1:
        axis = 0
    else:
        return None
    return ShapeEntry(axis % x.ndim, dtype)(x) if -x.ndim <= axis < x.ndim else None


# Shapes that are known when the graph is built are constants; an elementwise result has
# the shape of an input that covers it (by Theano's convention that None is not 1).
@canonicalize.node_rule(Shape)
def static_shape(node):
    """``shape(x) -> constant`` when x's static shape is known;
    ``shape(f(a, b)) -> shape(a)`` for elementwise f when a alone gives the shape."""
    (x,) = node.inputs
    if None not in x.type.shape:
        return constant(np.asarray(x.type.shape, dtype="int64"))
    producer = x.owner
    if producer is None or not getattr(producer.op, "elementwise", False):
        return None
    for source in producer.inputs:
        if source.ndim == x.ndim and covers([source.type.shape], x.type.shape):
            return node.op(source)
    return None


# An op that states its output shapes (Theano's ``infer_shape``) need not run for its shape.
@canonicalize.node_rule(Shape)
def shape_from_infer_shape(node):
    """``shape(op(a, b)) -> stack(op.infer_shape(node, [shape(a), shape(b)]))``."""
    producer = node.inputs[0].owner
    infer = getattr(producer.op, "infer_shape", None) if producer is not None else None
    if infer is None:
        return None
    shapes = [
        tuple(T.shape(v)[i] for i in range(v.ndim)) if isinstance(v.type, TensorType) else None
        for v in producer.inputs
    ]
    sizes = infer(producer, shapes)[node.inputs[0].index]
    if not sizes:
        return constant(np.zeros(0, dtype="int64"))
    return T.stack([T.cast(s, "int64") for s in sizes])


@canonicalize.node_rule(Subtensor)
def static_shape_entry(node):
    """``shape(x)[i] -> constant`` when axis i of x has a static size."""
    shape = node.inputs[0]
    if not node.op.is_shape_entry() or shape.owner is None:
        return None
    if not isinstance(shape.owner.op, Shape):
        return None
    (x,) = shape.owner.inputs
    index = node.op.idx[0][1]
    if not -x.ndim <= index < x.ndim or x.type.shape[index] is None:
        return None
    return constant(np.asarray(x.type.shape[index], dtype="int64"))


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


@canonicalize.node_rule(Alloc)
def alloc_of_own_shape(node):
    """``alloc(v, shape(v)) -> v``."""
    value, shape = node.inputs
    owner = shape.owner
    same_shape = owner is not None and isinstance(owner.op, Shape) and owner.inputs[0] is value
    return value if same_shape and value.dtype == node.op.dtype else None
