"""Ops that make arrays from sizes and diagonals: ``eye``, ``arange``, diagonals; ``tril``, ``triu``."""

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
class AllocDiag(TensorOp):
    """``np.diag(v, offset)``: the square matrix with the vector ``v`` on its offset-th diagonal."""

    offset: int = 0

    def infer_type(self, v: Variable) -> TensorType:
        if v.ndim != 1:
            raise TypeError(f"alloc_diag: the input must be a vector, got {v!r} of type {v.type}")
        n = v.type.shape[0]
        size = None if n is None else n + abs(self.offset)
        return TensorType(v.dtype, (size, size))

    def impl(self, v: np.ndarray) -> np.ndarray:
        return np.diag(v, self.offset)

    def code(self, v: str) -> str:
        return f"np.diag({v}, {self.offset})" if self.offset else f"np.diag({v})"

    def pullback(self, inputs, outputs, output_grads):
        return [extract_diag(output_grads[0], self.offset)]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0])]

    def pretty(self, v: str) -> str:
        return f"alloc_diag({v}, {self.offset})" if self.offset else f"alloc_diag({v})"


@dataclass(frozen=True)
class ExtractDiag(TensorOp):
    """``np.diagonal(x, offset, axis1, axis2)``: a read-only view of a diagonal.

    The diagonal's axis comes last, after the axes other than ``axis1`` and
    ``axis2``. NumPy's view cannot be written, so the memory plan never
    computes into it (``readonly_views``) and copies it where a caller
    would receive it.
    """

    offset: int = 0
    axis1: int = 0
    axis2: int = 1

    view_map = {0: (0,)}
    readonly_views = True

    def infer_type(self, x: Variable) -> TensorType:
        if x.ndim < 2 or not (0 <= self.axis1 < x.ndim and 0 <= self.axis2 < x.ndim):
            raise TypeError(
                f"extract_diag: axes {self.axis1} and {self.axis2} do not fit {x!r} of type {x.type}"
            )
        if self.axis1 == self.axis2:
            raise TypeError(f"extract_diag: axis1 and axis2 are both {self.axis1}")
        rows, cols = x.type.shape[self.axis1], x.type.shape[self.axis2]
        size = None
        if rows is not None and cols is not None:
            size = len(np.diagonal(np.empty((rows, cols), dtype=bool), self.offset))
        others = [s for i, s in enumerate(x.type.shape) if i not in (self.axis1, self.axis2)]
        return TensorType(x.dtype, (*others, size))

    def impl(self, x: np.ndarray) -> np.ndarray:
        return np.diagonal(x, self.offset, self.axis1, self.axis2)

    def code(self, x: str) -> str:
        if (self.axis1, self.axis2) != (0, 1):
            return f"np.diagonal({x}, {self.offset}, {self.axis1}, {self.axis2})"
        return f"np.diagonal({x}, {self.offset})" if self.offset else f"np.diagonal({x})"

    def pullback(self, inputs, outputs, output_grads):
        """g written on the diagonal of zeros: the diagonal's axes moved last, then back."""
        (x,), (g,) = inputs, output_grads
        others = [i for i in range(x.ndim) if i not in (self.axis1, self.axis2)]
        order = [*others, self.axis1, self.axis2]
        zeros = T.dimshuffle(zeros_like(x), order)
        index = arange(dim_size(g, g.ndim - 1))
        rows = index - self.offset if self.offset < 0 else index
        cols = index + self.offset if self.offset > 0 else index
        written = T.set_subtensor(zeros[(slice(None),) * len(others) + (rows, cols)], g)
        return [T.dimshuffle(written, [order.index(i) for i in range(x.ndim)])]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0])]

    def pretty(self, x: str) -> str:
        if (self.axis1, self.axis2) != (0, 1):
            return f"diagonal({x}, {self.offset}, {self.axis1}, {self.axis2})"
        return f"diagonal({x}, {self.offset})" if self.offset else f"diagonal({x})"


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
    x = as_tensor_variable(x)
    if x.ndim not in (1, 2):
        raise TypeError(f"diag: the input must be 1-d or 2-d, got {x!r} of type {x.type}")
    return alloc_diag(x, k) if x.ndim == 1 else extract_diag(x, k)


def alloc_diag(v: Any, offset: int = 0) -> Variable:
    """The square matrix with the vector ``v`` on its ``offset``-th diagonal (Theano's AllocDiag)."""
    return AllocDiag(int(offset))(v)


def extract_diag(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Variable:
    """The ``offset``-th diagonal of ``x`` as a view, as ``np.diagonal`` (Theano's ExtractDiag)."""
    x = as_tensor_variable(x)
    ndim = max(x.ndim, 1)
    return ExtractDiag(int(offset), axis1 % ndim, axis2 % ndim)(x)


diagonal = extract_diag


def tril(x: Any, k: int = 0) -> Variable:
    """``x`` with the elements above the k-th diagonal zeroed, as ``np.tril``."""
    x = as_tensor_variable(x)
    return T.switch(_diagonal_offsets(x) <= k, x, 0)


def triu(x: Any, k: int = 0) -> Variable:
    """``x`` with the elements below the k-th diagonal zeroed, as ``np.triu``."""
    x = as_tensor_variable(x)
    return T.switch(_diagonal_offsets(x) >= k, x, 0)


def _diagonal_offsets(x: Variable) -> Variable:
    """``column - row`` for every position of the last two axes of ``x``."""
    if x.ndim < 2:
        raise TypeError(f"tril/triu: the input must have 2 or more dimensions, got {x.type}")
    rows = arange(dim_size(x, x.ndim - 2)).dimshuffle(0, "x")
    cols = arange(dim_size(x, x.ndim - 1)).dimshuffle("x", 0)
    return cols - rows
