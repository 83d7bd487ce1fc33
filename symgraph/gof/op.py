"""Theano's ``Op``: ops written as Theano users write them, translated into symgraph's op facts.

A Theano op defines ``make_node`` (or ``itypes``/``otypes``), ``perform(node,
inputs, output_storage)``, and optionally ``grad`` (or ``L_op``), ``R_op``,
``infer_shape`` and ``__props__``. This class maps each onto the member every
stage of symgraph already reads, so no stage knows about Theano's protocol:

==========================================  =====================================
Theano                                      symgraph
==========================================  =====================================
``make_node`` / ``itypes``, ``otypes``      ``make_node`` (nodes keep the caller's line)
``perform(node, inputs, output_storage)``   ``impl(*arrays)``; generated code calls it
``grad(inputs, output_grads)``, ``L_op``    ``pullback(inputs, outputs, output_grads)``
``R_op(inputs, eval_points)``               ``pushforward(inputs, outputs, tangents)``
``infer_shape(node, input_shapes)``         the same (read by the ``shape(x)`` rewrite)
``__props__``                               equality, hash and ``str``
``view_map``, ``destroy_map``               ``view_map``; destroyed inputs are copied first
==========================================  =====================================
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from symgraph.gof.utils import MethodNotDefined
from symgraph.graph.basic import Apply, Type, Variable, building_at, user_where
from symgraph.graph.basic import Op as BaseOp
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import as_tensor_variable


class _TheanoOpClass(type):
    """Makes every op of symgraph an instance of ``gof.Op``, as every Theano op is one."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, BaseOp) if cls is Op else super().__instancecheck__(obj)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, BaseOp) if cls is Op else super().__subclasscheck__(sub)


class Op(BaseOp, metaclass=_TheanoOpClass):
    """Base class of ops written in Theano's protocol (``theano.Op``, ``theano.gof.Op``).

    Examples
    --------
    >>> import numpy as np
    >>> import symgraph as theano
    >>> class DoubleOp(theano.Op):
    ...     __props__ = ()
    ...     def make_node(self, x):
    ...         x = theano.tensor.as_tensor_variable(x)
    ...         return theano.Apply(self, [x], [x.type()])
    ...     def perform(self, node, inputs, output_storage):
    ...         output_storage[0][0] = inputs[0] * 2
    ...     def grad(self, inputs, output_grads):
    ...         return [output_grads[0] * 2]
    >>> x = theano.tensor.dvector("x")
    >>> theano.function([x], DoubleOp()(x))(np.array([1.0, 2.0]))
    array([2., 4.])
    """

    #: input and output types, for ops that do not write ``make_node``
    itypes: Sequence[Any] | None = None
    otypes: Sequence[Any] | None = None
    #: output index -> inputs ``perform`` overwrites (they receive copies here)
    destroy_map: dict[int, Sequence[int]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__props__" in cls.__dict__:
            _install_props(cls, cls.__dict__["__props__"])
        if "make_node" in cls.__dict__:
            cls.make_node = _at_callers_line(cls.__dict__["make_node"])

    def make_node(self, *inputs: Any) -> Apply:
        """The node of ``itypes`` inputs and ``otypes`` outputs (define ``make_node`` otherwise)."""
        if self.itypes is None or self.otypes is None:
            raise NotImplementedError(f"{self}: define make_node, or itypes and otypes")
        itypes, otypes = [as_type(t) for t in self.itypes], [as_type(t) for t in self.otypes]
        if len(inputs) != len(itypes):
            raise TypeError(f"{self} takes {len(itypes)} inputs, got {len(inputs)}")
        inputs = [
            as_tensor_variable(x) if isinstance(t, TensorType) else x
            for x, t in zip(inputs, itypes)
        ]
        for position, (x, t) in enumerate(zip(inputs, itypes)):
            if not fits(x.type, t):
                raise TypeError(f"{self}: input {position} ({x!r}) has type {x.type}, expected {t}")
        return Apply(self, inputs, otypes)

    def perform(
        self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]], params=None
    ) -> None:
        raise MethodNotDefined(f"{self} defines neither perform() nor impl()")

    def impl(self, *values: Any) -> Any:
        """``perform`` on a node of this op for inputs of the values' dtypes and ranks."""
        key = tuple([(v.dtype, v.ndim) if v.__class__ is np.ndarray else _kind(v) for v in values])
        nodes = self.__dict__.get("_perform_nodes")
        node = None if nodes is None else nodes.get(key)
        if node is None:
            node = self._node_for(key)
        inputs = list(values)
        for positions in self.destroy_map.values():
            for i in positions:
                inputs[i] = np.array(inputs[i])
        storage: list[list[Any]] = [[None] for _ in node.outputs]
        self.perform(node, inputs, storage)
        results = []
        for (value,), out in zip(storage, node.outputs):
            if value.__class__ is not np.ndarray:
                if value is None:
                    raise ValueError(f"{self}.perform did not store output {out.index}")
                dtype = getattr(out.type, "dtype", None)
                value = np.asarray(value, dtype) if dtype else value
            results.append(value)
        return results[0] if len(results) == 1 else tuple(results)

    def _node_for(self, key: tuple) -> Apply:
        """A node of this op for inputs of the (dtype, ndim) in ``key``, kept on the op."""
        if self.itypes is not None and self.otypes is not None:
            inputs = [as_type(t)() for t in self.itypes]
        else:
            inputs = [TensorType(str(dtype), (None,) * ndim)() for dtype, ndim in key]
        node = self.make_node(*inputs)
        self.__dict__.setdefault("_perform_nodes", {})[key] = node
        return node

    def __getstate__(self) -> dict:
        """The op's attributes, without the nodes ``impl`` made for itself."""
        state = dict(self.__dict__)
        state.pop("_perform_nodes", None)
        return state

    def L_op(self, inputs: list[Variable], outputs: list[Variable], output_grads: list[Variable]):
        return self.grad(inputs, output_grads)

    def grad(self, inputs: list[Variable], output_grads: list[Variable]) -> list[Variable]:
        raise NotImplementedError(f"{self} defines no grad()")

    def pullback(self, inputs, outputs, output_grads):
        return self.L_op(list(inputs), list(outputs), list(output_grads))

    def R_op(self, inputs: list[Variable], eval_points: list[Variable | None]) -> list:
        raise NotImplementedError(f"{self} defines no R_op()")

    @property
    def pushforward(self) -> Any:
        """``R_op`` when the op defines one; else None: ``Rop`` is built from two pullbacks."""
        if type(self).R_op is Op.R_op:
            return None
        return lambda inputs, outputs, tangents: self.R_op(list(inputs), list(tangents))

    def do_constant_folding(self, node: Apply) -> bool:
        return True


