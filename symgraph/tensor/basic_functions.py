"""The smaller functions of Theano's ``tensor`` module, each a graph of the primitives.

None is an op of its own, so rewrites, gradients and printing see through them.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.config import config
from symgraph.graph.basic import Constant, Variable
from symgraph.graph.traversal import graph_inputs, rebuild, toposort
from symgraph.tensor.evaluate import evaluate
from symgraph.tensor.variable import _TensorOperators, as_tensor_variable

__all__ = [
    "NotScalarConstantError",
    "abs_",
    "allclose",
    "as_tensor",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "ceil_intdiv",
    "deg2rad",
    "flatnonzero",
    "floor_div",
    "get_scalar_constant_value",
    "get_vector_length",
    "horizontal_stack",
    "identity_like",
    "inv",
    "iround",
    "isclose",
    "join",
    "largest",
    "max_and_argmax",
    "mgrid",
    "nonzero",
    "nonzero_values",
    "ogrid",
    "ptp",
    "rad2deg",
    "roll",
    "second",
    "shape_padaxis",
    "shape_padleft",
    "shape_padright",
    "smallest",
    "split",
    "stacklists",
    "swapaxes",
    "tri",
    "trunc",
    "vertical_stack",
]

# Theano's other names for existing functions
as_tensor = as_tensor_variable
abs_ = T.abs
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = T.and_, T.or_, T.xor, T.invert
floor_div = T.int_div
second = T.fill
_tensor_py_operators = _TensorOperators


class NotScalarConstantError(TypeError):
    """``get_scalar_constant_value`` of a variable whose value needs the graph's inputs."""


def get_scalar_constant_value(v: Any) -> np.ndarray:
    """The value of a scalar that depends on no input (constants, static sizes), as a 0-d array."""
    if not isinstance(v, Variable):
        v = as_tensor_variable(v)
    static = {
        node.outputs[0]: T.constant(np.array(node.inputs[0].type.shape, dtype="int64"))
        for node in toposort([v])
        if isinstance(node.op, T.Shape) and None not in node.inputs[0].type.shape
    }
    v = rebuild([v], static)[0]
    if any(not isinstance(root, Constant) for root in graph_inputs([v])):
        raise NotScalarConstantError(f"{v!r} (built at {v.where}) depends on inputs")
    value = np.asarray(evaluate(v, {}))
    if value.size != 1:
        raise NotScalarConstantError(f"{v!r} has shape {value.shape}, not a single value")
    return value.reshape(())


def get_vector_length(v: Any) -> int:
    """The static length of a vector; a ``ValueError`` when it is not known."""
    v = as_tensor_variable(v)
    if v.ndim != 1 or v.type.shape[0] is None:
        raise ValueError(f"the length of {v!r} ({v.type}) is not known statically")
    return v.type.shape[0]


def shape_padleft(t: Any, n_ones: int = 1) -> Variable:
    """``t`` with ``n_ones`` broadcastable axes in front."""
    t = as_tensor_variable(t)
    return T.dimshuffle(t, ["x"] * n_ones + list(range(t.ndim)))


def shape_padright(t: Any, n_ones: int = 1) -> Variable:
    """``t`` with ``n_ones`` broadcastable axes at the end."""
    t = as_tensor_variable(t)
    return T.dimshuffle(t, list(range(t.ndim)) + ["x"] * n_ones)


def shape_padaxis(t: Any, axis: int) -> Variable:
    """``t`` with a broadcastable axis inserted at ``axis`` (``np.expand_dims``)."""
    t = as_tensor_variable(t)
    if not -t.ndim - 1 <= axis <= t.ndim:
        raise IndexError(f"shape_padaxis: axis {axis} is out of range for {t.ndim} dimensions")
    pattern: list[Any] = list(range(t.ndim))
    pattern.insert(axis % (t.ndim + 1), "x")
    return T.dimshuffle(t, pattern)


