"""specialize: general forms become the cheaper special operations NumPy has for them.

Powers with small constant exponents become squares, square roots and
products; sums of squares and products that only move axes become BLAS dot
products; a scalar factor moves to the smallest operand of a dot.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from symgraph.graph.basic import Apply, Variable, building_at
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.engine import Firing, Session
from symgraph.rewrite.pattern import Rule, RuleSet, pvars
from symgraph.rewrite.rules.algebra import covers
from symgraph.rewrite.rules.forms import numeric_constant
from symgraph.tensor.dot import Dot, Tensordot
from symgraph.tensor.elemwise import cast, mul, pow, sqr, sqrt, true_div
from symgraph.tensor.reduction import Reduce
from symgraph.tensor.shape import Alloc, DimShuffle, Shape, dimshuffle
from symgraph.tensor.variable import constant

specialize = RuleSet("specialize")
x = pvars("x")

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


@specialize.node_rule(pow)
def power_with_constant_exponent(node):
    """``x**2 -> sqr(x)``, ``x**0.5 -> sqrt(x)``, ``x**-1 -> 1/x``, ``x**-0.5 -> 1/sqrt(x)``,
    ``x**1 -> x``, ``x**0 -> 1`` and ``x**k -> x*x*...`` for integers ``2 < |k| <= 4``."""
    (base, exponent), out = node.inputs, node.outputs[0]
    value = numeric_constant(exponent)
    if value is None or value.size == 0 or not np.all(value == value.flat[0]):
        return None
    if not covers([base.type.shape], out.type.shape):
        return None
    k = value.flat[0].item()
    base = cast(base, out.dtype)
    floating = out.dtype[0] in "fc"
    if k == 0:
        return Alloc(out.dtype)(constant(np.ones((), out.dtype)), Shape()(base))
    if k == 0.5 and floating:
        return sqrt(base)
    if k == -0.5 and floating:
        return true_div(constant(np.ones((), out.dtype)), sqrt(base))
    if k != int(k) or not 1 <= abs(k) <= 4 or (k < 0 and not floating):
        return None
    positive = _power_by_multiplication(base, abs(int(k)))
    return positive if k > 0 else true_div(constant(np.ones((), out.dtype)), positive)


@specialize.node_rule(Reduce)
def sum_of_squares_as_dot(node):
    """``sum(sqr(x)) -> x @ x`` over every axis (a tensordot for n-d ``x``): one BLAS call."""
    op, (inner,) = node.op, node.inputs
    if op.kind != "sum" or op.keepdims or op.dtype not in (None, inner.dtype):
        return None
    if inner.owner is None or inner.owner.op is not sqr or inner.dtype[0] != "f":
        return None
    (x,) = inner.owner.inputs
    if x.dtype != inner.dtype or x.ndim == 0 or op.axes != tuple(range(x.ndim)):
        return None
    if x.ndim == 1:
        return Dot()(x, x)
    axes = tuple(range(x.ndim))
    return Tensordot(axes, axes)(x, x)


def _transposed(v):
    """``a`` when ``v`` is ``a.T`` for a matrix ``a``."""
    node = v.owner
    if node is not None and isinstance(node.op, DimShuffle) and node.op.order == (1, 0):
        return node.inputs[0]
    return None


@specialize.node_rule(Dot)
def dot_of_transposes(node):
    """``a.T @ v -> v @ a``, ``u @ b.T -> b @ u`` for vectors; ``a.T @ b.T -> (b @ a).T``."""
    a, b = node.inputs
    ta, tb = _transposed(a), _transposed(b)
    if ta is not None and b.ndim == 1:
        return Dot()(b, ta)
    if tb is not None and a.ndim == 1:
        return Dot()(tb, a)
    if ta is not None and tb is not None:
        return dimshuffle(Dot()(tb, ta), (1, 0))
    return None


def _as_matrix_of(v, order):
    """``u`` when ``v`` is the vector ``u`` seen as a column (order (0,'x')) or row (('x',0))."""
    node = v.owner
    if node is not None and isinstance(node.op, DimShuffle) and node.op.order == order:
        return node.inputs[0]
    return None


@specialize.node_rule(DimShuffle)
def matrix_vector_product(node):
    """``(a @ v[:, None])[:, 0] -> a @ v`` and ``(u[None, :] @ b)[0] -> u @ b``."""
    (inner,) = node.inputs
    product = inner.owner
    if product is None or not isinstance(product.op, Dot) or inner.ndim != 2:
        return None
    a, b = product.inputs
    column = _as_matrix_of(b, (0, "x"))
    if node.op.order == (0,) and column is not None and a.ndim == 2:
        return Dot()(a, column)
    row = _as_matrix_of(a, ("x", 0))
    if node.op.order == (1,) and row is not None and b.ndim == 2:
        return Dot()(row, b)
    return None


@specialize.node_rule(Dot)
def outer_product_as_broadcast(node):
    """``a @ b`` over an inner axis of static size 1 is the broadcast product ``a * b``."""
    a, b = node.inputs
    if a.ndim != 2 or b.ndim != 2 or a.type.shape[1] != 1 or b.type.shape[0] != 1:
        return None
    return mul(a, b)


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


def scale_dot_operands(graph: Graph, session: Session | None = None) -> Graph:
    """``c * (a @ b) -> (c * a) @ b`` when ``a`` is smaller than the product, ``c`` a scalar.

    A whole-graph pass: it applies only where the product has no other reader,
    or the graph would compute two products instead of one.
    """
    uses = Counter(v for node in graph.apply_nodes for v in node.inputs)
    uses.update(graph.outputs)
    mapping = {}
    for node in graph.apply_nodes:
        with building_at(node.where):
            replacement = _scaled_dot(node, uses)
        if replacement is None:
            continue
        firing = Firing(SCALE_DOT, node.where, node.outputs[0], replacement)
        if session is not None:
            session.record(firing)
        mapping[node.outputs[0]] = replacement
    return graph.replace(mapping) if mapping else graph


SCALE_DOT = Rule(
    "scale_dot_operand",
    f"{__file__}:{scale_dot_operands.__code__.co_firstlineno}",
    (),
    scale_dot_operands,
)
