"""The IR: variables, apply nodes and ops.

A graph is a DAG of immutable ``Apply`` nodes. Each ``Variable`` is either a
root (an input, a ``Constant``, a shared variable) or the ``index``-th output of
its ``owner``. Rewrites never mutate a node; they build new ones.
"""

from __future__ import annotations

import contextlib
import copyreg
import functools
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from symgraph.graph.syntax import CALL, Form

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
_where_override: list[str] = []


def user_where() -> str:
    """``file:line`` of the innermost frame outside symgraph: where the user built a node."""
    if _where_override:
        return _where_override[-1]
    frame = sys._getframe(1)
    while frame is not None and _inside_symgraph(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


@functools.cache
def _inside_symgraph(filename: str) -> bool:
    """True for symgraph's own files, however the path to them is spelled."""
    return os.path.realpath(filename).startswith(_PACKAGE_DIR + os.sep)


@contextlib.contextmanager
def building_at(where: str) -> Iterator[None]:
    """Attribute every node built inside to ``where`` (rewrites keep the user's line)."""
    _where_override.append(where)
    try:
        yield
    finally:
        _where_override.pop()


class Type:
    """What a variable may hold; subclasses check and convert runtime values."""

    #: class of the variables of this type (tensor types give operator-rich variables)
    variable_class: ClassVar[type] = None  # set below, once Variable exists

    def filter(self, value: Any, allow_downcast: bool = False) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define filter()")

    def __call__(self, name: str | None = None) -> Variable:
        """A new root variable of this type, as ``TensorType('float64', (None,))('x')``."""
        return self.variable_class(self, name=name)


class Variable:
    """A value in the graph; hashed and compared by identity, so users may name it freely."""

    __slots__ = ("type", "owner", "index", "name", "where", "__weakref__")

    def __init__(
        self,
        type: Type,
        owner: Apply | None = None,
        index: int | None = None,
        name: str | None = None,
    ) -> None:
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.where = owner.where if owner is not None else user_where()

    def clone(self) -> Variable:
        """A fresh root variable of the same class, type and name (no owner)."""
        return type(self)(self.type, name=self.name)

    def __reduce_ex__(self, protocol: int) -> tuple:
        """A root pickles its slots; a computed variable its graph, as a flat table."""
        if self.owner is not None:
            from symgraph.graph.serialize import flatten, restore_variable

            return restore_variable, flatten([self])
        state = {
            name: getattr(self, name)
            for cls in type(self).__mro__
            for name in getattr(cls, "__slots__", ())
            if name != "__weakref__" and hasattr(self, name)
        }
        return copyreg.__newobj__, (type(self),), state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            return f"{self.owner.op}.out" if len(self.owner.outputs) > 1 else f"{self.owner.op}.0"
        return f"<{self.type}>"


class Constant(Variable):
    """A root variable with a fixed value; the rewrite engine merges equal constants."""

    __slots__ = ("value",)

    def __init__(self, type: Type, value: Any, name: str | None = None) -> None:
        super().__init__(type, name=name)
        self.value = value

    def clone(self) -> Constant:
        return type(self)(self.type, self.value, name=self.name)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if isinstance(self.value, np.ndarray):
            self.value.setflags(write=False)  # as constant() made it

    def signature(self) -> tuple:
        """Key under which equal constants are merged."""
        value = np.asarray(self.value)
        return (self.type, value.shape, value.tobytes())

    def __repr__(self) -> str:
        if self.name is not None:
            return self.name
        value = np.asarray(self.value)
        return repr(value.item()) if value.ndim == 0 else f"Constant{{{value.tolist()}}}"


Type.variable_class = Variable


class Apply:
    """One application of an op: immutable, remembers the user's ``file:line``.

    Each entry of ``outputs`` is a Type (a new output variable is made for it)
    or, as Theano's ``Apply(op, [x], [x.type()])`` writes it, a fresh variable
    without an owner, which becomes that output.
    """

    __slots__ = ("op", "inputs", "outputs", "where")

    def __init__(
        self,
        op: Op,
        inputs: Sequence[Variable],
        outputs: Sequence[Type | Variable],
        where: str | None = None,
    ) -> None:
        self.op = op
        self.inputs = tuple(inputs)
        self.where = where if where is not None else user_where()
        self.outputs = tuple(
            t.variable_class(t, self, i) if isinstance(t, Type) else self._adopt(t, i)
            for i, t in enumerate(outputs)
        )

    def _adopt(self, var: Variable, index: int) -> Variable:
        """``var`` as output ``index``: allowed once, for a variable no node computes yet."""
        if not isinstance(var, Variable) or var.owner is not None or isinstance(var, Constant):
            raise TypeError(
                f"the outputs of {self.op}'s Apply must be types or new variables "
                f"(x.type()), got {var!r}"
            )
        if any(var is v for v in self.inputs) or hasattr(var, "storage"):
            raise TypeError(f"{var!r} is an input or a shared variable; it cannot be an output")
        var.owner, var.index, var.where = self, index, self.where
        return var

    def __reduce_ex__(self, protocol: int) -> tuple:
        from symgraph.graph.serialize import flatten, restore_node

        return restore_node, flatten(self.outputs)

    def rebuilt(self, inputs: Sequence[Variable]) -> Apply:
        """This node over ``inputs``, which stand for its own inputs with the same types
        (as a rewrite's replacements do): its outputs keep their types, so nothing is
        inferred again, and their names."""
        node = Apply(self.op, inputs, [v.type for v in self.outputs], self.where)
        for old, new in zip(self.outputs, node.outputs):
            new.name = old.name
        return node

    @property
    def out(self) -> Variable:
        """The single output of a one-output node."""
        (output,) = self.outputs
        return output

    def __repr__(self) -> str:
        return f"{self.op}({', '.join(map(repr, self.inputs))})"


class Op:
    """An operation, with all of its facts in one place.

    Subclasses are frozen dataclasses whose fields are the op's parameters, so
    equal parameters mean equal ops. The members, by pipeline stage:

    ``infer_type(*inputs)``
        output type (or a tuple of types for several outputs), from the input
        variables (their types, and constant values where static shapes need
        them); raise ``TypeError`` naming the op and the operands when ill-typed.
    ``impl(*arrays)``
        reference NumPy evaluation: ``.eval()``, constant folding, DEBUG_MODE, tests.
    ``code(*names)``
        the NumPy expression text for generated code, or None when the op
        needs statements (then it overrides ``emit``).
    ``emit(outs, names)``
        the generated lines computing the output names from the input names
        (by default from ``code``; without either, generated code calls ``impl``).
    ``pullback(inputs, outputs, output_grads)``
        one gradient variable per input, None where disconnected.
    ``pushforward(inputs, outputs, tangents)`` (optional)
        forward-mode tangents of the outputs; None means "build from pullbacks".
    ``form``, ``print_form``
        the shapes of ``code``'s and ``pretty``'s texts (``graph.syntax``): how
        tightly they bind and what their operands need; a call by default.
    ``pretty(*args)``
        how ``pprint`` shows the node, given the printed arguments.
    ``shapes_from_shapes``
        True when the outputs' shapes follow from the inputs' shapes alone, not
        from their values (``x @ w``, ``exp``; not ``reshape(x, n)``): a
        compiled function may then keep the outputs' arrays between calls.
    ``raises_on_values``
        False when the op raises only for input shapes it cannot take, never
        for particular values (short of a floating-point error NumPy is told
        to raise): a call repeating the shapes of a call that ran cannot fail
        in it, so a compiled function may update shared variables in place
        before it runs. True unless an op says otherwise.
    ``code_into(names, buffer)``
        the expression computing the single output into the array ``buffer``
        names (``np.matmul(a, b, out=buffer)``; NumPy allocates when it holds
        None), or None when the op cannot write into a given array.
    ``view_map``
        output index -> positions of the inputs whose memory that output may
        share (Theano's name); an output not listed is a new array.
    ``destroy_map``
        output index -> the input that output is, overwritten in place (Theano's
        name): a draw advances its generator. The memory plan copies the input
        first unless nothing reads it afterwards.
    ``sympy_form(node, args, bound)``, ``sympy_matrix(node, forms)``
        the node as SymPy mathematics (``tensor.sympy_elements``): its
        elements from its inputs', and, for linear algebra, its matrix
        expression; ``printing.to_sympy`` asks every node.
    ``inner_graphs``, ``with_inner_graphs(graphs)``
        the graphs an op runs inside it, by name (a scan's step, an ifelse's
        branches), and the same op around other graphs: the rewrite engine
        optimizes inner graphs through these, and the printers show them.
    """

    nout: ClassVar[int] = 1
    #: Theano's ``default_output``: calling the op returns only this output
    default_output: ClassVar[int | None] = None
    view_map: ClassVar[dict[int, tuple[int, ...]]] = {}
    destroy_map: ClassVar[dict[int, tuple[int, ...]]] = {}
    inner_graphs: ClassVar[Mapping[str, Any]] = {}  # name -> Graph (fgraph.py builds on this)
    form: ClassVar[Form] = CALL
    print_form: ClassVar[Form] = CALL
    shapes_from_shapes: ClassVar[bool] = False
    raises_on_values: ClassVar[bool] = True

    def make_node(self, *inputs: Any) -> Apply:
        inputs = self.prepare_inputs(inputs)
        try:
            out_types = self.infer_type(*inputs)
        except TypeError as err:
            raise TypeError(f"{err}\n  (node built at {user_where()})") from None
        if not isinstance(out_types, tuple):
            out_types = (out_types,)
        return Apply(self, inputs, out_types, None)

    def __call__(self, *inputs: Any, return_list: bool = False, **kwargs: Any) -> Any:
        """The output of the new node (a list of them for several), as Theano's ``Op.__call__``.

        ``return_list=True`` always gives a list; an op with ``default_output = k``
        returns only its k-th output.
        """
        node = self.make_node(*inputs, **kwargs)
        outputs = node.outputs
        if self.default_output is not None:
            outputs = (outputs[self.default_output],)
        if return_list:
            return list(outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def prepare_inputs(self, inputs: Sequence[Any]) -> list[Variable]:
        """Convert raw arguments (numbers, arrays) to variables; tensor ops override."""
        return list(inputs)

    def infer_type(self, *inputs: Variable) -> Type | tuple[Type, ...]:
        raise NotImplementedError(f"{self} does not define infer_type()")

    def impl(self, *arrays: Any) -> Any:
        raise NotImplementedError(f"{self} does not define impl()")

    def code(self, *names: str) -> str | None:
        return None

    def code_into(self, names: Sequence[str], buffer: str) -> str | None:
        return None

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str] | None:
        """The generated lines; None for an op without ``code``: the generator calls its ``impl``."""
        expr = self.code(*names)
        if expr is None:
            return None
        if len(outs) != 1:
            raise NotImplementedError(f"{self} has {len(outs)} outputs: it must define emit()")
        return [f"{outs[0]} = {expr}"]

    def pullback(
        self, inputs: Sequence[Variable], outputs: Sequence[Variable], output_grads: Sequence[Any]
    ) -> list[Variable | None]:
        raise NotImplementedError(f"the gradient of {self} is not implemented")

    pushforward = None

    def sympy_form(self, node: Apply, args: Sequence[Any], bound: Callable[..., Any]) -> Any:
        """The output's ``Elements`` from the inputs'; ``bound(index)`` gives a summation index."""
        raise NotImplementedError("has no SymPy form")

    def sympy_matrix(self, node: Apply, forms: Sequence[Any]) -> Any:
        """The output as a SymPy matrix expression of the inputs', or None: not linear algebra."""
        return None

    def with_inner_graphs(self, graphs: Mapping[str, Any]) -> Op:
        """This op holding ``graphs`` instead (same names, inputs and output types)."""
        raise NotImplementedError(f"{self} holds no inner graphs")

    def without_outputs(self, unused: set[int]) -> tuple[Op, list[int]] | None:
        """An op on the same inputs that leaves out outputs at ``unused`` positions, with
        the positions it keeps; None when it cannot leave any out (a loop computes an
        output nobody reads at every step otherwise)."""
        return None

    def pretty(self, *args: str) -> str:
        return f"{self}({', '.join(args)})"

    def __str__(self) -> str:
        return type(self).__name__
