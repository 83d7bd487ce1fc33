"""convolution: ``conv2d`` and its filter gradient as products with one shared im2col matrix.

``Conv2d(x, w)`` and ``Conv2dGradWeights(x, gz)`` both lay the windows of
``x`` out as a matrix. Written as ``w @ im2col(x)`` and ``gz @ im2col(x).T``
they read the same ``Im2Col`` node, which the engine merges, so a training
step copies the windows once instead of twice (without, a LeNet-5 step of
``benchmarks/lenet.py`` takes some 10% longer in float64). The rules need
the filters' rows and columns known when the graph is built.
"""

from __future__ import annotations

import symgraph.tensor as T
from symgraph.graph.basic import Apply, Variable
from symgraph.rewrite.pattern import RuleSet
from symgraph.tensor.nnet.abstract_conv import Conv2d, Conv2dGradWeights, Im2Col
from symgraph.tensor.nnet.conv_settings import axis_pads, dilated

convolution = RuleSet("convolution")


def _columns(op: Conv2d | Conv2dGradWeights, x: Variable) -> Variable:
    """``im2col(x)``, with exactly the parameters both rules give it, so that the nodes merge."""
    kernel = (None, None, *op.kshp[2:])
    settings = {"subsample": op.subsample, "filter_dilation": op.filter_dilation}
    return Im2Col(border_mode=op.border_mode, kshp=kernel, imshp=x.type.shape, **settings)(x)


def _size(known: int | None, symbolic: Variable) -> int | Variable:
    return symbolic if known is None else known


def _positions(op: Conv2d, x: Variable, axis: int) -> Variable:
    """The number of output rows (axis 2) or columns (3), from x's size at run time."""
    k, d = op.kshp[axis], op.filter_dilation[axis - 2]
    (before, after) = axis_pads(op.border_mode, (k, k), (d, d))[axis - 2]
    return (x.shape[axis] + (before + after - dilated(k, d))) // op.subsample[axis - 2] + 1


def _exact(result: Variable, out: Variable) -> Variable | None:
    """``result`` when it has ``out``'s type exactly (else the rewrite is declined)."""
    return result if result.type == out.type else None


@convolution.node_rule(Conv2d)
def conv2d_as_product(node: Apply) -> Variable | None:
    """``conv2d(x, w) -> (w.reshape(F, -1) @ im2col(x)).reshape(F, B, rows, cols).T(1, 0, 2, 3)``."""
    op, (x, w), (out,) = node.op, node.inputs, node.outputs
    if None in op.kshp[2:]:
        return None
    kernel = w[:, :, ::-1, ::-1] if op.filter_flip else w
    filters = _size(op.kshp[0], w.shape[0])
    product = T.dot(T.reshape(kernel, (filters, -1)), _columns(op, x))
    batch, _, rows, cols = out.type.shape
    sizes = (
        filters,
        _size(batch, x.shape[0]),
        _size(rows, _positions(op, x, 2)),
        _size(cols, _positions(op, x, 3)),
    )
    return _exact(T.dimshuffle(T.reshape(product, sizes), (1, 0, 2, 3)), out)


@convolution.node_rule(Conv2dGradWeights)
def filter_gradient_as_product(node: Apply) -> Variable | None:
    """``conv2d_grad_wrt_weights(x, gz) -> (gz.T(1, 0, 2, 3).reshape(F, -1) @ im2col(x).T)
    .reshape(F, C, rows, cols)``, flipped back for a convolution."""
    op, (x, gz, _), (out,) = node.op, node.inputs, node.outputs
    if None in op.kshp[2:]:
        return None
    filters, channels = _size(op.kshp[0], gz.shape[1]), _size(op.kshp[1], x.shape[1])
    grads = T.reshape(T.dimshuffle(gz, (1, 0, 2, 3)), (filters, -1))
    product = T.dot(grads, T.transpose(_columns(op, x)))
    gradient = T.reshape(product, (filters, channels, *op.kshp[2:]))
    return _exact(gradient[:, :, ::-1, ::-1] if op.filter_flip else gradient, out)
