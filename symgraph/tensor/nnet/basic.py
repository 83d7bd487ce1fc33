"""Neural-network ops: ``Softmax`` and ``LogSoftmax`` ops, and functions built from primitives.

Softmax and log-softmax are named ops, not graphs, because the stabilizing
rewrites and the printers must see them; each normalizes along ``axis``
(the last by default, Theano's row-wise softmax). This module is Theano's
``T.nnet``, whose softmax makes a vector a 1 x n row; ``symgraph.tensor.special``
(PyTensor's location, and ``T.softmax``) keeps the input's shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.tensor.elemwise import sigmoid, softplus
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "crossentropy_categorical_1hot",
    "elu",
    "hard_sigmoid",
    "log_softmax",
    "logsoftmax",
    "relu",
    "selu",
    "sigmoid",
    "sigmoid_binary_crossentropy",
    "softmax",
    "softmax_graph",
    "softplus",
    "softsign",
    "ultra_fast_sigmoid",
]


@dataclass(frozen=True)
class Softmax(TensorOp):
    """``exp(x - max) / sum(exp(x - max))`` along ``axis``."""

    axis: int
    shapes_from_shapes = True
    raises_on_values = False

    def infer_type(self, x: Variable) -> TensorType:
        _check_axis(x, self.axis, "softmax")
        return TensorType(_float(x.dtype), x.type.shape)

    def impl(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(x - np.max(x, axis=self.axis, keepdims=True))
        return e / np.sum(e, axis=self.axis, keepdims=True)

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x,) = outs, names
        axis = f"axis={self.axis}, keepdims=True"
        return [f"{out} = np.exp({x} - np.max({x}, {axis}))", f"{out} /= np.sum({out}, {axis})"]

    def pullback(self, inputs, outputs, output_grads):
        """``y * (g - sum(g * y))`` along the axis, with y the softmax."""
        (y,), (g,) = outputs, output_grads
        return [y * (g - T.sum(g * y, axis=self.axis, keepdims=True))]

    def __str__(self) -> str:
        return f"softmax{{axis={self.axis}}}"

    def pretty(self, x: str) -> str:
        return f"softmax({x})"

    def sympy_form(self, node, args, bound):
        """``exp(x) / Sum(exp(x))`` along the axis."""
        import sympy

        from symgraph.tensor.sympy_elements import Elements

        (x,) = args
        total = _sympy_exp_sum(x, self.axis, bound)
        return Elements(x.sizes, lambda index: sympy.exp(x.at(index)) / total(index))


@dataclass(frozen=True)
class LogSoftmax(TensorOp):
    """``x - max - log(sum(exp(x - max)))`` along ``axis``: finite where log(softmax) is not."""

    axis: int
    shapes_from_shapes = True
    raises_on_values = False

    def infer_type(self, x: Variable) -> TensorType:
        _check_axis(x, self.axis, "log_softmax")
        return TensorType(_float(x.dtype), x.type.shape)

    def impl(self, x: np.ndarray) -> np.ndarray:
        shifted = x - np.max(x, axis=self.axis, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x,) = outs, names
        axis = f"axis={self.axis}, keepdims=True"
        return [
            f"{out} = {x} - np.max({x}, {axis})",
            f"{out} -= np.log(np.sum(np.exp({out}), {axis}))",
        ]

    def pullback(self, inputs, outputs, output_grads):
        """``g - softmax * sum(g)`` along the axis, with softmax = exp(y)."""
        (y,), (g,) = outputs, output_grads
        return [g - T.exp(y) * T.sum(g, axis=self.axis, keepdims=True)]

    def __str__(self) -> str:
        return f"log_softmax{{axis={self.axis}}}"

    def pretty(self, x: str) -> str:
        return f"log_softmax({x})"

    def sympy_form(self, node, args, bound):
        """``x - log(Sum(exp(x)))`` along the axis."""
        import sympy

        from symgraph.tensor.sympy_elements import Elements

        (x,) = args
        total = _sympy_exp_sum(x, self.axis, bound)
        return Elements(x.sizes, lambda index: x.at(index) - sympy.log(total(index)))


def _check_axis(x: Variable, axis: int, op: str) -> None:
    if not 0 <= axis < x.ndim:
        raise TypeError(f"{op}: axis {axis} is out of range for {x!r} of type {x.type}")


def _float(dtype: str) -> str:
    return dtype if dtype[0] in "fc" else "float64"


def along(op: type[Softmax | LogSoftmax], x: Any, axis: int) -> Variable:
    """``op`` normalizing ``x`` along ``axis`` (negative counts from the end)."""
    x = as_tensor_variable(x)
    return op(axis % max(x.ndim, 1))(x)


def _rows(x: Any, axis: int, name: str) -> tuple[Variable, int]:
    """``x`` and ``axis``, a vector padded to a 1 x n row as Theano 1.0's softmax pads it
    (programs index the rows of the result and take its ``argmax(axis=1)``)."""
    x = as_tensor_variable(x)
    if x.ndim != 1:
        return x, axis
    if axis not in (0, -1):
        raise TypeError(f"{name}: axis {axis} is out of range for the vector {x!r}")
    return T.dimshuffle(x, "x", 0), 1


def softmax(x: Any, axis: int = -1) -> Variable:
    """Softmax along ``axis`` (the last by default); a vector gives a 1 x n row (Theano 1.0)."""
    return along(Softmax, *_rows(x, axis, "softmax"))


def log_softmax(x: Any, axis: int = -1) -> Variable:
    """Log of the softmax along ``axis``, computed stably; a vector gives a 1 x n row."""
    return along(LogSoftmax, *_rows(x, axis, "log_softmax"))


logsoftmax = log_softmax


def relu(x: Any, alpha: float = 0.0) -> Variable:
    """``max(x, 0)``; with ``alpha``, the leaky form ``max(x, alpha * x)`` (alpha < 1)."""
    x = as_tensor_variable(x)
    if alpha == 0:
        return T.maximum(x, 0)
    return T.maximum(x, alpha * x)


def categorical_crossentropy(coding_dist: Any, true_dist: Any) -> Variable:
    """``-sum(true * log(coding))`` per row; integer ``true_dist`` holds one class per row."""
    coding_dist, true_dist = as_tensor_variable(coding_dist), as_tensor_variable(true_dist)
    if true_dist.dtype[0] in "iu":
        if true_dist.ndim != coding_dist.ndim - 1:
            raise TypeError(
                f"categorical_crossentropy: integer labels {true_dist.type} must have one "
                f"dimension less than the distribution {coding_dist.type}"
            )
        rows = T.arange(coding_dist.shape[0])
        return -T.log(coding_dist[rows, true_dist])
    return -T.sum(true_dist * T.log(coding_dist), axis=-1)


def binary_crossentropy(output: Any, target: Any) -> Variable:
    """``-(target * log(output) + (1 - target) * log(1 - output))`` elementwise (a Python
    number ``target`` takes ``output``'s dtype, as in any arithmetic)."""
    output = as_tensor_variable(output)
    return -(target * T.log(output) + (1 - target) * T.log(1 - output))


from symgraph.tensor.activations import (  # noqa: E402 (Theano's other nnet names)
    crossentropy_categorical_1hot,
    elu,
    hard_sigmoid,
    selu,
    sigmoid_binary_crossentropy,
    softmax_graph,
    softsign,
    ultra_fast_sigmoid,
)


def _sympy_exp_sum(x: Any, axis: int, bound: Any) -> Any:
    """The normalizer of a softmax in SymPy: index -> ``Sum(exp(x))`` along ``axis``."""
    import sympy

    from symgraph.tensor.sympy_elements import ZERO

    def total(index):
        k = bound(index)
        moved = index[:axis] + (k,) + index[axis + 1 :]
        return sympy.Sum(sympy.exp(x.at(moved)), (k, ZERO, x.sizes[axis] - 1))

    return total
