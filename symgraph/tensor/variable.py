"""Tensor variables: Python operators and NumPy-like methods over the op library.

``==`` stays Python identity (variables are dict keys everywhere); use
``T.eq`` for the elementwise comparison, as in Theano.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.config import config
from symgraph.graph.basic import Constant, Op, Variable
from symgraph.tensor.evaluate import eval_variable
from symgraph.tensor.type import TensorType


class _TensorOperators:
    """Operators and methods shared by tensor variables, constants and shared variables."""

    __slots__ = ()
    type: TensorType
    #: NumPy defers to us: ``np.ones(3) * x`` is ``x.__rmul__``, a graph, not an object array
    __array_ufunc__ = None

    # -- facts ---------------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    @property
    def shape(self) -> TensorVariable:
        return T.shape(self)

    @property
    def size(self) -> TensorVariable:
        return T.prod(self.shape)

    @property
    def T(self) -> TensorVariable:
        return T.transpose(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "a symbolic variable has no truth value; use T.switch or ifelse for a symbolic "
            "condition, and `is None` to test for a missing variable"
        )

    def __iter__(self):
        raise TypeError("a symbolic variable cannot be iterated; index it (x[i]) instead")

    def __len__(self) -> int:
        raise TypeError("a symbolic variable has no len(); use x.shape[0]")

    # -- arithmetic ----------------------------------------------------------------------------
    def __add__(self, other: Any) -> TensorVariable:
        return T.add(self, other)

    def __radd__(self, other: Any) -> TensorVariable:
        return T.add(other, self)

    def __sub__(self, other: Any) -> TensorVariable:
        return T.sub(self, other)

    def __rsub__(self, other: Any) -> TensorVariable:
        return T.sub(other, self)

    def __mul__(self, other: Any) -> TensorVariable:
        return T.mul(self, other)

    def __rmul__(self, other: Any) -> TensorVariable:
        return T.mul(other, self)

    def __truediv__(self, other: Any) -> TensorVariable:
        return T.true_div(self, other)

    def __rtruediv__(self, other: Any) -> TensorVariable:
        return T.true_div(other, self)

    def __floordiv__(self, other: Any) -> TensorVariable:
        return T.int_div(self, other)

    def __rfloordiv__(self, other: Any) -> TensorVariable:
        return T.int_div(other, self)

    def __mod__(self, other: Any) -> TensorVariable:
        return T.mod(self, other)

    def __rmod__(self, other: Any) -> TensorVariable:
        return T.mod(other, self)

    def __pow__(self, other: Any) -> TensorVariable:
        return T.pow(self, other)

    def __rpow__(self, other: Any) -> TensorVariable:
        return T.pow(other, self)

    def __matmul__(self, other: Any) -> TensorVariable:
        return T.matmul(self, other)

    def __rmatmul__(self, other: Any) -> TensorVariable:
        return T.matmul(other, self)

    def __neg__(self) -> TensorVariable:
        return T.neg(self)

    def __pos__(self) -> TensorVariable:
        return self

    def __abs__(self) -> TensorVariable:
        return T.abs(self)

    # -- comparisons and logic -----------------------------------------------------------------
    def __lt__(self, other: Any) -> TensorVariable:
        return T.lt(self, other)

    def __le__(self, other: Any) -> TensorVariable:
        return T.le(self, other)

    def __gt__(self, other: Any) -> TensorVariable:
        return T.gt(self, other)

    def __ge__(self, other: Any) -> TensorVariable:
        return T.ge(self, other)

    def __and__(self, other: Any) -> TensorVariable:
        return T.and_(self, other)

    def __rand__(self, other: Any) -> TensorVariable:
        return T.and_(other, self)

    def __or__(self, other: Any) -> TensorVariable:
        return T.or_(self, other)

    def __ror__(self, other: Any) -> TensorVariable:
        return T.or_(other, self)

    def __xor__(self, other: Any) -> TensorVariable:
        return T.xor(self, other)

    def __rxor__(self, other: Any) -> TensorVariable:
        return T.xor(other, self)

    def __invert__(self) -> TensorVariable:
        return T.invert(self)

    # -- methods -------------------------------------------------------------------------------
    def sum(self, axis=None, keepdims: bool = False, dtype=None) -> TensorVariable:
        return T.sum(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def prod(self, axis=None, keepdims: bool = False, dtype=None) -> TensorVariable:
        return T.prod(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def mean(self, axis=None, keepdims: bool = False, dtype=None) -> TensorVariable:
        return T.mean(self, axis=axis, keepdims=keepdims, dtype=dtype)

    def max(self, axis=None, keepdims: bool = False) -> TensorVariable:
        return T.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims: bool = False) -> TensorVariable:
        return T.min(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims: bool = False, ddof: int = 0) -> TensorVariable:
        return T.var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis=None, keepdims: bool = False, ddof: int = 0) -> TensorVariable:
        return T.std(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def argmax(self, axis=None, keepdims: bool = False) -> TensorVariable:
        return T.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims: bool = False) -> TensorVariable:
        return T.argmin(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims: bool = False) -> TensorVariable:
        return T.all(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims: bool = False) -> TensorVariable:
        return T.any(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape, ndim: int | None = None) -> TensorVariable:
        if len(shape) == 1 and isinstance(shape[0], (list, tuple, Variable, np.ndarray)):
            shape = shape[0]
        return T.reshape(self, shape, ndim=ndim)

    def flatten(self, ndim: int = 1) -> TensorVariable:
        return T.flatten(self, ndim)

    def dimshuffle(self, *pattern) -> TensorVariable:
        return T.dimshuffle(self, *pattern)

    def transpose(self, *axes) -> TensorVariable:
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = axes[0]
        return T.transpose(self, axes or None)

    def astype(self, dtype) -> TensorVariable:
        return T.cast(self, dtype)

    def clip(self, lo, hi) -> TensorVariable:
        return T.clip(self, lo, hi)

    def dot(self, other) -> TensorVariable:
        return T.dot(self, other)

    def __getitem__(self, index) -> TensorVariable:
        return T.subtensor.getitem(self, index)

    def eval(self, inputs_to_values: dict | None = None) -> np.ndarray:
        """Evaluate this variable with ``{input: value}``, as Theano's ``Variable.eval``.

        Each op's reference ``impl`` computes its node (``tensor.evaluate``), on
        the graph as built: nothing is rewritten or compiled. A shared variable
        may be a key; an input without a value raises ``MissingInputError``.
        """
        return eval_variable(self, inputs_to_values or {})


class TensorVariable(_TensorOperators, Variable):
    """A symbolic n-d array."""

    __slots__ = ()


class TensorConstant(_TensorOperators, Constant):
    """A constant n-d array, shown by its value."""

    __slots__ = ()


TensorType.variable_class = TensorVariable


def constant(value: Any, name: str | None = None, dtype: str | None = None) -> TensorConstant:
    """A ``TensorConstant``. Python floats take ``config.floatX``; ints take int64."""
    if dtype is None:
        if isinstance(value, float):
            dtype = config.floatX
        elif isinstance(value, (list, tuple)):
            array = np.asarray(value)
            dtype = config.floatX if array.dtype == np.float64 else array.dtype
    array = np.array(value, dtype=dtype)
    if array.dtype.kind not in "biufc":
        raise TypeError(
            f"cannot make a tensor constant from {type(value).__name__} {value!r}: tensors "
            f"hold numbers and booleans, not values of dtype {array.dtype}"
        )
    array.setflags(write=False)
    shape = tuple(1 if s == 1 else s for s in array.shape)
    return TensorConstant(TensorType(str(array.dtype), shape), array, name=name)


def as_tensor_variable(x: Any, name: str | None = None, ndim: int | None = None) -> Variable:
    """``x`` as a tensor variable: variables pass through, values become constants."""
    if isinstance(x, Variable):
        if not isinstance(x.type, TensorType):
            raise TypeError(f"expected a tensor variable, got {x!r} of type {x.type}")
        result = x
    elif isinstance(
        x, (Sequence, np.ndarray, np.generic, int, float, complex, bool)
    ) and not isinstance(x, str):
        if isinstance(x, Sequence) and any(isinstance(e, Variable) for e in x):
            result = T.stack(list(x))
        else:
            result = constant(x, name=name)
    else:
        raise TypeError(f"cannot make a tensor variable from {type(x).__name__} {x!r}")
    if ndim is not None and result.ndim != ndim:
        raise TypeError(f"expected {ndim} dimensions, got {result.ndim} for {result!r}")
    return result


class TensorOp(Op):
    """An op over tensors: raw numbers and arrays given as inputs become constants."""

    #: True for ops that apply one scalar function per element (fusion groups them)
    elementwise = False

    def prepare_inputs(self, inputs: Sequence[Any]) -> list[Variable]:
        return [as_tensor_variable(x) for x in inputs]
