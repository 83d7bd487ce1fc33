"""Theano's ``theano.tensor.extra_ops``: cumulative ops, differences, counting, index conversions.

Named ops where one NumPy call does the work (``np.cumsum``, ``np.bincount``,
``np.searchsorted``, ``np.unique``, ``np.unravel_index``,
``np.ravel_multi_index``); graphs of existing ops elsewhere (``diff``,
``squeeze``, ``to_one_hot``, ``fill_diagonal``), which differentiate on
their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.config import config
from symgraph.graph.basic import Variable
from symgraph.tensor.shape import dim_size, repeat
from symgraph.tensor.sort import static_axis
from symgraph.tensor.type import TensorType, broadcast_shapes
from symgraph.tensor.variable import TensorOp, as_tensor_variable

__all__ = [
    "Bincount",
    "CumOp",
    "RavelMultiIndex",
    "SearchsortedOp",
    "Unique",
    "UnravelIndex",
    "bincount",
    "cumprod",
    "cumsum",
    "diff",
    "fill_diagonal",
    "fill_diagonal_offset",
    "ravel_multi_index",
    "repeat",
    "searchsorted",
    "squeeze",
    "to_one_hot",
    "unique",
    "unravel_index",
]


def _check_int(op: str, x: Variable, what: str) -> None:
    if x.dtype[0] not in "iu":
        raise TypeError(f"{op}: {what} must be integers, got {x!r} of type {x.type}")


@dataclass(frozen=True)
class CumOp(TensorOp):
    """``np.cumsum`` (mode 'add') or ``np.cumprod`` (mode 'mul') along ``axis``."""

    axis: int
    mode: str = "add"

    def infer_type(self, x: Variable) -> TensorType:
        if self.mode not in ("add", "mul"):
            raise TypeError(f"CumOp: mode must be 'add' or 'mul', not {self.mode!r}")
        if not 0 <= self.axis < x.ndim:
            raise TypeError(f"{self.name}: axis {self.axis} is out of range for {x.type}")
        dtype = getattr(np, self.name)(np.ones(1, x.dtype)).dtype
        return TensorType(str(dtype), x.type.shape)

    @property
    def name(self) -> str:
        return "cumsum" if self.mode == "add" else "cumprod"

    def impl(self, x: np.ndarray) -> np.ndarray:
        return getattr(np, self.name)(x, axis=self.axis)

    def code(self, x: str) -> str:
        return f"np.{self.name}({x}, axis={self.axis})"

    def pullback(self, inputs, outputs, output_grads):
        """cumsum: g summed from the end; cumprod: the products of the other elements, exact at 0."""
        (x,), (y,), (g,) = inputs, outputs, output_grads
        if self.mode == "add":
            return [_reverse_cumsum(g, self.axis)]
        return [_cumprod_derivative(x, y, g, self.axis)]

    def pretty(self, x: str) -> str:
        return f"{self.name}({x}, axis={self.axis})"

    def __str__(self) -> str:
        return f"{self.name}{{axis={self.axis}}}"


def _reversed(x: Variable, axis: int) -> Variable:
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


def _reverse_cumsum(x: Variable, axis: int) -> Variable:
    """``x[i] + x[i+1] + ...`` along ``axis``."""
    return _reversed(CumOp(axis, "add")(_reversed(x, axis)), axis)


def _cumprod_derivative(x: Variable, y: Variable, g: Variable, axis: int) -> Variable:
    """The gradient of ``y = cumprod(x)`` without dividing by zero.

    Before the first zero of a lane it is ``sum_{k>=i} g_k y_k / x_i``. At the
    first zero z it is ``sum_{k>=z} g_k y'_k``, with y' the cumprod of x where
    that zero is replaced by 1. After it, every product holds x_z = 0: 0.
    """
    zero = T.eq(x, 0)
    seen = cumsum(zero, axis)  # zeros up to and including each position
    clean = T.eq(seen, 0)
    first = zero & T.eq(seen, 1)
    usual = _reverse_cumsum(g * y, axis) / T.switch(clean, x, 1)
    skipped = CumOp(axis, "mul")(T.switch(first, 1, x))
    at_first = T.sum(g * skipped * (seen > 0), axis=axis, keepdims=True)
    return T.switch(clean, usual, T.switch(first, at_first, 0))


@dataclass(frozen=True)
class SearchsortedOp(TensorOp):
    """``np.searchsorted(x, v, side, sorter)``: where v's elements would go in the sorted x."""

    side: str = "left"

    def infer_type(self, x: Variable, v: Variable, *sorter: Variable) -> TensorType:
        if self.side not in ("left", "right"):
            raise TypeError(f"searchsorted: side must be 'left' or 'right', not {self.side!r}")
        if x.ndim != 1:
            raise TypeError(f"searchsorted: x must be a vector, got {x!r} of type {x.type}")
        for s in sorter:
            _check_int("searchsorted", s, "sorter")
        return TensorType("int64", v.type.shape)

    def impl(self, x: np.ndarray, v: np.ndarray, *sorter: np.ndarray) -> np.ndarray:
        return np.searchsorted(x, v, side=self.side, sorter=sorter[0] if sorter else None)

    def code(self, x: str, v: str, *sorter: str) -> str:
        side = "" if self.side == "left" else f", side={self.side!r}"
        return f"np.searchsorted({x}, {v}{side}{''.join(f', sorter={s}' for s in sorter)})"

    def pullback(self, inputs, outputs, output_grads):
        return [None] * len(inputs)


