"""Ops that make arrays from sizes and diagonals: ``eye``, ``arange``, ``diag``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.config import config
from symgraph.graph.basic import Variable
from symgraph.tensor.elemwise import weak_scalars_as_constants
from symgraph.tensor.shape import dim_size, static_scalar, zeros_like
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable


@dataclass(frozen=True)
class Eye(TensorOp):
    """``np.eye(n, m, k)``."""

    dtype: str

    def infer_type(self, n: Variable, m: Variable, k: Variable) -> TensorType:
        for v in (n, m, k):
            if v.ndim != 0 or v.dtype[0] not in "iu":
                raise TypeError(f"eye: n, m and k must be int scalars, got {v.type}")
        return TensorType(self.dtype, (static_scalar(n), static_scalar(m)))

    def impl(self, n, m, k) -> np.ndarray:
        return np.eye(int(n), int(m), int(k), dtype=self.dtype)

    def code(self, n: str, m: str, k: str) -> str:
        return f"np.eye({n}, {m}, {k}, dtype=np.{self.dtype})"

    def pullback(self, inputs, outputs, output_grads):
        return [None, None, None]


@dataclass(frozen=True)
class ARange(TensorOp):
    """``np.arange(start, stop, step)``."""

    dtype: str

    def infer_type(self, start: Variable, stop: Variable, step: Variable) -> TensorType:
        for v in (start, stop, step):
            if v.ndim != 0:
                raise TypeError(f"arange: start, stop and step must be scalars, got {v.type}")
        values = [static_scalar(v) if v.dtype[0] in "iu" else None for v in (start, stop, step)]
        size = len(range(*values)) if None not in values and values[2] != 0 else None
        return TensorType(self.dtype, (size,))

    def impl(self, start, stop, step) -> np.ndarray:
        return np.arange(start, stop, step, dtype=self.dtype)

    def code(self, start: str, stop: str, step: str) -> str:
        return f"np.arange({start}, {stop}, {step}, dtype=np.{self.dtype})"

    def pullback(self, inputs, outputs, output_grads):
        """Values are start + i * step; stop only sets the length (no gradient)."""
        (out,), (g,) = outputs, output_grads
        if self.dtype[0] not in "fc":
            return [None, None, None]
        return [T.sum(g), None, T.sum(g * arange(dim_size(out, 0), dtype=self.dtype))]


@dataclass(frozen=True)
class Diag(TensorOp):
    """``np.diag(x, k)``: a vector's diagonal matrix, or a matrix's k-th diagonal (a copy)."""

    k: int = 0

    def infer_type(self, x: Variable) -> TensorType:
        if x.ndim == 1:
            n = x.type.shape[0]
            size = None if n is None else n + abs(self.k)
            return TensorType(x.dtype, (size, size))
        if x.ndim == 2:
            rows, cols = x.type.shape
            if rows is None or cols is None:
                return TensorType(x.dtype, (None,))
            size = len(np.diag(np.empty((rows, cols)), self.k))
            return TensorType(x.dtype, (size,))
        raise TypeError(f"diag: input must be 1-d or 2-d, got {x.type}")

    def impl(self, x: np.ndarray) -> np.ndarray:
        return np.diag(x, self.k).copy()

    def code(self, x: str) -> str:
        return f"np.diag({x}, {self.k}).copy()" if self.k else f"np.diag({x}).copy()"

    def pullback(self, inputs, outputs, output_grads):
        """A vector reads its gradient off the k-th diagonal; a matrix gets it written there."""
        (x,), (g,) = inputs, output_grads
        if x.ndim == 1:
            return [diag(g, self.k)]
        index = arange(dim_size(g, 0))
        rows = index - self.k if self.k < 0 else index
        cols = index + self.k if self.k > 0 else index
        return [T.set_subtensor(zeros_like(x)[rows, cols], g)]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0])]


# -- functions ---------------------------------------------------------------------------------


def eye(n: Any, m: Any = None, k: Any = 0, dtype: str | None = None) -> Variable:
    """The identity-like matrix of ``np.eye``."""
    n = as_tensor_variable(n)
    return Eye(dtype or config.floatX)(n, n if m is None else m, k)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: str | None = None) -> Variable:
    """Evenly spaced values, as ``np.arange``."""
    if stop is None:
        start, stop = 0, start
    start, stop, step = weak_scalars_as_constants([start, stop, step])
    if dtype is None:
        dtype = str(np.result_type(start.dtype, stop.dtype, step.dtype))
    return ARange(dtype)(start, stop, step)


def diag(x: Any, k: int = 0) -> Variable:
    """A vector's diagonal matrix or a matrix's diagonal, as ``np.diag``."""
    return Diag(k)(x)
