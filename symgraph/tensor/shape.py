"""Ops that read, move and join arrays: shape, dimshuffle, reshape, alloc, join, repeat, tile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.config import config
from symgraph.graph.basic import Constant, Variable
from symgraph.graph.syntax import CALL, RECEIVER, Form
from symgraph.tensor.elemwise import sum_to_shape, weak_scalars_as_constants
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable, constant


def static_int_entries(vector: Variable) -> tuple[int | None, ...]:
    """What is known at build time of an int vector used as a shape: ints or None.

    Understands constants, ``x.shape`` and stacks of scalars, which is how
    shapes are written in practice.
    """
    if isinstance(vector, Constant):
        return tuple(int(v) for v in np.asarray(vector.value).ravel())
    owner = vector.owner
    if owner is not None and isinstance(owner.op, Shape):
        return owner.inputs[0].type.shape
    if owner is not None and isinstance(owner.op, Join) and owner.op.new_axis and vector.ndim == 1:
        return tuple(static_scalar(v) for v in owner.inputs)
    length = vector.type.shape[0] if vector.ndim == 1 else None
    return (None,) * (length or 0)


def static_scalar(v: Variable) -> int | None:
    """The int value of ``v`` if known at build time (a constant or ``x.shape[i]`` with static size)."""
    if isinstance(v, Constant):
        return int(v.value)
    owner = v.owner
    if (
        owner is not None
        and isinstance(owner.op, T.subtensor.Subtensor)
        and owner.op.is_shape_entry()
    ):
        shape = owner.inputs[0]
        if shape.owner is not None and isinstance(shape.owner.op, Shape):
            return shape.owner.inputs[0].type.shape[owner.op.idx[0][1]]
    return None


def dim_size(x: Variable, axis: int) -> int | Variable:
    """The size of ``x`` along ``axis``: an int when it is static, else ``x.shape[axis]``."""
    size = x.type.shape[axis]
    return shape(x)[axis] if size is None else size


def as_shape_vector(shape: Any) -> Variable:
    """A shape given as ints, scalars or a vector, as one int64 vector variable."""
    if isinstance(shape, Variable):
        if shape.ndim == 0:
            return stack([T.cast(shape, "int64")])
        return T.cast(shape, "int64")
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if all(isinstance(s, (int, np.integer)) for s in shape):
        return constant(np.asarray(shape, dtype="int64").reshape(-1))
    return stack([T.cast(as_tensor_variable(s), "int64") for s in shape])


@dataclass(frozen=True)
class Shape(TensorOp):
    """``x.shape`` as an int64 vector."""

    print_form = RECEIVER
    shapes_from_shapes = True
    raises_on_values = False

    def infer_type(self, x: Variable) -> TensorType:
        return TensorType("int64", (x.ndim,))

    def impl(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x.shape, dtype=np.int64)

    def code(self, x: str) -> str:
        return f"np.array({x}.shape)"

    def pullback(self, inputs, outputs, output_grads):
        return [None]

    def pretty(self, x: str) -> str:
        return f"{x}.shape"

    def sympy_form(self, node, args, bound):
        """The sizes of the operand, as an explicit list."""
        import sympy

        from symgraph.tensor.sympy_elements import Elements, choose

        sizes = args[0].sizes
        return Elements((sympy.Integer(len(sizes)),), lambda index: choose(index[0], sizes), True)


@dataclass(frozen=True)
class ShapeEntry(TensorOp):
    """``x.shape[axis]`` as a ``dtype`` scalar: a mean's count costs one lookup, not an array."""

    axis: int
    dtype: str = "int64"

    shapes_from_shapes = True
    raises_on_values = False

    @property
    def print_form(self) -> Form:
        return RECEIVER if self.dtype == "int64" else CALL

    def infer_type(self, x: Variable) -> TensorType:
        if not 0 <= self.axis < x.ndim:
            raise TypeError(f"shape entry {self.axis} of the {x.ndim}-d {x!r} does not exist")
        return TensorType(self.dtype, ())

    def impl(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x.shape[self.axis], dtype=self.dtype)

    def code(self, x: str) -> str:
        # a NumPy scalar, not a Python int: it promotes as the declared dtype does
        return f"np.{self.dtype}({x}.shape[{self.axis}])"

    def pullback(self, inputs, outputs, output_grads):
        return [None]

    def pretty(self, x: str) -> str:
        entry = f"{x}.shape[{self.axis}]"
        return entry if self.dtype == "int64" else f"cast<{self.dtype}>({entry})"

    def __str__(self) -> str:
        return f"ShapeEntry{{{self.axis}, {self.dtype}}}"


