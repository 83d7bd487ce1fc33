"""linalg: linear algebra written the textbook way, computed the cheap and stable way.

``inv(a) @ b`` inverts a matrix only to multiply by it; ``det`` of a Cholesky
factor is the product of its diagonal; ``log(det(a))`` overflows for
matrices of moderate size where ``slogdet`` does not. Each rule checks that
its replacement has exactly the type of what it replaces and declines
otherwise (a static size known on one side only, say).
"""

from __future__ import annotations

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.rewrite.pattern import RuleSet
from symgraph.tensor.creation import ExtractDiag, extract_diag
from symgraph.tensor.dot import Dot
from symgraph.tensor.nlinalg import Det, MatrixInverse, slogdet
from symgraph.tensor.reduction import Reduce
from symgraph.tensor.shape import DimShuffle
from symgraph.tensor.slinalg import Cholesky, Solve

linalg = RuleSet("linalg")


def _input_of(var: Variable, op_class: type) -> Variable | None:
    """The input of ``var``'s node when that node applies an ``op_class``, else None."""
    owner = var.owner
    return owner.inputs[0] if owner is not None and isinstance(owner.op, op_class) else None


def _inverted(var: Variable) -> Variable | None:
    """``a`` when ``var`` is ``inv(a)``, ``a^T`` when it is ``inv(a)^T`` (gradients hold those)."""
    owner = var.owner
    if owner is not None and isinstance(owner.op, DimShuffle) and owner.op.order == (1, 0):
        inner = _input_of(owner.inputs[0], MatrixInverse)
        return None if inner is None else inner.T
    return _input_of(var, MatrixInverse)


def _same_type(old: Variable, new: Variable) -> Variable | None:
    return new if new.type == old.type else None


# An inverse computed only to multiply by it: one solve costs a third of the inversion.
@linalg.node_rule(Dot)
def inv_product_as_solve(node):
    """``inv(a) @ b -> solve(a, b)`` and ``b @ inv(a) -> solve(a^T, b^T)^T``; also for inv(a)^T."""
    left, right = node.inputs
    a = _inverted(left)
    if a is not None and right.ndim <= 2:
        return _same_type(node.outputs[0], Solve()(a, right))
    a = _inverted(right)
    if a is not None and left.ndim <= 2:
        solved = Solve()(a.T, left.T)
        return _same_type(node.outputs[0], solved.T)
    return None


# A triangular factor's determinant is the product of its diagonal: no LU factorization.
@linalg.node_rule(Det)
def det_of_cholesky(node):
    """``det(cholesky(a)) -> prod(diagonal(cholesky(a)))``."""
    factor = node.inputs[0]
    if _input_of(factor, Cholesky) is None:
        return None
    return _same_type(node.outputs[0], T.prod(extract_diag(factor)))


# det overflows (or underflows to 0) for matrices of a few hundred rows; slogdet does not.
@linalg.node_rule(T.log)
def log_det_as_slogdet(node):
    """``log(det(a)) -> log|det a|`` (NaN where det a < 0); ``log(abs(det(a))) -> log|det a|``."""
    inner = node.inputs[0]
    positive = inner.owner is not None and inner.owner.op is T.abs
    a = _input_of(inner.owner.inputs[0] if positive else inner, Det)
    if a is None:
        return None
    sign, logabsdet = slogdet(a)
    result = logabsdet if positive else T.switch(T.lt(sign, 0), np.nan, logabsdet)
    return _same_type(node.outputs[0], result)


# A Cholesky factor's diagonal is positive: the log of its product is a sum of logs.
@linalg.node_rule(T.log)
def log_prod_of_cholesky_diagonal(node):
    """``log(prod(diagonal(cholesky(a)))) -> sum(log(diagonal(cholesky(a))))``."""
    product = node.inputs[0].owner
    if product is None or not isinstance(product.op, Reduce) or product.op.kind != "prod":
        return None
    diagonal = product.inputs[0]
    owner = diagonal.owner
    if owner is None or owner.op != ExtractDiag() or _input_of(owner.inputs[0], Cholesky) is None:
        return None
    summed = Reduce("sum", product.op.axes, product.op.keepdims, product.op.dtype)(T.log(diagonal))
    return _same_type(node.outputs[0], summed)