@dataclass(frozen=True)
class Bincount(TensorOp):
    """``np.bincount(x, weights, minlength)``: occurrences of each value (weighted sums)."""

    minlength: int = 0

    def infer_type(self, x: Variable, *weights: Variable) -> TensorType:
        if x.ndim != 1:
            raise TypeError(f"bincount: x must be a vector, got {x!r} of type {x.type}")
        _check_int("bincount", x, "x")
        for w in weights:
            if w.ndim != 1:
                raise TypeError(f"bincount: weights must be a vector, got {w.type}")
            broadcast_shapes(x.type.shape, w.type.shape, op="bincount")
        return TensorType("float64" if weights else "int64", (None,))

    def impl(self, x: np.ndarray, *weights: np.ndarray) -> np.ndarray:
        return np.bincount(x, weights[0] if weights else None, self.minlength)

    def code(self, x: str, *weights: str) -> str:
        minlength = f", minlength={self.minlength}" if self.minlength else ""
        return f"np.bincount({x}{''.join(f', {w}' for w in weights)}{minlength})"

    def pullback(self, inputs, outputs, output_grads):
        """Each weight went into the bin of its value."""
        (g,) = output_grads
        return [None] + [g[inputs[0]] for _ in inputs[1:]]


@dataclass(frozen=True)
class Unique(TensorOp):
    """``np.unique`` with the optional index, inverse and count outputs (Theano's op)."""

    return_index: bool = False
    return_inverse: bool = False
    return_counts: bool = False
    axis: int | None = None

    def infer_type(self, x: Variable) -> Any:
        if self.axis is not None and not 0 <= self.axis < x.ndim:
            raise TypeError(f"unique: axis {self.axis} is out of range for {x.type}")
        if self.axis is None:
            values = TensorType(x.dtype, (None,))
        else:
            shape = tuple(None if i == self.axis else s for i, s in enumerate(x.type.shape))
            values = TensorType(x.dtype, shape)
        types = [values]
        if self.return_index:
            types.append(TensorType("int64", (None,)))
        if self.return_inverse:
            # NumPy's own answer: whether the inverse keeps the input's shape
            probe = np.unique(np.zeros((1,) * max(x.ndim, 1)), return_inverse=True, axis=self.axis)
            types.append(TensorType("int64", (None,) * probe[1].ndim))
        if self.return_counts:
            types.append(TensorType("int64", (None,)))
        return tuple(types) if len(types) > 1 else values

    def options(self) -> dict[str, Any]:
        """The keywords of ``np.unique`` this op passes."""
        flags = ("return_index", "return_inverse", "return_counts")
        options: dict[str, Any] = {flag: True for flag in flags if getattr(self, flag)}
        if self.axis is not None:
            options["axis"] = self.axis
        return options

    def impl(self, x: np.ndarray) -> Any:
        result = np.unique(x, **self.options())
        return tuple(result) if isinstance(result, tuple) else result

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        keywords = "".join(f", {k}={v!r}" for k, v in self.options().items())
        return [f"{', '.join(outs)} = np.unique({names[0]}{keywords})"]

    def pullback(self, inputs, outputs, output_grads):
        raise NotImplementedError("unique's values have no gradient (ties are not differentiable)")