@dataclass(frozen=True)
class DimShuffle(TensorOp):
    """Reorder axes, insert broadcastable axes ('x') and drop broadcastable ones.

    ``order`` lists, for each output axis, the input axis it takes or 'x'.
    """

    ndim_in: int
    order: tuple[int | str, ...]

    view_map = {0: (0,)}
    form = print_form = RECEIVER
    shapes_from_shapes = True
    raises_on_values = False

    def infer_type(self, x: Variable) -> TensorType:
        kept = [d for d in self.order if d != "x"]
        if (
            x.ndim != self.ndim_in
            or len(set(kept)) != len(kept)
            or any(not 0 <= d < x.ndim for d in kept)
        ):
            raise TypeError(f"dimshuffle{self.order}: invalid pattern for a {x.ndim}-d input {x!r}")
        for d in range(x.ndim):
            if d not in kept and x.type.shape[d] != 1:
                raise TypeError(
                    f"dimshuffle{self.order}: cannot drop axis {d} of {x!r} with static shape "
                    f"{x.type.shape_str()}; only axes of static size 1 can be dropped"
                )
        return TensorType(x.dtype, tuple(1 if d == "x" else x.type.shape[d] for d in self.order))

    @property
    def steps(self) -> tuple[list, list[int], list]:
        """Index dropping axes, then a transpose of the kept axes, then an index inserting 'x'."""
        kept = [d for d in self.order if d != "x"]
        drop = [slice(None) if d in kept else 0 for d in range(self.ndim_in)]
        perm = [sorted(kept).index(d) for d in kept]
        insert = [None if d == "x" else slice(None) for d in self.order]
        return drop, perm, insert

    def impl(self, x: np.ndarray) -> np.ndarray:
        drop, perm, insert = self.steps
        return x[tuple(drop)].transpose(perm)[tuple(insert)]

    def code(self, x: str) -> str:
        drop, perm, insert = self.steps
        expr = x
        if 0 in drop:
            expr += _index_text(drop)
        if perm != sorted(perm):
            expr += ".T" if perm == [1, 0] else f".transpose({tuple(perm)})"
        if None in insert:
            expr += _index_text(insert)
        return expr

    def pullback(self, inputs, outputs, output_grads):
        # the gradient has the output's broadcast pattern, so the inserted axes can be dropped
        order = self.order
        return [
            dimshuffle(
                output_grads[0],
                [order.index(d) if d in order else "x" for d in range(self.ndim_in)],
            )
        ]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0])]

    def pretty(self, x: str) -> str:
        if self.order == (1, 0):
            return f"{x}.T"
        return f"{x}.dimshuffle({', '.join(map(repr, self.order))})"

    def __str__(self) -> str:
        return f"DimShuffle{{{','.join(map(str, self.order))}}}"

    def sympy_form(self, node, args, bound):
        """A permutation of the index; a new axis reads position 0."""
        from symgraph.tensor.sympy_elements import ONE, ZERO, Elements

        (x,) = args

        def at(index):
            inner = [ZERO] * len(x.sizes)
            for position, d in enumerate(self.order):
                if d != "x":
                    inner[d] = index[position]
            return x.at(tuple(inner))

        return Elements(tuple(ONE if d == "x" else x.sizes[d] for d in self.order), at, x.explicit)

    def sympy_matrix(self, node, forms):
        """A transpose, or a vector kept as the column it already is."""
        from symgraph.tensor.sympy_elements import is_matrix

        if not is_matrix(forms[0]):
            return None
        if self.order in ((1, 0), ("x", 0)):
            return forms[0].T
        return forms[0] if self.order == (0, "x") else None


