"""Shared variables: root variables whose value lives in a storage cell that persists across calls.

Every compiled function that uses a shared variable reads its cell at the start
of a call and, when it updates it, writes the cell after everything else is
computed (possibly into the stored array itself, so stored arrays are kept
writeable). ``get_value``/``set_value`` copy unless ``borrow=True``, so a
user's array and a cell never alias by accident. A cell may also hold a dask
array (a dataset for ``mode="DASK"``): it is never copied, as dask arrays never
change.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from symgraph.backends import is_dask_array
from symgraph.config import config
from symgraph.graph.basic import Type, Variable
from symgraph.graph.traversal import graph_inputs, rebuild
from symgraph.tensor.random.type import random_generator_type
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import _TensorOperators


class Storage:
    """The cell holding a shared variable's current value; generated code reads ``.value``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class SharedVariable(Variable):
    """A root variable with a persistent value, read by every function that uses it.

    Parameters
    ----------
    type : Type
        What the value may hold; values are checked and converted with ``type.filter``.
    value : object
        The initial value (already of ``type``).
    name : str, optional
    strict : bool
        When True, ``set_value`` accepts only values that need no conversion.
    storage : Storage, optional
        An existing cell to share (``clone`` uses it); a new one by default.

    Attributes
    ----------
    default_update : Variable or None
        Theano's default update: the new value every function that reads this
        variable stores back, unless it has an update of its own or was compiled
        with ``no_default_updates`` (a random stream's generator uses it).
    """

    __slots__ = ("storage", "strict", "allow_downcast", "default_update")

    def __init__(
        self,
        type: Type,
        value: Any,
        name: str | None = None,
        strict: bool = False,
        storage: Storage | None = None,
        allow_downcast: bool = False,
    ) -> None:
        super().__init__(type, name=name)
        self.storage = Storage(value) if storage is None else storage
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.default_update: Variable | None = None

    def get_value(self, borrow: bool = False) -> Any:
        """The current value: a copy, or the stored object itself when ``borrow``."""
        value = self.storage.value
        return value if borrow else _copy(value)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Store ``value`` (checked against the type; copied unless ``borrow``)."""
        what = f"set_value of shared variable {self!r}"
        if is_dask_array(value) and isinstance(self.type, TensorType):
            from symgraph.backends.dask import checked_input

            self.storage.value = checked_input(value, self.type, what, allow_downcast=False)
            return
        if self.strict:
            converted = _strict_filter(self.type, value, what)
        else:
            converted = filter_value(self.type, value, what, self.allow_downcast)
        keep = (borrow or converted is not value) and _writeable(converted)
        self.storage.value = converted if keep else _copy(converted)

    def clone(self) -> SharedVariable:
        """A new variable over the same storage cell, as Theano's ``SharedVariable.clone``."""
        return type(self)(
            self.type, None, self.name, self.strict, self.storage, self.allow_downcast
        )

    def __repr__(self) -> str:
        return self.name if self.name is not None else f"<shared {self.type}>"


class TensorSharedVariable(_TensorOperators, SharedVariable):
    """A shared n-d array, with the operators and methods of tensor variables."""

    __slots__ = ()


class RandomGeneratorSharedVariable(SharedVariable):
    """A shared NumPy ``Generator``: a random stream's state, advanced by the draws reading it."""

    __slots__ = ()


