"""``specify_shape(x, shape)``: a shape promised when the graph is built, checked when it runs.

The result is ``x`` itself, with the promised sizes in its static type, so
every op after it knows them (a convolution's filters held in a shared
variable, say). The generated code refuses an array of another shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symgraph.graph.basic import Constant, Variable
from symgraph.tensor.type import TensorType, shape_str
from symgraph.tensor.variable import TensorOp, as_tensor_variable

__all__ = ["SpecifyShape", "specify_shape"]


@dataclass(frozen=True)
class SpecifyShape(TensorOp):
    """``x`` whose shape must be ``shape`` (None: any size along that axis)."""

    shape: tuple[int | None, ...]
    view_map = {0: (0,)}

    def infer_type(self, x: Variable) -> TensorType:
        if x.ndim != len(self.shape):
            raise TypeError(
                f"specify_shape: {x!r} has {x.ndim} dimensions, the shape {len(self.shape)}"
            )
        for given, static in zip(self.shape, x.type.shape):
            if None not in (given, static) and given != static:
                raise TypeError(
                    f"specify_shape: {x!r} has static shape {shape_str(x.type.shape)}, "
                    f"not {shape_str(self.shape)}"
                )
        return TensorType(
            x.dtype, tuple(s if g is None else g for g, s in zip(self.shape, x.type.shape))
        )

    def _differs(self, x: str) -> str:
        if None not in self.shape:
            return f"{x}.shape != {self.shape}"
        return " or ".join(
            f"{x}.shape[{i}] != {s}" for i, s in enumerate(self.shape) if s is not None
        )

    def impl(self, x: np.ndarray) -> np.ndarray:
        if any(g is not None and g != s for g, s in zip(self.shape, x.shape)):
            raise ValueError(f"shape {x.shape} is not the specified {shape_str(self.shape)}")
        return x

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x,) = outs, names
        message = f'f"shape {{{x}.shape}} is not the specified {shape_str(self.shape)}"'
        return [f"if {self._differs(x)}: raise ValueError({message})", f"{out} = {x}"]

    def pullback(self, inputs, outputs, output_grads):
        return list(output_grads)

    def pushforward(self, inputs, outputs, tangents):
        return list(tangents)

    def __str__(self) -> str:
        return f"SpecifyShape{shape_str(self.shape)}"

    def pretty(self, x: str) -> str:
        return f"specify_shape({x}, {shape_str(self.shape)})"


def specify_shape(x: Any, shape: Sequence[Any]) -> Variable:
    """``x``, promised to have ``shape`` (ints, or None for a size left open), checked at run time.

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> w = T.specify_shape(T.dmatrix("w"), (3, None))
    >>> print(w.type)
    Tensor(float64, shape=(3, ?))
    """
    x = as_tensor_variable(x)
    sizes = []
    for s in shape:
        if isinstance(s, Constant):
            s = s.value
        if s is not None and not (np.ndim(s) == 0 and np.asarray(s).dtype.kind in "iu"):
            raise TypeError(f"specify_shape: the sizes must be ints or None, got {shape!r}")
        sizes.append(None if s is None else int(s))
    return SpecifyShape(tuple(sizes))(x)