def _index_text(entries: Sequence) -> str:
    """``[:, None]``-style text for an index of slices, ints and None; trailing ``:`` dropped."""
    entries = list(entries)
    while entries and entries[-1] == slice(None):
        entries.pop()
    return "[" + ", ".join(":" if e == slice(None) else str(e) for e in entries) + "]"


def _static_reshape(in_shape: Sequence[int | None], entries: Sequence[int | None], op: str):
    """Static output shape of a reshape, resolving one -1 when the input size is known."""
    entries = list(entries)
    known_in = None if None in in_shape else int(np.prod(in_shape, dtype=np.int64))
    if entries.count(-1) > 1:
        raise TypeError(f"{op}: at most one -1 in a shape, got {tuple(entries)}")
    if -1 in entries:
        rest = [e for e in entries if e != -1]
        if known_in is not None and None not in rest:
            size = int(np.prod(rest, dtype=np.int64))
            if size == 0 or known_in % size:
                raise TypeError(f"{op}: cannot reshape size {known_in} into shape {tuple(entries)}")
            entries[entries.index(-1)] = known_in // size
        else:
            entries[entries.index(-1)] = None
    elif known_in is not None and None not in entries and int(np.prod(entries)) != known_in:
        raise TypeError(
            f"{op}: cannot reshape an input of shape {tuple(in_shape)} (size {known_in}) "
            f"into shape {tuple(entries)}"
        )
    return tuple(entries)


@dataclass(frozen=True)
class Reshape(TensorOp):
    """``np.reshape(x, shape)`` with ``shape`` an int64 vector of length ``ndim``."""

    ndim: int

    view_map = {0: (0,)}

    def infer_type(self, x: Variable, shape: Variable) -> TensorType:
        if shape.ndim != 1 or shape.dtype[0] not in "iu":
            raise TypeError(f"reshape: the shape must be an int vector, got {shape.type}")
        entries = static_int_entries(shape) or (None,) * self.ndim
        if len(entries) != self.ndim:
            raise TypeError(
                f"reshape: shape {entries} has {len(entries)} entries, ndim={self.ndim}"
            )
        return TensorType(x.dtype, _static_reshape(x.type.shape, entries, "reshape"))

    def impl(self, x: np.ndarray, shape: np.ndarray) -> np.ndarray:
        return np.reshape(x, tuple(shape))

    def code(self, x: str, shape: str) -> str:
        return f"np.reshape({x}, {shape})"

    def pullback(self, inputs, outputs, output_grads):
        (x, _), (g,) = inputs, output_grads
        return [reshape(g, shape(x), ndim=x.ndim), None]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], inputs[1])]

    def pretty(self, x: str, shape: str) -> str:
        return f"reshape({x}, {shape})"


@dataclass(frozen=True)
class Alloc(TensorOp):
    """An array of ``shape`` filled with ``value`` (broadcast): ``np.full``."""

    dtype: str

    def infer_type(self, value: Variable, shape: Variable) -> TensorType:
        """The shape's known entries; where one is unknown, the value's own size when that
        is not 1 (``np.full`` can broadcast the value to no other size)."""
        entries = static_int_entries(shape)
        if len(entries) < value.ndim:
            raise TypeError(f"alloc: value of {value.ndim} dims does not fit shape {entries}")
        lead = len(entries) - value.ndim
        entries = entries[:lead] + tuple(
            v if e is None and v not in (None, 1) else e
            for e, v in zip(entries[lead:], value.type.shape)
        )
        return TensorType(self.dtype, entries)

    def impl(self, value: np.ndarray, shape: np.ndarray) -> np.ndarray:
        return np.full(tuple(shape), value, dtype=self.dtype)

    def code(self, value: str, shape: str) -> str:
        return f"np.full({shape}, {value}, dtype=np.{self.dtype})"

    def pretty(self, value: str, shape: str) -> str:
        return f"alloc({value}, {shape})"

    def pullback(self, inputs, outputs, output_grads):
        return [sum_to_shape(output_grads[0], inputs[0]), None]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], inputs[1])]

    def sympy_form(self, node, args, bound):
        """The value, broadcast to the sizes the shape operand lists."""
        import sympy

        from symgraph.tensor.sympy_elements import Elements, align

        value, shape = args
        sizes = tuple(shape.at((sympy.Integer(a),)) for a in range(node.outputs[0].ndim))
        return Elements(sizes, lambda index: value.at(align(value.sizes, index)), value.explicit)


