"""Declaring static shapes: ``specify_shape`` and Theano's ``addbroadcast`` family.

One op, ``SpecifyShape``, gives its input a new static shape: sizes it
declares are checked when the function runs, sizes it leaves as None are
forgotten. ``addbroadcast(x, 0)`` declares axis 0 of size 1 (so a gradient is
summed over it), ``unbroadcast`` forgets that, ``patternbroadcast`` sets a
whole pattern. The output is the input itself, not a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.tensor.type import TensorType, shape_str
from symgraph.tensor.variable import TensorOp, as_tensor_variable

__all__ = ["SpecifyShape", "addbroadcast", "patternbroadcast", "specify_shape", "unbroadcast"]


@dataclass(frozen=True)
class SpecifyShape(TensorOp):
    """``x`` with the static shape ``shape`` (ints checked at run time, None unknown)."""

    shape: tuple[int | None, ...]

    view_map = {0: (0,)}

    def infer_type(self, x: Variable) -> TensorType:
        if x.ndim != len(self.shape):
            raise TypeError(f"{self}: {x!r} has {x.ndim} dimensions, not {len(self.shape)}")
        for axis, (known, wanted) in enumerate(zip(x.type.shape, self.shape)):
            if known is not None and wanted is not None and known != wanted:
                raise TypeError(
                    f"{self}: axis {axis} of {x!r} has the static size {known}, not {wanted}"
                )
        return TensorType(x.dtype, self.shape)

    def impl(self, x: np.ndarray) -> np.ndarray:
        if any(w is not None and w != s for s, w in zip(x.shape, self.shape)):
            raise ValueError(f"{self}: the value has shape {x.shape}")
        return x

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x,) = outs, names
        checks = [f"{x}.shape[{i}] != {s}" for i, s in enumerate(self.shape) if s is not None]
        lines = [f"{out} = {x}"]
        if checks:
            label = str(self).replace("{", "{{").replace("}", "}}")
            message = f"{label}: the value has shape {{{x}.shape}}"
            lines.insert(0, f'if {" or ".join(checks)}: raise ValueError(f"{message}")')
        return lines

    def pullback(self, inputs, outputs, output_grads):
        """``g`` with ``x``'s static shape; summed over axes of size 1 the output forgot
        (NumPy may have broadcast them)."""
        (x,), (g,) = inputs, output_grads
        axes = tuple(i for i, (s, t) in enumerate(zip(x.type.shape, self.shape)) if s == 1 != t)
        if axes:
            g = T.sum(g, axis=axes, keepdims=True)
        return [specify_shape(g, x.type.shape)]

    def pushforward(self, inputs, outputs, tangents):
        (t,) = tangents
        return [None if t is None else specify_shape(t, self.shape)]

    def __str__(self) -> str:
        return f"specify_shape{{{shape_str(self.shape)}}}"


def specify_shape(x: Any, shape: Sequence[int | None]) -> Variable:
    """``x``, declared to have ``shape`` (checked when the function runs); None: any size."""
    x = as_tensor_variable(x)
    shape = tuple(None if s is None else int(s) for s in shape)
    if shape == x.type.shape:
        return x
    return SpecifyShape(shape)(x)


def _axes(x: Variable, axes: Sequence[int]) -> list[int]:
    for axis in axes:
        if not -x.ndim <= axis < x.ndim:
            raise IndexError(f"axis {axis} does not exist in the {x.ndim}-d {x!r}")
    return [axis % x.ndim for axis in axes]


def addbroadcast(x: Any, *axes: int) -> Variable:
    """``x`` with size 1 declared on ``axes`` (broadcastable), as Theano's ``addbroadcast``."""
    x = as_tensor_variable(x)
    shape = list(x.type.shape)
    for axis in _axes(x, axes):
        shape[axis] = 1
    return specify_shape(x, shape)


def unbroadcast(x: Any, *axes: int) -> Variable:
    """``x`` with the static size 1 of ``axes`` forgotten, as Theano's ``unbroadcast``."""
    x = as_tensor_variable(x)
    shape = list(x.type.shape)
    for axis in _axes(x, axes):
        if shape[axis] == 1:
            shape[axis] = None
    return specify_shape(x, shape)


def patternbroadcast(x: Any, broadcastable: Sequence[bool]) -> Variable:
    """``x`` with exactly the broadcastable axes ``broadcastable`` marks."""
    x = as_tensor_variable(x)
    if len(broadcastable) != x.ndim:
        raise TypeError(f"patternbroadcast: {len(broadcastable)} flags for the {x.ndim}-d {x!r}")
    shape = [
        1 if flag else (None if size == 1 else size)
        for flag, size in zip(broadcastable, x.type.shape)
    ]
    return specify_shape(x, shape)
