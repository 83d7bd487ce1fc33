"""Products: ``Dot`` (NumPy's matmul rules, ``a @ b``) and ``Tensordot``.

``dot``, ``matmul``, ``outer`` and ``batched_dot`` are functions over these two
ops and elementwise ``mul``, so rewrites have one product op to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.tensor.type import TensorType, broadcast_shapes, shape_str
from symgraph.tensor.variable import TensorOp, as_tensor_variable


def _product_dtype(a: Variable, b: Variable) -> str:
    return str(np.result_type(a.dtype, b.dtype))


def _check_inner(op: str, a: Variable, b: Variable, ka: int | None, kb: int | None) -> None:
    if ka is not None and kb is not None and ka != kb:
        raise TypeError(
            f"{op}: shapes {shape_str(a.type.shape)} and {shape_str(b.type.shape)} are not "
            f"aligned ({ka} != {kb}) for {a!r} and {b!r}"
        )


@dataclass(frozen=True)
class Dot(TensorOp):
    """``a @ b`` with NumPy's matmul rules (1-d operands, broadcast batch axes)."""

    def infer_type(self, a: Variable, b: Variable) -> TensorType:
        if a.ndim == 0 or b.ndim == 0:
            raise TypeError(
                f"dot: operands must have at least 1 dimension, got {a.type} and {b.type}"
            )
        sa, sb = a.type.shape, b.type.shape
        _check_inner("dot", a, b, sa[-1], sb[0] if b.ndim == 1 else sb[-2])
        batch = broadcast_shapes(sa[:-2], sb[:-2], op="dot")
        rows = sa[-2:-1] if a.ndim >= 2 else ()
        cols = sb[-1:] if b.ndim >= 2 else ()
        return TensorType(_product_dtype(a, b), batch + rows + cols)

    def impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(np.matmul(a, b))

    def code(self, a: str, b: str) -> str:
        return f"{a} @ {b}"

    precedence = 11

    def pretty(self, a: str, b: str) -> str:
        return f"{a} @ {b}"


@dataclass(frozen=True)
class Tensordot(TensorOp):
    """``np.tensordot(a, b, axes)``: sum over pairs of axes."""

    axes_a: tuple[int, ...]
    axes_b: tuple[int, ...]

    def infer_type(self, a: Variable, b: Variable) -> TensorType:
        if len(self.axes_a) != len(self.axes_b):
            raise TypeError(f"tensordot: axes {self.axes_a} and {self.axes_b} differ in length")
        for i, j in zip(self.axes_a, self.axes_b):
            if not (0 <= i < a.ndim and 0 <= j < b.ndim):
                raise TypeError(f"tensordot: axes ({i}, {j}) out of range for {a.type}, {b.type}")
            _check_inner("tensordot", a, b, a.type.shape[i], b.type.shape[j])
        shape = tuple(s for i, s in enumerate(a.type.shape) if i not in self.axes_a) + tuple(
            s for j, s in enumerate(b.type.shape) if j not in self.axes_b
        )
        return TensorType(_product_dtype(a, b), shape)

    def impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(np.tensordot(a, b, (self.axes_a, self.axes_b)))

    def code(self, a: str, b: str) -> str:
        return f"np.tensordot({a}, {b}, ({self.axes_a}, {self.axes_b}))"


def matmul(a: Any, b: Any) -> Variable:
    """``a @ b`` with NumPy's matmul rules."""
    return Dot()(a, b)


def dot(a: Any, b: Any) -> Variable:
    """Theano's dot: matrix/vector products; scalars multiply; n-d follows ``np.dot``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return Dot()(a, b)
    return tensordot(a, b, [[a.ndim - 1], [max(b.ndim - 2, 0)]])


def tensordot(a: Any, b: Any, axes: int | Sequence = 2) -> Variable:
    """Sum products over the given axes, as ``np.tensordot``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    axes_a = tuple(int(i) % max(a.ndim, 1) for i in axes_a)
    axes_b = tuple(int(j) % max(b.ndim, 1) for j in axes_b)
    return Tensordot(axes_a, axes_b)(a, b)


def outer(a: Any, b: Any) -> Variable:
    """The outer product of two vectors, as ``np.outer`` (flattening other inputs)."""
    a, b = T.flatten(a), T.flatten(b)
    return T.dimshuffle(a, (0, "x")) * T.dimshuffle(b, ("x", 0))


def batched_dot(a: Any, b: Any) -> Variable:
    """Products of matching slices along the first axis: ``a[i] @ b[i]`` for each i."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 2 and b.ndim == 2:
        return T.sum(a * b, axis=1)
    if a.ndim == 2:
        a = T.dimshuffle(a, (0, "x", 1))
        return T.dimshuffle(Dot()(a, b), [0] + list(range(2, b.ndim)))
    if b.ndim == 2:
        product = Dot()(a, T.dimshuffle(b, (0, 1, "x")))
        return T.dimshuffle(product, list(range(product.ndim - 1)))
    return Dot()(a, b)