@dataclass(frozen=True)
class Join(TensorOp):
    """``np.concatenate`` (``new_axis=False``) or ``np.stack`` (``new_axis=True``) along ``axis``."""

    axis: int
    new_axis: bool = False

    shapes_from_shapes = True
    raises_on_values = False

    def infer_type(self, *xs: Variable) -> TensorType:
        name = "stack" if self.new_axis else "concatenate"
        if not xs:
            raise TypeError(f"{name}: needs at least one input")
        shapes = [x.type.shape for x in xs]
        if len({len(s) for s in shapes}) != 1:
            raise TypeError(f"{name}: inputs have different ndim: {[len(s) for s in shapes]}")
        ndim = len(shapes[0]) + self.new_axis
        if not 0 <= self.axis < ndim:
            raise TypeError(f"{name}: axis {self.axis} out of range for {ndim}-d output")
        out = []
        for axis, sizes in enumerate(zip(*shapes)):
            known = {s for s in sizes if s is not None}
            if axis == self.axis and not self.new_axis:
                out.append(None if None in sizes else int(np.sum(sizes)))
                continue
            if len(known) > 1:
                raise TypeError(f"{name}: input shapes {shapes} differ at axis {axis}")
            out.append(known.pop() if len(known) == 1 and None not in sizes else None)
        if self.new_axis:
            out.insert(self.axis, len(xs))
        return TensorType(str(np.result_type(*(x.dtype for x in xs))), tuple(out))

    def impl(self, *xs: np.ndarray) -> np.ndarray:
        return (np.stack if self.new_axis else np.concatenate)(xs, axis=self.axis)

    def code(self, *xs: str) -> str:
        fn = "np.stack" if self.new_axis else "np.concatenate"
        return f"{fn}([{', '.join(xs)}], axis={self.axis})"

    def pretty(self, *xs: str) -> str:
        return f"{'stack' if self.new_axis else 'concatenate'}([{', '.join(xs)}], axis={self.axis})"

    def pullback(self, inputs, outputs, output_grads):
        """Each input gets its own slice of the gradient."""
        g, before = output_grads[0], (slice(None),) * self.axis
        if self.new_axis:
            return [g[(*before, i)] for i in range(len(inputs))]
        grads, start = [], 0
        for x in inputs:
            size = dim_size(x, self.axis)
            stop = size if isinstance(start, int) and start == 0 else start + size
            grads.append(g[(*before, slice(start, stop))])
            start = stop
        return grads

    def pushforward(self, inputs, outputs, tangents):
        return [self(*(zeros_like(x) if t is None else t for x, t in zip(inputs, tangents)))]

    def sympy_form(self, node, args, bound):
        """A stack: the new axis chooses among the operands (a concatenate has no form)."""
        import sympy

        from symgraph.tensor.sympy_elements import Elements, align, broadcast, choose

        if not self.new_axis:
            raise NotImplementedError("(concatenate) has no SymPy form")
        axis = self.axis
        sizes = broadcast(args)
        sizes = sizes[:axis] + (sympy.Integer(len(args)),) + sizes[axis:]

        def at(index):
            rest = index[:axis] + index[axis + 1 :]
            return choose(index[axis], [a.at(align(a.sizes, rest)) for a in args])

        return Elements(sizes, at, True)