@dataclass(frozen=True)
class UnravelIndex(TensorOp):
    """``np.unravel_index(indices, dims, order)``: one int64 array per dimension."""

    ndim: int
    order: str = "C"

    def infer_type(self, indices: Variable, dims: Variable) -> Any:
        _check_int("unravel_index", indices, "indices")
        _check_int("unravel_index", dims, "dims")
        if dims.ndim != 1 or self.order not in ("C", "F"):
            raise TypeError("unravel_index: dims must be a vector and order 'C' or 'F'")
        out = TensorType("int64", indices.type.shape)
        return (out,) * self.ndim if self.ndim > 1 else out

    def impl(self, indices: np.ndarray, dims: np.ndarray) -> Any:
        result = tuple(np.asarray(r) for r in np.unravel_index(indices, dims, order=self.order))
        return result if self.ndim > 1 else result[0]

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        order = "" if self.order == "C" else ", order='F'"
        targets = ", ".join(outs) if len(outs) > 1 else f"({outs[0]},)"
        return [f"{targets} = np.unravel_index({names[0]}, {names[1]}{order})"]

    def pullback(self, inputs, outputs, output_grads):
        return [None, None]


@dataclass(frozen=True)
class RavelMultiIndex(TensorOp):
    """``np.ravel_multi_index(multi_index, dims, mode, order)``: flat int64 indices."""

    mode: str = "raise"
    order: str = "C"

    def infer_type(self, *inputs: Variable) -> TensorType:
        *multi_index, dims = inputs
        if not multi_index or dims.ndim != 1:
            raise TypeError("ravel_multi_index: needs index arrays and a vector of dims")
        for i in (*multi_index, dims):
            _check_int("ravel_multi_index", i, "indices and dims")
        if self.mode not in ("raise", "wrap", "clip") or self.order not in ("C", "F"):
            raise TypeError(f"ravel_multi_index: bad mode {self.mode!r} or order {self.order!r}")
        shape = broadcast_shapes(*(i.type.shape for i in multi_index), op="ravel_multi_index")
        return TensorType("int64", shape)

    def impl(self, *inputs: np.ndarray) -> np.ndarray:
        *multi_index, dims = inputs
        return np.ravel_multi_index(tuple(multi_index), dims, mode=self.mode, order=self.order)

    def code(self, *names: str) -> str:
        *multi_index, dims = names
        options = "" if self.mode == "raise" else f", mode={self.mode!r}"
        options += "" if self.order == "C" else ", order='F'"
        return f"np.ravel_multi_index(({', '.join(multi_index)},), {dims}{options})"

    def pullback(self, inputs, outputs, output_grads):
        return [None] * len(inputs)


# -- functions ---------------------------------------------------------------------------------


def _cumulative(mode: str, x: Any, axis: Any) -> Variable:
    x = as_tensor_variable(x)
    axis = static_axis(axis, "cumsum" if mode == "add" else "cumprod")
    if axis is None:
        return CumOp(0, mode)(T.flatten(x))
    if not -x.ndim <= axis < x.ndim:
        raise TypeError(f"cumulative op: axis {axis} is out of range for {x.type}")
    return CumOp(axis % x.ndim, mode)(x)


def cumsum(x: Any, axis: Any = None) -> Variable:
    """Cumulative sum along ``axis`` (the flattened array when None), as ``np.cumsum``."""
    return _cumulative("add", x, axis)


def cumprod(x: Any, axis: Any = None) -> Variable:
    """Cumulative product along ``axis`` (the flattened array when None), as ``np.cumprod``."""
    return _cumulative("mul", x, axis)


def diff(x: Any, n: int = 1, axis: int = -1) -> Variable:
    """The n-th discrete difference ``x[i + 1] - x[i]`` along ``axis``, as ``np.diff``."""
    x = as_tensor_variable(x)
    axis = axis % x.ndim
    before = (slice(None),) * axis
    for _ in range(n):
        x = x[(*before, slice(1, None))] - x[(*before, slice(None, -1))]
    return x


def bincount(
    x: Any, weights: Any = None, minlength: int | None = None, assert_nonneg: bool = False
) -> Variable:
    """Occurrences of each value of the int vector ``x`` (weighted: sums), as ``np.bincount``.

    Negative values raise ValueError, as in NumPy, whatever ``assert_nonneg`` says.
    """
    op = Bincount(int(minlength or 0))
    return op(x) if weights is None else op(x, weights)


