"""Sorting: ``sort`` and ``argsort`` along an axis known at build time (Theano's ``tensor.sort``)."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Constant, Variable
from symgraph.tensor.shape import dim_size
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable

__all__ = ["ArgSort", "Sort", "argsort", "sort"]

KINDS = ("quicksort", "mergesort", "heapsort", "stable")


class _Sorting:
    """``np.<function>(x, axis, kind)``: the members Sort and ArgSort share."""

    axis: int
    kind: str
    function: ClassVar[str]

    def infer_type(self, x: Variable) -> TensorType:
        if not 0 <= self.axis < x.ndim:
            raise TypeError(f"{self.function}: axis {self.axis} is out of range for {x.type}")
        if self.kind not in KINDS:
            raise TypeError(f"{self.function}: kind must be one of {KINDS}, not {self.kind!r}")
        return x.type

    def impl(self, x: np.ndarray) -> np.ndarray:
        return getattr(np, self.function)(x, axis=self.axis, kind=self.kind)

    def code(self, x: str) -> str:
        kind = "" if self.kind == "quicksort" else f", kind={self.kind!r}"
        return f"np.{self.function}({x}, axis={self.axis}{kind})"

    def pretty(self, x: str) -> str:
        return f"{self.function}({x}, axis={self.axis})"

    def __str__(self) -> str:
        return f"{type(self).__name__}{{{self.axis}, {self.kind}}}"


@dataclass(frozen=True)
class Sort(_Sorting, TensorOp):
    """``np.sort(x, axis, kind)``: a sorted copy."""

    axis: int
    kind: str = "quicksort"
    function = "sort"

    def pullback(self, inputs, outputs, output_grads):
        """Each element receives the gradient of the place it was sorted to."""
        (x,), (g,) = inputs, output_grads
        order = ArgSort(self.axis, self.kind)(x)
        return [T.set_subtensor(T.zeros_like(x)[along_axis(order, self.axis)], g)]


@dataclass(frozen=True)
class ArgSort(_Sorting, TensorOp):
    """``np.argsort(x, axis, kind)``: int64 indices that sort ``x``."""

    axis: int
    kind: str = "quicksort"
    function = "argsort"

    def infer_type(self, x: Variable) -> TensorType:
        return TensorType("int64", super().infer_type(x).shape)

    def pullback(self, inputs, outputs, output_grads):
        return [None]


def along_axis(indices: Variable, axis: int) -> tuple[Variable, ...]:
    """The index that picks ``indices`` along ``axis`` in every lane (``np.take_along_axis``).

    Each other axis gets an ``arange`` shaped to broadcast against ``indices``.
    """
    index = []
    for d in range(indices.ndim):
        if d == axis:
            index.append(indices)
        else:
            pattern = ["x"] * indices.ndim
            pattern[d] = 0
            index.append(T.arange(dim_size(indices, d)).dimshuffle(pattern))
    return tuple(index)


def static_axis(axis: Any, op: str) -> int | None:
    """An axis given as an int, None, or a constant variable, as an int or None."""
    if isinstance(axis, Constant):
        axis = axis.value
    if axis is None:
        return None
    try:
        return operator.index(axis)
    except TypeError:
        raise TypeError(
            f"{op}: the axis must be an int or None known at build time, got {axis!r}"
        ) from None


def _prepare(op: str, a: Any, axis: Any, order: Any) -> tuple[Variable, int]:
    if order is not None:
        raise TypeError(f"{op}: order= applies to structured arrays, which symgraph does not have")
    a, axis = as_tensor_variable(a), static_axis(axis, op)
    if axis is None:
        return T.flatten(a), 0
    if not -a.ndim <= axis < a.ndim:
        raise TypeError(f"{op}: axis {axis} is out of range for {a!r} of type {a.type}")
    return a, axis % a.ndim


def sort(a: Any, axis: Any = -1, kind: str = "quicksort", order: Any = None) -> Variable:
    """A sorted copy of ``a`` along ``axis`` (flattened when None), as ``np.sort``."""
    a, axis = _prepare("sort", a, axis, order)
    return Sort(axis, kind)(a)


def argsort(a: Any, axis: Any = -1, kind: str = "quicksort", order: Any = None) -> Variable:
    """The int64 indices that sort ``a`` along ``axis`` (flattened when None), as ``np.argsort``."""
    a, axis = _prepare("argsort", a, axis, order)
    return ArgSort(axis, kind)(a)