@dataclass(frozen=True)
class Repeat(TensorOp):
    """``np.repeat(x, repeats, axis)``; ``repeats`` an int scalar or vector."""

    axis: int

    def infer_type(self, x: Variable, repeats: Variable) -> TensorType:
        if repeats.dtype[0] not in "iu" or repeats.ndim > 1:
            raise TypeError(f"repeat: repeats must be an int scalar or vector, got {repeats.type}")
        shape = list(x.type.shape)
        count = np.asarray(repeats.value) if isinstance(repeats, Constant) else None
        if count is not None and shape[self.axis] is not None:
            shape[self.axis] = int(np.sum(np.broadcast_to(count, (shape[self.axis],))))
        else:
            shape[self.axis] = None
        return TensorType(x.dtype, tuple(shape))

    def impl(self, x: np.ndarray, repeats: np.ndarray) -> np.ndarray:
        return np.repeat(x, repeats, axis=self.axis)

    def code(self, x: str, repeats: str) -> str:
        return f"np.repeat({x}, {repeats}, axis={self.axis})"

    def pullback(self, inputs, outputs, output_grads):
        """Each element gets the sum of the gradients of its copies."""
        (x, repeats), (g,) = inputs, output_grads
        source = Repeat(0)(T.arange(dim_size(x, self.axis)), repeats)
        return [T.inc_subtensor(zeros_like(x)[(slice(None),) * self.axis + (source,)], g), None]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], inputs[1])]


@dataclass(frozen=True)
class Tile(TensorOp):
    """``np.tile(x, reps)`` with ``reps`` known at build time."""

    reps: tuple[int, ...]

    def infer_type(self, x: Variable) -> TensorType:
        ndim = max(x.ndim, len(self.reps))
        reps = (1,) * (ndim - len(self.reps)) + self.reps
        shape = (1,) * (ndim - x.ndim) + x.type.shape
        return TensorType(x.dtype, tuple(None if s is None else s * r for s, r in zip(shape, reps)))

    def impl(self, x: np.ndarray) -> np.ndarray:
        return np.tile(x, self.reps)

    def code(self, x: str) -> str:
        return f"np.tile({x}, {self.reps})"

    def pullback(self, inputs, outputs, output_grads):
        """Sum over the copies: the gradient viewed as (reps0, size0, reps1, size1, ...)."""
        (x,), (g,) = inputs, output_grads
        lead = g.ndim - x.ndim
        reps = (1,) * (g.ndim - len(self.reps)) + self.reps
        sizes = [1] * lead + [dim_size(x, a) for a in range(x.ndim)]
        blocks = reshape(g, [n for pair in zip(reps, sizes) for n in pair])
        summed = T.sum(blocks, axis=tuple(range(0, 2 * g.ndim, 2)))
        return [dimshuffle(summed, range(lead, g.ndim))]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0])]


# -- functions ---------------------------------------------------------------------------------


def shape(x: Any) -> Variable:
    """The shape of ``x`` as a symbolic int64 vector."""
    return Shape()(x)


def dimshuffle(x: Any, *pattern: int | str | Sequence[int | str]) -> Variable:
    """Theano's dimshuffle: ``x.dimshuffle(1, 'x', 0)`` transposes and adds an axis.

    The pattern is spread as arguments, ``dimshuffle(x, 1, 'x', 0)``, or one
    sequence, ``dimshuffle(x, (1, 'x', 0))``, as the method takes it.
    """
    x = as_tensor_variable(x)
    if len(pattern) == 1 and isinstance(pattern[0], (list, tuple, range, np.ndarray)):
        pattern = tuple(pattern[0])
    order = tuple(d if d == "x" else int(d) for d in pattern)
    if order == tuple(range(x.ndim)):
        return x
    return DimShuffle(x.ndim, order)(x)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Variable:
    """Axes reversed, or permuted by ``axes``, as ``np.transpose``."""
    x = as_tensor_variable(x)
    return dimshuffle(x, tuple(reversed(range(x.ndim))) if axes is None else axes)


