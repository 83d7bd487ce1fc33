"""Reductions: one ``Reduce`` op for sum/prod/max/min/all/any, ``ArgReduce`` for argmax/argmin.

``mean``, ``var`` and ``std`` are graphs of these primitives, so rewrites and
gradients see sums and divisions, not opaque statistics.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.graph.syntax import RECEIVER
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable, constant

Axis = int | Sequence[int] | None


def normalize_axes(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes; None means all of them."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise TypeError(f"{op}: axis {a} is out of range for a {ndim}-d input")
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise TypeError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(result))


def reduced_shape(shape: Sequence, axes: Sequence[int], keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


@dataclass(frozen=True)
class Reduce(TensorOp):
    """``np.<kind>(x, axis, keepdims)`` for kind in sum, prod, max, min, all, any.

    The gradient of max and min is split evenly between tied elements (each of
    k maxima gets 1/k), so it is symmetric and sums to the output gradient.
    """

    kind: str
    axes: tuple[int, ...]
    keepdims: bool = False
    dtype: str | None = None

    form = RECEIVER

    def infer_type(self, x: Variable) -> TensorType:
        if self.kind in ("max", "min") and builtins.any(x.type.shape[a] == 0 for a in self.axes):
            raise TypeError(f"{self.kind}: zero-size axis has no {self.kind}imum")
        dtype = self.dtype or result_dtype(self.kind, x.dtype)
        return TensorType(dtype, reduced_shape(x.type.shape, self.axes, self.keepdims))

    def impl(self, x: np.ndarray) -> np.ndarray:
        kwargs = {"dtype": self.dtype} if self.dtype else {}
        return np.asarray(
            getattr(np, self.kind)(x, axis=self.axes, keepdims=self.keepdims, **kwargs)
        )

    shapes_from_shapes = True
    raises_on_values = False

    def code(self, x: str) -> str:
        return self._method_call(x, [])

    def code_into(self, names: Sequence[str], buffer: str) -> str:
        return self._method_call(names[0], [f"out={buffer}"])

    def _method_call(self, x: str, extra: list[str]) -> str:
        # the method form skips np.sum's dispatch layer: microseconds on small arrays
        args = [f"axis={self.axes[0]}" if len(self.axes) == 1 else f"axis={self.axes}"]
        if self.keepdims:
            args.append("keepdims=True")
        if self.dtype:
            args.append(f"dtype=np.{self.dtype}")
        return f"{x}.{self.kind}({', '.join(args + extra)})"

    def pullback(self, inputs, outputs, output_grads):
        """sum broadcasts g back; prod is exact at zeros; max/min share g among tied winners."""
        (x,), (out,), (g,) = inputs, outputs, output_grads
        if self.kind in ("all", "any"):
            return [None]
        g = self.with_reduced_axes(g)
        if self.kind == "sum":
            return [T.fill(x, g)]
        if self.kind == "prod":
            return [g * _prod_derivative(x, self.axes)]
        winners = T.eq(x, self.with_reduced_axes(out))
        return [g * winners / sum(winners, self.axes, keepdims=True, dtype=g.dtype)]

    def with_reduced_axes(self, v: Variable) -> Variable:
        """``v`` (output-shaped) with the reduced axes back as size 1, to broadcast against x."""
        if self.keepdims:
            return v
        kept = iter(range(v.ndim))
        ndim = v.ndim + len(self.axes)
        return T.dimshuffle(v, ["x" if a in self.axes else next(kept) for a in range(ndim)])

    def pretty(self, x: str) -> str:
        axis = self.axes[0] if len(self.axes) == 1 else self.axes
        keep = ", keepdims=True" if self.keepdims else ""
        return f"{self.kind}({x}, axis={axis}{keep})"

    def __str__(self) -> str:
        return f"{self.kind}{{axes={self.axes}{', keepdims' if self.keepdims else ''}}}"

    def sympy_form(self, node, args, bound):
        """A ``Sum`` or ``Product`` over bound indices; a short or explicit operand, or a max or
        min, written out term by term."""
        import itertools

        import sympy

        from symgraph.tensor.sympy_elements import ONE, ZERO, Elements

        (x,) = args
        kept = [a for a in range(len(x.sizes)) if a not in self.axes]
        reduced = [x.sizes[a] for a in self.axes]
        bounded = {"sum": sympy.Sum, "prod": sympy.Product}
        expanders = {"sum": sympy.Add, "prod": sympy.Mul, "max": sympy.Max, "min": sympy.Min}
        expand = x.explicit or self.kind not in bounded
        if expand and not builtins.all(s.is_Integer for s in reduced):
            raise NotImplementedError("over an axis of unknown size has no SymPy form")

        def at(index):
            outer = [index[a] for a in kept] if self.keepdims else list(index)

            def full(inner):
                slots = dict(zip(kept, outer)) | dict(zip(self.axes, inner))
                return tuple(slots[a] for a in range(len(x.sizes)))

            if expand:
                ranges = itertools.product(*(range(int(s)) for s in reduced))
                terms = [x.at(full(tuple(map(sympy.Integer, r)))) for r in ranges]
                return expanders[self.kind](*terms)
            limits = []
            for size in reduced:
                limits.append((bound(tuple(outer), tuple(b[0] for b in limits)), ZERO, size - 1))
            return bounded[self.kind](x.at(full(tuple(b[0] for b in limits))), *limits)

        if self.keepdims:
            sizes = tuple(ONE if a in self.axes else s for a, s in enumerate(x.sizes))
        else:
            sizes = tuple(x.sizes[a] for a in kept)
        return Elements(sizes, at, x.explicit)


def _prod_derivative(x: Variable, axes: tuple[int, ...]) -> Variable:
    """d prod / d x: the product of the other elements, exact where x holds zeros.

    With no zero along the reduced axes it is prod / x; with exactly one zero,
    only that element's derivative is nonzero (the product of the rest); with
    more zeros every derivative is 0. No division by zero happens.
    """
    zero = T.eq(x, 0)
    others = prod(T.switch(zero, 1, x), axes, keepdims=True)
    zeros = sum(zero, axes, keepdims=True)
    return others * T.switch(T.eq(zeros, 0), 1 / T.switch(zero, 1, x), T.eq(zeros, 1) & zero)


@dataclass(frozen=True)
class ArgReduce(TensorOp):
    """``np.argmax`` / ``np.argmin`` along one axis (None: over the flattened input)."""

    kind: str
    axis: int | None
    keepdims: bool = False

    form = RECEIVER

    def infer_type(self, x: Variable) -> TensorType:
        if self.axis is None:
            shape = (1,) * x.ndim if self.keepdims else ()
        else:
            shape = reduced_shape(x.type.shape, (self.axis,), self.keepdims)
        return TensorType("int64", shape)

    def impl(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(getattr(np, self.kind)(x, axis=self.axis, keepdims=self.keepdims))

    def code(self, x: str) -> str:
        keep = ", keepdims=True" if self.keepdims else ""
        return f"{x}.{self.kind}(axis={self.axis}{keep})"

    def pullback(self, inputs, outputs, output_grads):
        return [None]

    def __str__(self) -> str:
        return f"{self.kind}{{axis={self.axis}}}"


@dataclass(frozen=True)
class SumOverRows(TensorOp):
    """``x.sum(axis=0)`` of a float matrix as BLAS computes it, a product with ones:
    ``np.dot(ones_for_rows(x), x)`` (the ``blas_sums`` rewrite; a bias's gradient).

    Measured (``benchmarks/blas_sums.py``), time over NumPy's ``x.sum(axis=0)``:
    0.5x at 32x64, 0.6x at 1000x1000, 0.1-0.2x at 100000x10; as accurate or more,
    since NumPy also adds the rows one after another along this axis (except for a
    single column, which NumPy sums pairwise: 3e-15 against 1e-16 over 400 rows).
    """

    shapes_from_shapes = True
    raises_on_values = False

    def infer_type(self, x: Variable) -> TensorType:
        if x.ndim != 2 or x.dtype not in ("float32", "float64"):
            raise TypeError(f"SumOverRows: needs a float32 or float64 matrix, got {x.type}")
        return TensorType(x.dtype, x.type.shape[1:])

    def impl(self, x: np.ndarray) -> np.ndarray:
        return np.dot(ones_for_rows(x), x)

    def code(self, x: str) -> str:
        return f"np.dot(ones_for_rows({x}), {x})"

    def code_into(self, names: Sequence[str], buffer: str) -> str:
        return f"np.dot(ones_for_rows({names[0]}), {names[0]}, out={buffer})"

    def pullback(self, inputs, outputs, output_grads):
        return Reduce("sum", (0,)).pullback(inputs, outputs, output_grads)

    def sympy_form(self, node, args, bound):
        return Reduce("sum", (0,)).sympy_form(node, args, bound)

    def pretty(self, x: str) -> str:
        return f"sum({x}, axis=0)"


_ONES: dict[tuple[int, np.dtype], np.ndarray] = {}


def ones_for_rows(x: np.ndarray) -> np.ndarray:
    """A read-only vector of ones, one per row of ``x``, kept by length and dtype (the
    lengths of a program's minibatches repeat)."""
    key = (x.shape[0], x.dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) >= 64:
            _ONES.clear()
        ones = _ONES[key] = np.ones(key[0], key[1])
        ones.flags.writeable = False
    return ones


def result_dtype(kind: str, dtype: str) -> str:
    """The dtype of ``np.<kind>`` over ``dtype``: sums of small integers and booleans count in
    int64, as NumPy's do."""
    return str(getattr(np, kind)(np.ones((1,), dtype)).dtype)


def _reduce(kind: str, x: Any, axis: Axis, keepdims: bool, dtype: str | None = None) -> Variable:
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim, kind)
    if not axes:  # nothing to reduce (a 0-d x): only the dtype changes, as in NumPy
        return T.cast(x, dtype or result_dtype(kind, x.dtype))
    return Reduce(kind, axes, keepdims, dtype)(x)


def sum(x: Any, axis: Axis = None, keepdims: bool = False, dtype: str | None = None) -> Variable:
    """Sum over ``axis`` (all axes by default), as ``np.sum``."""
    return _reduce("sum", x, axis, keepdims, dtype)


def prod(x: Any, axis: Axis = None, keepdims: bool = False, dtype: str | None = None) -> Variable:
    """Product over ``axis``, as ``np.prod``."""
    return _reduce("prod", x, axis, keepdims, dtype)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Maximum over ``axis``, as ``np.max``."""
    return _reduce("max", x, axis, keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Minimum over ``axis``, as ``np.min``."""
    return _reduce("min", x, axis, keepdims)


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """True where every element along ``axis`` is nonzero, as ``np.all``."""
    return _reduce("all", x, axis, keepdims)


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """True where some element along ``axis`` is nonzero, as ``np.any``."""
    return _reduce("any", x, axis, keepdims)


def _arg(kind: str, x: Any, axis: Axis, keepdims: bool) -> Variable:
    x = as_tensor_variable(x)
    if axis is None or x.ndim == 0:
        return ArgReduce(kind, None, keepdims)(x)
    axes = normalize_axes(axis, x.ndim, kind)
    if len(axes) == 1:
        return ArgReduce(kind, axes[0], keepdims)(x)
    # several axes: move them last, merge them into one, reduce that one
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = T.dimshuffle(x, kept + list(axes))
    merged = T.reshape(moved, [x.shape[a] for a in kept] + [-1], ndim=len(kept) + 1)
    result = ArgReduce(kind, len(kept), False)(merged)
    if keepdims:
        result = T.reshape(
            result, [1 if a in axes else x.shape[a] for a in range(x.ndim)], ndim=x.ndim
        )
    return result


def argmax(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Index of the maximum along ``axis`` (flattened when None), as ``np.argmax``."""
    return _arg("argmax", x, axis, keepdims)


def argmin(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Index of the minimum along ``axis`` (flattened when None), as ``np.argmin``."""
    return _arg("argmin", x, axis, keepdims)


def count(x: Variable, axes: tuple[int, ...], dtype: str) -> Variable:
    """The number of elements reduced over ``axes``: a constant when the shape is static."""
    sizes = [x.type.shape[a] for a in axes]
    if builtins.all(s is not None for s in sizes):
        return constant(int(np.prod(sizes, dtype=np.int64)), dtype=dtype)
    return T.cast(prod(T.stack([x.shape[a] for a in axes])) if axes else constant(1), dtype)


def _float_dtype(x: Variable, dtype: str | None) -> str:
    if dtype is not None:
        return dtype
    return x.dtype if x.dtype[0] in "fc" else "float64"


def mean(x: Any, axis: Axis = None, keepdims: bool = False, dtype: str | None = None) -> Variable:
    """Arithmetic mean over ``axis``: ``sum / count``, as ``np.mean``."""
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim, "mean")
    dtype = _float_dtype(x, dtype)
    return T.true_div(sum(T.cast(x, dtype), axes, keepdims), count(x, axes, dtype))


def var(x: Any, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Variable:
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom, as ``np.var``."""
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim, "var")
    dtype = _float_dtype(x, None)
    centered = T.cast(x, dtype) - mean(x, axes, keepdims=True)
    squares = sum(T.square(centered), axes, keepdims)
    return T.true_div(squares, count(x, axes, dtype) - ddof)


def std(x: Any, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Variable:
    """Standard deviation over ``axis``, as ``np.std``."""
    return T.sqrt(var(x, axis, keepdims, ddof))