def shared(
    value: Any,
    name: str | None = None,
    borrow: bool = False,
    strict: bool = False,
    *,
    allow_downcast: bool | None = None,
    broadcastable: Sequence[bool] | None = None,
) -> SharedVariable:
    """A shared variable holding ``value``, as Theano's ``theano.shared``.

    Parameters
    ----------
    value : array_like, number or numpy.random.Generator
        An array, or a Python/NumPy scalar (a 0-d value), or a generator (the
        state of a random stream, see docs/random.md). Python floats take
        ``config.floatX``. Every static shape entry is None: later values may
        change shape, but not dtype or number of dimensions. A dask array is
        held as it is, for functions compiled with ``mode="DASK"``.
    name : str, optional
    borrow : bool
        Use ``value`` itself as storage instead of a copy (so in-place updates
        of the function are visible in the caller's array).
    strict : bool
        Reject later ``set_value`` calls whose value would need converting.
    allow_downcast : bool, optional
        Let ``set_value`` convert a value to a narrower dtype (float64 data into
        a float32 variable), as Theano's keyword does.
    broadcastable : sequence of bool, optional
        Theano's keyword: True marks an axis of size 1 that broadcasts in
        expressions (``b`` of shape (1, n) added to a matrix), which every
        later value must keep; its static shape entry is 1, the others None.

    Examples
    --------
    >>> import numpy as np
    >>> w = shared(np.zeros(3), name="w")
    >>> w.type, w.get_value()
    (TensorType(float64, vector), array([0., 0., 0.]))
    """
    if isinstance(value, Variable):
        raise TypeError(f"shared() takes a value, not the symbolic variable {value!r}")
    if is_dask_array(value):
        type_ = TensorType(str(value.dtype), (None,) * value.ndim)
        return TensorSharedVariable(type_, value, name=name, strict=strict)
    if isinstance(value, (np.random.Generator, np.random.RandomState)):
        value = random_generator_type.filter(value, what="shared()")
        return RandomGeneratorSharedVariable(
            random_generator_type, value if borrow else _copy(value), name=name, strict=strict
        )
    if not isinstance(value, (np.ndarray, np.generic, bool, int, float, complex, list, tuple)):
        raise TypeError(f"shared() cannot hold a {type(value).__name__}; give an array or number")
    dtype = None
    python_float = isinstance(value, float) and not isinstance(value, np.generic)
    if (python_float or isinstance(value, (list, tuple))) and np.asarray(value).dtype == "float64":
        dtype = config.floatX
    array = np.asarray(value, dtype=dtype) if borrow else np.array(value, dtype=dtype)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"shared() cannot hold an array of dtype {array.dtype}")
    if not _writeable(array):
        array = array.copy()
    shape = (None,) * array.ndim
    if broadcastable is not None:
        if len(broadcastable) != array.ndim:
            raise TypeError(
                f"shared(): broadcastable={tuple(broadcastable)} names {len(broadcastable)} "
                f"axes, the value has {array.ndim}"
            )
        shape = tuple(1 if b else None for b in broadcastable)
    type_ = TensorType(str(array.dtype), shape)
    type_.filter(array, what="shared()")  # a broadcastable axis must have size 1
    return TensorSharedVariable(type_, array, name, strict, allow_downcast=bool(allow_downcast))


def default_updates(
    targets: Sequence[Variable],
    updated: Iterable[SharedVariable],
    no_default_updates: bool | Iterable[SharedVariable] = False,
    replace: Mapping[Variable, Variable] | None = None,
) -> list[tuple[SharedVariable, Variable]]:
    """Theano's default updates: ``(v, v.default_update)`` for each shared variable ``v``
    the targets read that has one, is not in ``updated`` (it has its own update) and is
    not excluded by ``no_default_updates`` (True excludes all). The expressions added may
    read more shared variables, whose default updates are added in turn; ``replace``
    (a function's givens) is applied to each.
    """
    if no_default_updates is True:
        return []
    skip = set(updated) | set(no_default_updates or ())
    pairs: list[tuple[SharedVariable, Variable]] = []
    pending = list(targets)
    while pending:
        found = [
            v
            for v in graph_inputs(pending)
            if isinstance(v, SharedVariable) and v.default_update is not None and v not in skip
        ]
        skip.update(found)
        values = [v.default_update for v in found]
        pending = rebuild(values, replace) if replace else values
        pairs += zip(found, pending)
    return pairs


def filter_value(type_: Type, value: Any, what: str, allow_downcast: bool = False) -> Any:
    """``value`` checked and converted by ``type_``; errors name ``what`` (tensor types do)."""
    if isinstance(type_, TensorType):
        return type_.filter(value, allow_downcast, what)
    return type_.filter(value, allow_downcast)


def _strict_filter(type_: Type, value: Any, what: str) -> Any:
    """``value`` unchanged when it already has ``type_`` exactly; a TypeError otherwise."""
    if isinstance(type_, TensorType):
        if not isinstance(value, np.ndarray) or value.dtype != type_.dtype:
            got = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
            raise TypeError(
                f"{what}: strict shared variable needs a {type_.dtype} array, got {got}"
            )
        return type_.filter(value, what=what)
    converted = type_.filter(value)
    if converted is not value:
        raise TypeError(f"{what}: strict shared variable needs a value of type {type_} as is")
    return converted


def _writeable(value: Any) -> bool:
    """Stored arrays stay writeable: updates may be computed into them in place."""
    return not isinstance(value, np.ndarray) or value.flags.writeable


def _copy(value: Any) -> Any:
    if is_dask_array(value):
        return value
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)