def reshape(x: Any, shape: Any, ndim: int | None = None) -> Variable:
    """``x`` with a new shape (ints, scalar variables, or an int vector; one -1 allowed)."""
    x = as_tensor_variable(x)
    shape = as_shape_vector(shape)
    if ndim is None:
        ndim = shape.type.shape[0]
        if ndim is None:
            raise TypeError("reshape: pass ndim= when the shape vector's length is not known")
    return Reshape(ndim)(x, shape)


def flatten(x: Any, ndim: int = 1) -> Variable:
    """``x`` with its trailing axes merged so that ``ndim`` axes remain."""
    x = as_tensor_variable(x)
    if not 1 <= ndim <= max(x.ndim, 1):
        raise TypeError(f"flatten: ndim={ndim} must be between 1 and {x.ndim}")
    if x.ndim == ndim:
        return x
    if ndim == 1:
        return reshape(x, (-1,))
    # the merged size as a product, not -1, which NumPy cannot resolve for an empty array
    trailing = x.type.shape[ndim - 1 :]
    merged = int(np.prod(trailing)) if None not in trailing else T.prod(x.shape[ndim - 1 :])
    return reshape(x, [x.shape[i] for i in range(ndim - 1)] + [merged], ndim=ndim)


def alloc(value: Any, *shape: Any) -> Variable:
    """An array of ``shape`` filled with ``value``, broadcast as ``np.full`` does."""
    value = as_tensor_variable(value)
    if len(shape) == 1 and isinstance(shape[0], Variable) and shape[0].ndim == 1:
        shape = shape[0]
    return Alloc(value.dtype)(value, as_shape_vector(shape))


def fill(model: Any, value: Any) -> Variable:
    """``value`` broadcast to the shape of ``model`` (Theano's ``fill``)."""
    model, value = as_tensor_variable(model), as_tensor_variable(value)
    return Alloc(value.dtype)(value, T.shape(model))


def zeros(shape: Any, dtype: str | None = None) -> Variable:
    """An array of zeros (``config.floatX`` by default)."""
    return Alloc(dtype or config.floatX)(0, as_shape_vector(shape))


def ones(shape: Any, dtype: str | None = None) -> Variable:
    """An array of ones (``config.floatX`` by default)."""
    return Alloc(dtype or config.floatX)(1, as_shape_vector(shape))


def zeros_like(x: Any, dtype: str | None = None) -> Variable:
    """Zeros of the shape and (by default) dtype of ``x``."""
    x = as_tensor_variable(x)
    return fill(x, constant(0, dtype=dtype or x.dtype))


def ones_like(x: Any, dtype: str | None = None) -> Variable:
    """Ones of the shape and (by default) dtype of ``x``."""
    x = as_tensor_variable(x)
    return fill(x, constant(1, dtype=dtype or x.dtype))


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Variable:
    """Join tensors along an existing axis, as ``np.concatenate``."""
    tensors = [as_tensor_variable(t) for t in tensors]
    ndim = tensors[0].ndim if tensors else 0
    return Join(axis % ndim if ndim else axis)(*tensors)


def stack(tensors: Sequence[Any], axis: int = 0) -> Variable:
    """Join tensors along a new axis, as ``np.stack``; scalars make a vector."""
    tensors = weak_scalars_as_constants(tensors)
    ndim = tensors[0].ndim + 1 if tensors else 1
    return Join(axis % ndim, new_axis=True)(*tensors)


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Variable:
    """Repeat elements of ``x``, as ``np.repeat`` (flattened when ``axis`` is None)."""
    x = as_tensor_variable(x)
    if axis is None:
        x, axis = flatten(x), 0
    return Repeat(axis % x.ndim)(x, as_tensor_variable(repeats))


def tile(x: Any, reps: Sequence[int]) -> Variable:
    """Repeat ``x`` as blocks, as ``np.tile``; ``reps`` are ints."""
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    if not all(isinstance(r, (int, np.integer)) for r in reps):
        raise TypeError(f"tile: reps must be ints known at build time, got {reps}")
    return Tile(tuple(int(r) for r in reps))(x)