def searchsorted(x: Any, v: Any, side: str = "left", sorter: Any = None) -> Variable:
    """Where the elements of ``v`` would be inserted in the sorted vector ``x``."""
    op = SearchsortedOp(side)
    return op(x, v) if sorter is None else op(x, v, sorter)


def squeeze(x: Any, axis: Any = None) -> Variable:
    """``x`` without its size-1 axes (those of static size 1 when ``axis`` is None)."""
    x = as_tensor_variable(x)
    if axis is None:
        return T.dimshuffle(x, [d for d in range(x.ndim) if x.type.shape[d] != 1])
    axes = {int(a) % x.ndim for a in ((axis,) if np.ndim(axis) == 0 else axis)}
    kept = [d for d in range(x.ndim) if d not in axes]
    if all(x.type.shape[d] == 1 for d in axes):
        return T.dimshuffle(x, kept)
    return T.reshape(x, [dim_size(x, d) for d in kept], ndim=len(kept))


def to_one_hot(y: Any, nb_class: Any, dtype: str | None = None) -> Variable:
    """Row i is the one-hot encoding of ``y[i]`` among ``nb_class`` classes."""
    y = as_tensor_variable(y)
    _check_int("to_one_hot", y, "labels")
    rows = dim_size(y, 0)
    zeros = T.zeros((rows, nb_class), dtype=dtype or config.floatX)
    return T.set_subtensor(zeros[T.arange(rows), y], 1)


def unravel_index(indices: Any, dims: Any, order: str = "C", ndim: int | None = None) -> tuple:
    """Flat indices into a tuple of coordinate arrays, as ``np.unravel_index``.

    ``ndim`` (the length of ``dims``) is needed when ``dims`` is symbolic.
    """
    dims = as_tensor_variable(dims)
    ndim = ndim if ndim is not None else dims.type.shape[0] if dims.ndim == 1 else None
    if ndim is None:
        raise TypeError("unravel_index: the length of dims is not known; pass ndim=")
    result = UnravelIndex(int(ndim), order)(indices, dims)
    return tuple(result) if ndim > 1 else (result,)


def ravel_multi_index(
    multi_index: Sequence[Any], dims: Any, mode: str = "raise", order: str = "C"
) -> Variable:
    """A tuple of index arrays into flat indices, as ``np.ravel_multi_index``."""
    if not isinstance(multi_index, (tuple, list)):
        raise TypeError("ravel_multi_index: multi_index must be a tuple or a list")
    return RavelMultiIndex(mode, order)(*multi_index, dims)


def fill_diagonal(a: Any, val: Any) -> Variable:
    """A copy of ``a`` with its main diagonal set to the scalar ``val`` (no wrapping)."""
    a, val = as_tensor_variable(a), as_tensor_variable(val)
    if a.ndim < 2 or val.ndim != 0:
        raise TypeError(f"fill_diagonal: needs an array of 2+ dims and a scalar, got {a.type}")
    size = dim_size(a, 0)
    for d in range(1, a.ndim):
        size = T.minimum(size, dim_size(a, d))
    index = T.arange(size)
    return T.set_subtensor(a[(index,) * a.ndim], T.cast(val, a.dtype))


def fill_diagonal_offset(a: Any, val: Any, offset: Any) -> Variable:
    """A copy of the matrix ``a`` with its ``offset``-th diagonal set to the scalar ``val``."""
    a, val, offset = (as_tensor_variable(v) for v in (a, val, offset))
    if a.ndim != 2 or val.ndim != 0 or offset.ndim != 0:
        raise TypeError("fill_diagonal_offset: needs a matrix, a scalar and a scalar offset")
    first_row, first_col = T.maximum(-offset, 0), T.maximum(offset, 0)
    size = T.maximum(T.minimum(a.shape[0] - first_row, a.shape[1] - first_col), 0)
    index = T.arange(size)
    return T.set_subtensor(a[index + first_row, index + first_col], T.cast(val, a.dtype))


def unique(
    ar: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
) -> Any:
    """The sorted unique elements of ``ar`` and the optional outputs of ``np.unique``."""
    ar = as_tensor_variable(ar)
    axis = None if axis is None else int(axis) % max(ar.ndim, 1)
    return Unique(bool(return_index), bool(return_inverse), bool(return_counts), axis)(ar)
