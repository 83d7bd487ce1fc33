"""specialize: general forms become the cheaper special operations NumPy has for them.

Powers with small constant exponents become squares, square roots and
products; sums of squares and products that only move axes become BLAS dot
products; a scalar factor moves to the smallest operand of a dot. Last, once
every other rule has seen them as sums, a float matrix's sums over its rows
become products with ones (``blas_sums``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from symgraph.graph.basic import Apply, Variable, building_at
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.engine import Firing, Session
from symgraph.rewrite.pattern import Rule, RuleSet, any_op, bind, graph_rule, pvars
from symgraph.rewrite.rules.algebra import covers
from symgraph.rewrite.rules.forms import numeric_constant
from symgraph.tensor.creation import ARange
from symgraph.tensor.dot import Dot, Tensordot
from symgraph.tensor.elemwise import cast, exp, log, mul, sqr, sqrt, true_div
from symgraph.tensor.nnet.basic import LogSoftmax, Softmax
from symgraph.tensor.reduction import Reduce, SumOverRows
from symgraph.tensor.shape import Alloc, DimShuffle, Shape, ShapeEntry, dimshuffle
from symgraph.tensor.subtensor import IncSubtensor, Subtensor, index_inputs
from symgraph.tensor.variable import constant

specialize = RuleSet("specialize")
x = pvars("x")
k = pvars("k", constant=True)

# x * x is one pass over x with np.square instead of two reads.
specialize.add(x * x, lambda x: sqr(x), name="square_of_self_product")


def _power_by_multiplication(x, k: int):
    """``x ** k`` for a small positive integer ``k``, by repeated squaring."""
    result, base = None, x
    while k:
        if k & 1:
            result = base if result is None else mul(result, base)
        k >>= 1
        if k:
            base = sqr(base)
    return result


def power_with_constant_exponent(power, x, k):
    """``x**2 -> sqr(x)``, ``x**0.5 -> sqrt(x)``, ``x**-1 -> 1/x``, ``x**-0.5 -> 1/sqrt(x)``,
    ``x**1 -> x``, ``x**0 -> 1`` and ``x**k -> x*x*...`` for integers ``2 < |k| <= 4``."""
    value = numeric_constant(k)
    if value is None or value.size == 0 or not np.all(value == value.flat[0]):
        return None
    if not covers([x.type.shape], power.type.shape):
        return None
    k = value.flat[0].item()
    base = cast(x, power.dtype)
    floating = power.dtype[0] in "fc"
    one = constant(np.ones((), power.dtype))
    if k == 0:
        return Alloc(power.dtype)(one, Shape()(base))
    if k == 0.5 and floating:
        return sqrt(base)
    if k == -0.5 and floating:
        return true_div(one, sqrt(base))
    if k != int(k) or not 1 <= abs(k) <= 4 or (k < 0 and not floating):
        return None
    positive = _power_by_multiplication(base, abs(int(k)))
    return positive if k > 0 else true_div(one, positive)


specialize.add(bind("power", x**k), power_with_constant_exponent)


def sum_of_squares_as_dot(total, x):
    """``sum(sqr(x)) -> x @ x`` over every axis (a tensordot for n-d ``x``): one BLAS call."""
    op = total.owner.op
    if op.dtype not in (None, x.dtype) or x.dtype[0] != "f" or op.axes != tuple(range(x.ndim)):
        return None
    if x.ndim == 0:
        return None
    axes = tuple(range(x.ndim))
    return Dot()(x, x) if x.ndim == 1 else Tensordot(axes, axes)(x, x)


specialize.add(
    bind("total", any_op(Reduce, kind="sum", keepdims=False)(sqr(x))), sum_of_squares_as_dot
)

# A transpose feeding a product is free to read differently: a vector needs no transposing,
# and two transposes are one. The patterns' matrices are 2-d, their vectors any.
a, b = pvars("a b", ndim=2)
v = pvars("v", ndim=1)
specialize.add(
    Dot()(a.T, v), lambda a, v: Dot()(v, a) if v.ndim == 1 else None, name="transposed_dot_vector"
)
specialize.add(
    Dot()(v, b.T), lambda v, b: Dot()(b, v) if v.ndim == 1 else None, name="vector_dot_transposed"
)
specialize.add(
    Dot()(a.T, b.T), lambda a, b: dimshuffle(Dot()(b, a), (1, 0)), name="dot_of_transposes"
)


def matrix_column_product(a, v):
    """``(a @ v[:, None])[:, 0] -> a @ v``."""
    return Dot()(a, v) if a.ndim == 2 and v.ndim == 1 else None


def row_matrix_product(v, b):
    """``(v[None, :] @ b)[0] -> v @ b``."""
    return Dot()(v, b) if b.ndim == 2 and v.ndim == 1 else None


column, row = any_op(DimShuffle, order=(0, "x")), any_op(DimShuffle, order=("x", 0))
specialize.add(any_op(DimShuffle, order=(0,))(Dot()(a, column(v))), matrix_column_product)
specialize.add(any_op(DimShuffle, order=(1,))(Dot()(row(v), b)), row_matrix_product)


def outer_product_as_broadcast(a, b):
    """``a @ b`` over an inner axis of static size 1 is the broadcast product ``a * b``."""
    if a.ndim != 2 or b.ndim != 2 or a.type.shape[1] != 1 or b.type.shape[0] != 1:
        return None
    return mul(a, b)


specialize.add(Dot()(a, b), outer_product_as_broadcast)


#: the size a dimension of unknown size is assumed to have when comparing costs
GUESSED_SIZE = 1000


def _size(v) -> int:
    return int(np.prod([GUESSED_SIZE if s is None else s for s in v.type.shape], dtype=np.int64))


def _scaled_dot(node: Apply, uses: Counter) -> Variable | None:
    """``(c * a) @ b`` or ``a @ (c * b)`` for ``node = c * (a @ b)`` (c: scalar factors), or
    None."""
    if node.op is not mul:
        return None
    out = node.outputs[0]
    for k, product in enumerate(node.inputs):
        scales = node.inputs[:k] + node.inputs[k + 1 :]
        if product.owner is None or not isinstance(product.owner.op, Dot):
            continue
        if any(s.ndim != 0 for s in scales):
            return None
        scale = scales[0] if len(scales) == 1 else mul(*scales)
        a, b = product.owner.inputs
        if uses[product] != 1 or not scale.dtype == a.dtype == b.dtype == out.dtype:
            return None
        smallest = min((a, b), key=_size)
        if _size(smallest) >= _size(product):
            return None
        if smallest is a:
            return Dot()(mul(scale, a), b)
        return Dot()(a, mul(scale, b))
    return None


# np.add.at is some ten times slower than x[i] += v, which it only needs for repeated
# indices; a row index arange(len(y)) beside y (the gradient of log(p)[arange(n), y]) never
# repeats a pair.
@specialize.node_rule(IncSubtensor)
def increment_at_unique_index(node):
    """``inc_subtensor(x[arange(len(j)), j], v)``: ``x[i, j] += v`` instead of ``np.add.at``."""
    op = node.op
    if not op.accumulates:
        return None
    parts = [node.inputs[p] for p in index_inputs(node)[1]]
    rows = [p for p in parts if _arange_from_zero(p) is not None]
    for row in rows:
        length = _arange_from_zero(row)
        if all(p is row or (p.ndim == 1 and _length_of(length) is p) for p in parts):
            return IncSubtensor(op.idx, op.set_instead_of_inc, True)(*node.inputs)
    return None


def _arange_from_zero(v: Variable) -> Variable | None:
    """``n`` when ``v`` is ``arange(0, n, 1)`` (distinct values), else None."""
    owner = v.owner
    if owner is None or not isinstance(owner.op, ARange):
        return None
    start, stop, step = (numeric_constant(u) for u in owner.inputs)
    return (
        owner.inputs[1]
        if start is not None and step is not None and step == 1 and start == 0
        else None
    )


def _length_of(n: Variable) -> Variable | None:
    """``v`` when ``n`` is ``v.shape[0]``."""
    owner = n.owner
    if owner is not None and isinstance(owner.op, ShapeEntry) and owner.op.axis == 0:
        return owner.inputs[0]
    if owner is not None and isinstance(owner.op, Subtensor) and owner.op.is_shape_entry():
        shape = owner.inputs[0].owner
        if owner.op.idx[0][1] == 0 and shape is not None and isinstance(shape.op, Shape):
            return shape.inputs[0]
    return None


def scale_dot_operands(graph: Graph, session: Session | None = None) -> Graph:
    """``c * (a @ b) -> (c * a) @ b`` when ``a`` is smaller than the product, ``c`` a scalar.

    A whole-graph pass: it applies only where the product has no other reader,
    or the graph would compute two products instead of one.
    """
    uses = Counter(v for node in graph.apply_nodes for v in node.inputs)
    uses.update(graph.outputs)
    return _replace_nodes(graph, session, SCALE_DOT, lambda node: _scaled_dot(node, uses))


def _replace_nodes(
    graph: Graph,
    session: Session | None,
    rule: Rule,
    replacement: Callable[[Apply], Variable | None],
) -> Graph:
    """``graph`` with each node's output replaced by ``replacement(node)`` where it gives one
    (built at the node's ``file:line``), in one rebuild; each firing recorded as ``rule``'s."""
    mapping = {}
    for node in graph.apply_nodes:
        with building_at(node.where):
            new = replacement(node)
        if new is None:
            continue
        if session is not None:
            session.record(Firing(rule, node.where, node.outputs[0], new))
        mapping[node.outputs[0]] = new
    return graph.replace(mapping) if mapping else graph


SCALE_DOT = graph_rule("scale_dot_operand", scale_dot_operands)


def share_softmax_parts(graph: Graph, session: Session | None = None) -> Graph:
    """``softmax(a)`` and ``log_softmax(a)`` of one ``a``, as ``e / s`` and ``d - log(s)`` with
    ``d = a - max(a)``, ``e = exp(d)``, ``s = sum(e)`` computed once.

    A cross-entropy reads ``log_softmax`` and its gradient ``softmax`` (the
    tutorials' ``-mean(log(p)[arange(n), y])``): each op on its own takes the
    maximum, the exponentials and their sum again. A whole-graph pass: it applies
    only where both are in the graph.
    """
    found: dict[tuple[Variable, int], dict[type, Variable]] = {}
    for node in graph.apply_nodes:
        if isinstance(node.op, (Softmax, LogSoftmax)):
            key = (node.inputs[0], node.op.axis)
            found.setdefault(key, {})[type(node.op)] = node.outputs[0]
    mapping = {}
    for (a, axis), outs in found.items():
        if len(outs) < 2 or a.dtype != outs[Softmax].dtype:
            continue
        with building_at(outs[Softmax].owner.where):
            shifted = a - Reduce("max", (axis,), True)(a)
            exps = exp(shifted)
            total = Reduce("sum", (axis,), True)(exps)
            parts = {Softmax: exps / total, LogSoftmax: shifted - log(total)}
        for kind, out in outs.items():
            if session is not None:
                session.record(Firing(SHARE_SOFTMAX, out.owner.where, out, parts[kind]))
            mapping[out] = parts[kind]
    return graph.replace(mapping) if mapping else graph


SHARE_SOFTMAX = graph_rule("share_softmax_parts", share_softmax_parts)


def blas_sums(graph: Graph, session: Session | None = None) -> Graph:
    """``x.sum(axis=0) -> np.dot(ones, x)`` (``SumOverRows``) for a float32 or float64 matrix.

    A whole-graph pass after every other rule, which read these nodes as sums
    (``log(sum(exp(x)))``, ``sum(sqr(x))``).
    """
    return _replace_nodes(graph, session, BLAS_SUMS, _sum_over_rows)


def _sum_over_rows(node: Apply) -> Variable | None:
    op = node.op
    if not isinstance(op, Reduce) or op.kind != "sum" or op.axes != (0,) or op.keepdims:
        return None
    (x,) = node.inputs
    if x.ndim != 2 or x.dtype not in ("float32", "float64") or op.dtype not in (None, x.dtype):
        return None
    return SumOverRows()(x)


BLAS_SUMS = graph_rule("sum_over_rows_by_blas", blas_sums)
