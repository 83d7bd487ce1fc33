"""``TensorType``: dtype and static shape, and the checks of runtime values against them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symgraph.graph.basic import Type

#: Theano's one-letter dtype prefixes (``dmatrix``, ``ivector``, ...)
PREFIX_DTYPES = {
    "b": "int8",
    "w": "int16",
    "i": "int32",
    "l": "int64",
    "f": "float32",
    "d": "float64",
    "c": "complex64",
    "z": "complex128",
}


#: Theano's names of the common static shapes, for printing types
KINDS = {(): "scalar", (None,): "vector", (None, None): "matrix", (1, None): "row", (None, 1): "col"}


@dataclass(frozen=True, init=False, repr=False)
class TensorType(Type):
    """An n-d array type. A shape entry is an int (known size) or None; 1 broadcasts.

    Theano's spelling ``TensorType(dtype, broadcastable)`` (also as the keyword
    ``broadcastable=``) is accepted: a bool becomes ``1`` for True and ``None``
    for False.
    """

    dtype: str
    shape: tuple[int | None, ...] = ()

    def __init__(
        self,
        dtype: Any,
        shape: Sequence[int | bool | None] = (),
        broadcastable: Sequence[bool] | None = None,
    ) -> None:
        if broadcastable is not None:
            if shape:
                raise TypeError("TensorType: give shape or broadcastable, not both")
            shape = tuple(bool(b) for b in broadcastable)
        object.__setattr__(self, "dtype", dtype_name(dtype))
        # the rewrite engine builds thousands of types, nearly all already normalized
        if shape.__class__ is not tuple or any(
            s is not None and s.__class__ is not int for s in shape
        ):
            shape = tuple(
                (1 if s else None)
                if isinstance(s, (bool, np.bool_))
                else (None if s is None else int(s))
                for s in shape
            )
        object.__setattr__(self, "shape", shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return tuple(s == 1 for s in self.shape)

    def filter(self, value: Any, allow_downcast: bool = False, what: str = "value") -> np.ndarray:
        """``value`` as an array of this type, or a TypeError/ValueError that names ``what``."""
        if isinstance(value, np.ndarray) and value.dtype == self.dtype:
            array = value
        else:
            array = np.asarray(value)
            if array.dtype != self.dtype:
                if not (allow_downcast or _safe_cast(value, array, self.dtype)):
                    raise TypeError(
                        f"{what}: cannot convert dtype {array.dtype} to {self.dtype} without loss "
                        f"(pass allow_input_downcast=True, or cast it first)"
                    )
                array = array.astype(self.dtype)
        if array.ndim != self.ndim:
            raise TypeError(
                f"{what}: expected {self.ndim} dimensions ({self}), got {array.ndim} "
                f"(shape {array.shape})"
            )
        for axis, (want, got) in enumerate(zip(self.shape, array.shape)):
            if want is not None and want != got:
                raise ValueError(
                    f"{what}: shape {array.shape} does not match the static shape "
                    f"{self.shape_str()} at axis {axis}"
                )
        return array

    def shape_str(self) -> str:
        return shape_str(self.shape)

    def copy_code(self, name: str) -> str:
        """Generated code for a copy of the array named ``name`` (before an op overwrites it)."""
        return f"{name}.copy()"

    def __repr__(self) -> str:
        """Theano's spelling: ``TensorType(float64, matrix)``, ``TensorType(float32, row)``."""
        kind = KINDS.get(self.shape) or (
            f"{self.ndim}D" if all(s is None for s in self.shape) else f"shape={self.shape_str()}"
        )
        return f"TensorType({self.dtype}, {kind})"

    def __str__(self) -> str:
        names = {0: "Scalar", 1: "Vector", 2: "Matrix"}
        if self.ndim in names and all(s is None for s in self.shape):
            return f"{names[self.ndim]}({self.dtype})"
        return f"Tensor({self.dtype}, shape={self.shape_str()})"


def dtype_name(dtype: Any) -> str:
    """The canonical name of a dtype (``'float64'`` for ``float``, ``'d'`` or ``np.float64``).

    Memoized: ``str(np.dtype(...))`` takes microseconds, and every type the
    optimizer builds asks for it.
    """
    try:
        return _hashable_dtype_name(dtype)
    except TypeError:  # an unhashable spelling, e.g. a list of fields
        return str(np.dtype(dtype))


@functools.cache
def _hashable_dtype_name(dtype: Any) -> str:
    return str(np.dtype(dtype))


def _safe_cast(value: Any, array: np.ndarray, dtype: str) -> bool:
    """True when ``value`` converts to ``dtype`` without losing information.

    As in Theano, an array converts only when its dtype does (an int64 array
    does not fit an int32 input, whatever its values); a Python float is
    accepted for any float type, and other integers for any type that holds
    their values exactly.
    """
    kind = np.dtype(dtype).kind
    if isinstance(value, np.ndarray):
        return np.can_cast(array.dtype, dtype, casting="safe")
    if np.can_cast(array.dtype, dtype, casting="safe") or (
        isinstance(value, float) and kind == "f"
    ):
        return True
    if array.dtype.kind in "biu" and kind in "biuf":
        return bool(np.array_equal(array.astype(dtype), array))
    return False


def broadcast_shapes(*shapes: Sequence[int | None], op: str = "op") -> tuple[int | None, ...]:
    """The static shape of broadcasting ``shapes`` as NumPy does; TypeError on a sure mismatch."""
    ndim = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    result: list[int | None] = []
    for axis in range(ndim):
        sizes = [s[axis] for s in padded]
        known = {s for s in sizes if s is not None and s != 1}
        if len(known) > 1:
            raise TypeError(
                f"{op}: shapes {' and '.join(shape_str(s) for s in shapes)} cannot be broadcast "
                f"(axis {axis - ndim}: sizes {sorted(known)})"
            )
        if known:
            result.append(known.pop())
        elif all(s == 1 for s in sizes):
            result.append(1)
        else:
            result.append(None)
    return tuple(result)


def shape_str(shape: Sequence[int | None]) -> str:
    """``(3, ?)`` for a static shape with an unknown second size."""
    inner = ", ".join("?" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