PureOp = Op


def _kind(value: Any) -> tuple[str, int]:
    """``(dtype, ndim)`` of a value that is not an array (a NumPy scalar, a Python number)."""
    return np.asarray(value).dtype, np.ndim(value)


def as_type(t: Any) -> Type:
    """A type from an ``itypes`` entry: a Type, or a constructor such as ``T.dmatrix``."""
    if isinstance(t, Type):
        return t
    if callable(t):
        made = t()
        if isinstance(made, Variable):
            return made.type
    raise TypeError(f"expected a type (e.g. T.dmatrix or T.TensorType(...)), got {t!r}")


def fits(given: Type, wanted: Type) -> bool:
    """True when a variable of type ``given`` may be an input declared ``wanted``."""
    if not (isinstance(given, TensorType) and isinstance(wanted, TensorType)):
        return given == wanted
    return (
        given.dtype == wanted.dtype
        and given.ndim == wanted.ndim
        and all(w is None or g == w for g, w in zip(given.shape, wanted.shape))
    )


def _install_props(cls: type, props: Any) -> None:
    """Theano's ``__props__``: equality, hash and ``str`` from the listed attributes."""
    if not isinstance(props, tuple) or not all(isinstance(p, str) for p in props):
        raise TypeError(f"{cls.__name__}.__props__ must be a tuple of attribute names")

    def values(op: Any) -> tuple:
        return tuple(getattr(op, p) for p in props)

    cls._props = values
    cls._props_dict = lambda op: dict(zip(props, values(op)))
    if "__eq__" not in cls.__dict__:
        cls.__eq__ = lambda op, other: type(op) is type(other) and values(op) == values(other)
    if "__hash__" not in cls.__dict__:
        cls.__hash__ = lambda op: hash((type(op), values(op)))
    if "__str__" not in cls.__dict__:
        cls.__str__ = lambda op: (
            f"{type(op).__name__}{{{', '.join(f'{p}={v!r}' for p, v in zip(props, values(op)))}}}"
            if props
            else type(op).__name__
        )


def _at_callers_line(make_node: Any) -> Any:
    """``make_node`` whose nodes remember the line that applied the op, not a line inside it."""

    @functools.wraps(make_node)
    def wrapper(self: Op, *inputs: Any, **kwargs: Any) -> Apply:
        with building_at(user_where()):
            return make_node(self, *inputs, **kwargs)

    return wrapper