def swapaxes(y: Any, axis1: int, axis2: int) -> Variable:
    """``y`` with two axes exchanged."""
    y = as_tensor_variable(y)
    order = list(range(y.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return T.transpose(y, order)


def roll(x: Any, shift: Any, axis: int | None = None) -> Variable:
    """``np.roll``: elements shifted by ``shift`` (may be symbolic) along ``axis``, wrapping."""
    x = as_tensor_variable(x)
    if axis is None:
        return T.reshape(roll(T.flatten(x), shift, 0), T.shape(x))
    axis %= x.ndim
    n = x.shape[axis]
    cut = n - as_tensor_variable(shift) % T.maximum(n, 1)
    before = (slice(None),) * axis
    return T.concatenate([x[(*before, slice(cut, None))], x[(*before, slice(None, cut))]], axis)


def ptp(a: Any, axis: Any = None) -> Variable:
    """Range of values, maximum minus minimum."""
    return T.max(a, axis) - T.min(a, axis)


def isclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False):
    """``np.isclose``: ``|a - b| <= atol + rtol * |b|``, infinities equal only to themselves."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    finite = T.invert(T.or_(T.isinf(a), T.isinf(b)))
    a_, b_ = T.switch(finite, a, 0), T.switch(finite, b, 0)  # no inf - inf
    close = T.or_(T.and_(T.le(T.abs(a_ - b_), atol + rtol * T.abs(b_)), finite), T.eq(a, b))
    return T.or_(close, T.and_(T.isnan(a), T.isnan(b))) if equal_nan else close


def allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False):
    """``np.allclose``: every element ``isclose``."""
    return T.all(isclose(a, b, rtol, atol, equal_nan))


def inv(x: Any) -> Variable:
    """The elementwise reciprocal ``1 / x`` (Theano's ``inv``; a matrix inverse is ``T.linalg``)."""
    return T.true_div(1.0, x)


def iround(a: Any, mode: str | None = None) -> Variable:
    """``round(a)`` as int64 (half to even, the only mode)."""
    if mode not in (None, "half_to_even"):
        raise ValueError(f"iround: mode {mode!r} is not supported; rounding is half to even")
    return T.cast(T.round(a), "int64")


def trunc(x: Any) -> Variable:
    """Rounded towards zero."""
    return T.switch(T.ge(x, 0), T.floor(x), T.ceil(x))


def ceil_intdiv(a: Any, b: Any) -> Variable:
    """``ceil(a / b)`` for integers, without going through floats."""
    return -T.int_div(-as_tensor_variable(a), b)


def deg2rad(x: Any) -> Variable:
    """Degrees to radians."""
    return x * (math.pi / 180.0)


def rad2deg(x: Any) -> Variable:
    """Radians to degrees."""
    return x * (180.0 / math.pi)


def largest(*args: Any) -> Variable:
    """The elementwise maximum of all arguments."""
    return functools.reduce(T.maximum, args)


def smallest(*args: Any) -> Variable:
    """The elementwise minimum of all arguments."""
    return functools.reduce(T.minimum, args)


def max_and_argmax(a: Any, axis: Any = None, keepdims: bool = False) -> list[Variable]:
    """``[max(a, axis), argmax(a, axis)]``."""
    return [T.max(a, axis, keepdims), T.argmax(a, axis, keepdims)]


def identity_like(x: Any) -> Variable:
    """An identity matrix of ``x``'s shape and dtype."""
    x = as_tensor_variable(x)
    return T.eye(x.shape[0], x.shape[1], dtype=x.dtype)


def tri(N: Any, M: Any = None, k: int = 0, dtype: str | None = None) -> Variable:
    """``np.tri``: ones at and below the ``k``-th diagonal."""
    rows = T.arange(N)
    columns = T.arange(N if M is None else M)
    return T.cast(T.ge(rows[:, None] + k, columns[None, :]), dtype or config.floatX)


def flatnonzero(a: Any) -> Variable:
    """Positions of the nonzero elements of ``a`` flattened (int64)."""
    flat = T.flatten(as_tensor_variable(a))
    return T.arange(flat.shape[0], dtype="int64")[T.neq(flat, 0)]


def nonzero(a: Any, return_matrix: bool = False) -> Any:
    """``np.nonzero``: one vector of indices per axis (or their matrix, one row per axis)."""
    a = as_tensor_variable(a)
    flat = flatnonzero(a)
    indices, stride = [], 1
    for axis in reversed(range(a.ndim)):
        indices.insert(0, flat // stride % a.shape[axis])
        stride = stride * a.shape[axis]
    return T.stack(indices) if return_matrix else tuple(indices)


def nonzero_values(a: Any) -> Variable:
    """The nonzero elements of ``a``, flattened."""
    flat = T.flatten(as_tensor_variable(a))
    return flat[T.neq(flat, 0)]


def join(axis: int, *tensors: Any) -> Variable:
    """Theano's ``join(axis, *tensors)``: ``concatenate(tensors, axis)``."""
    return T.concatenate(list(tensors), axis)


def horizontal_stack(*args: Any) -> Variable:
    """Matrices side by side (``np.hstack`` of matrices)."""
    return T.concatenate(list(args), axis=1)


def vertical_stack(*args: Any) -> Variable:
    """Matrices one above the other (``np.vstack`` of matrices)."""
    return T.concatenate(list(args), axis=0)


def stacklists(arg: Any) -> Variable:
    """A tensor from nested lists of scalars or tensors: ``stacklists([[a, b], [c, d]])``."""
    if isinstance(arg, (list, tuple)):
        return T.stack([stacklists(item) for item in arg])
    return as_tensor_variable(arg)


def split(x: Any, splits_size: Any, n_splits: int, axis: int = 0) -> list[Variable]:
    """``x`` cut along ``axis`` into ``n_splits`` pieces of the sizes ``splits_size`` gives."""
    x, sizes = as_tensor_variable(x), as_tensor_variable(splits_size)
    pieces, start = [], 0
    before = (slice(None),) * (axis % x.ndim)
    for k in range(n_splits):
        stop = start + sizes[k]
        pieces.append(x[(*before, slice(start, stop))])
        start = stop
    return pieces


class _Grid:
    """``mgrid[0:3, 0:4]`` (dense) or ``ogrid[...]`` (open): index grids, as NumPy's."""

    def __init__(self, dense: bool) -> None:
        self.dense = dense

    def __getitem__(self, index: Any) -> list[Variable]:
        slices = index if isinstance(index, tuple) else (index,)
        ranges = [T.arange(s.start or 0, s.stop, s.step or 1) for s in slices]
        n = len(ranges)
        grids = [
            T.dimshuffle(r, ["x"] * k + [0] + ["x"] * (n - k - 1)) for k, r in enumerate(ranges)
        ]
        if self.dense:
            shape = [r.shape[0] for r in ranges]
            grids = [T.alloc(g, *shape) for g in grids]
        return grids


mgrid = _Grid(dense=True)
ogrid = _Grid(dense=False)
