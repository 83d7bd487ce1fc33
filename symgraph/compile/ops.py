"""``as_op``: a Python function over NumPy arrays as an op, as Theano's ``theano.compile.ops``.

The op's ``impl`` is the function itself, so generated code calls it in one
line (``t3 = numpy_dot.impl(x, y)``). It has no gradient; give ``infer_shape``
so that ``f(x).shape`` needs no call of the function.
"""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from symgraph.gof.op import Op, as_type

__all__ = ["FromFunctionOp", "as_op", "load_back"]


class FromFunctionOp(Op):
    """The op ``as_op`` makes of ``fn``: inputs of ``itypes``, outputs of ``otypes``.

    Ops are equal when they wrap the same function. Pickled, the op is found
    again by the function's module and name (where ``as_op`` put it).
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        itypes: Sequence[Any],
        otypes: Sequence[Any],
        infer_shape: Callable | None = None,
    ) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.itypes = [as_type(t) for t in itypes]
        self.otypes = [as_type(t) for t in otypes]
        if infer_shape is not None:
            self.infer_shape = infer_shape

    def impl(self, *arrays: Any) -> Any:
        results = self.fn(*arrays)
        if results.__class__ is np.ndarray and len(self.otypes) == 1:
            return results
        results = list(results) if isinstance(results, (list, tuple)) else [results]
        if len(results) != len(self.otypes):
            raise ValueError(
                f"{self} returned {len(results)} values for {len(self.otypes)} outputs"
            )
        results = [
            r if r.__class__ is np.ndarray else np.asarray(r, t.dtype)
            for r, t in zip(results, self.otypes)
        ]
        return results[0] if len(results) == 1 else tuple(results)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.fn == self.fn

    def __hash__(self) -> int:
        return hash((type(self), self.fn))

    def __str__(self) -> str:
        return f"FromFunctionOp{{{self.name}}}"

    def __reduce__(self) -> tuple:
        module, name = self.fn.__module__, self.fn.__qualname__
        try:
            found = load_back(module, name)
        except (ImportError, AttributeError):
            found = None
        if found is not self:
            raise pickle.PicklingError(
                f"cannot pickle {self}: {module}.{name} is not this op; decorate a module-level "
                f"function with @as_op, so that loading finds the op under its name"
            )
        return load_back, (module, name)


def load_back(module: str, name: str) -> Any:
    """The object ``name`` (dotted for nested ones) of ``module``: how as_op ops are unpickled."""
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


def as_op(
    itypes: Any, otypes: Any, infer_shape: Callable | None = None
) -> Callable[[Callable], FromFunctionOp]:
    """Decorator: the function becomes an op with inputs ``itypes`` and outputs ``otypes``.

    Parameters
    ----------
    itypes, otypes : type or list of types
        ``T.dmatrix``, ``T.TensorType('float64', (False, True))``, ...
    infer_shape : callable, optional
        ``infer_shape(node, input_shapes) -> output_shapes`` (lists of tuples).

    Examples
    --------
    >>> import numpy as np
    >>> import symgraph as theano
    >>> @as_op(itypes=[theano.tensor.dvector], otypes=[theano.tensor.dvector])
    ... def cumulative_max(v):
    ...     return np.maximum.accumulate(v)
    >>> x = theano.tensor.dvector("x")
    >>> theano.function([x], cumulative_max(x))(np.array([1.0, 3.0, 2.0]))
    array([1., 3., 3.])
    """
    itypes = list(itypes) if isinstance(itypes, (list, tuple)) else [itypes]
    otypes = list(otypes) if isinstance(otypes, (list, tuple)) else [otypes]
    if infer_shape is not None and not callable(infer_shape):
        raise TypeError("as_op: infer_shape must be a callable (node, input_shapes) -> shapes")

    def make_op(fn: Callable) -> FromFunctionOp:
        return FromFunctionOp(fn, itypes, otypes, infer_shape)

    return make_op
