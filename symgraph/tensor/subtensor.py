"""Indexing: ``Subtensor`` reads ``x[index]``, ``IncSubtensor`` writes ``x[index] (+)= y``.

An index is kept as a tuple of entries, the op's parameter, so generated code
reads exactly as the user wrote it (``x[1:-1, ::2]``):

* ``("int", k)``: one integer, ``k`` an int or ``"?"`` (the next input)
* ``("slice", start, stop, step)``: each an int, None or ``"?"``
* ``("new",)``: ``None`` / ``np.newaxis``
* ``("adv",)``: an integer or boolean array (the next input): advanced indexing
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.syntax import RECEIVER
from symgraph.tensor.elemwise import sum_to_shape
from symgraph.tensor.type import TensorType, broadcast_shapes
from symgraph.tensor.variable import TensorOp, as_tensor_variable, constant

INPUT = "?"
Entry = tuple
FULL: Entry = ("slice", None, None, None)


def _entry_text(entry: Entry, names: Sequence[str]) -> tuple[str, int]:
    """The index text of one entry and how many input names it used."""
    kind = entry[0]
    if kind == "new":
        return "None", 0
    if kind == "adv":
        return names[0], 1
    used = 0
    parts = []
    for part in entry[1:]:
        if part == INPUT:
            parts.append(names[used])
            used += 1
        else:
            parts.append("" if part is None else str(part))
    if kind == "int":
        return parts[0], used
    text = ":".join(parts)
    return (text[:-1] if text.endswith(":") and text != ":" else text), used


def index_text(idx: Sequence[Entry], names: Sequence[str]) -> str:
    """``[1:-1, i]``-style text for an index, given the names of its symbolic parts."""
    texts, pos = [], 0
    for entry in idx:
        text, used = _entry_text(entry, names[pos:])
        texts.append(text)
        pos += used
    return "[" + ", ".join(texts) + "]"


def index_value(idx: Sequence[Entry], values: Sequence[Any]) -> tuple:
    """The NumPy index tuple for ``idx``, given the values of its symbolic parts."""
    values = iter(values)

    def part(p):
        return int(next(values)) if p == INPUT else p

    result = []
    for entry in idx:
        kind = entry[0]
        if kind == "new":
            result.append(None)
        elif kind == "adv":
            result.append(next(values))
        elif kind == "int":
            result.append(part(entry[1]))
        else:
            result.append(slice(*(part(p) for p in entry[1:])))
    return tuple(result)


def index_inputs(node: Apply) -> tuple[list[int], list[int]]:
    """Positions of an indexing node's scalar index inputs (ints, slice bounds) and of its
    arrays (advanced entries); ``x`` (and an increment's ``y``) come first."""
    position = 1 if isinstance(node.op, Subtensor) else 2
    scalars, arrays = [], []
    for entry in node.op.idx:
        if entry[0] == "adv":
            arrays.append(position)
            position += 1
            continue
        for part in entry[1:]:
            if part == INPUT:
                scalars.append(position)
                position += 1
    return scalars, arrays


def _is_advanced(idx: Sequence[Entry]) -> bool:
    return any(e[0] == "adv" for e in idx)


def indexed_shape(x: Variable, idx: Sequence[Entry], parts: Sequence[Variable], op: str) -> tuple:
    """The static shape of ``x[idx]`` by NumPy's rules, checking constant indices."""
    advanced = _is_advanced(idx)
    parts = iter(parts)
    dims: list = []  # output dims, with the marker "ADV" where the advanced block may go
    adv_shapes, adv_positions = [], []
    axis = 0
    for pos, entry in enumerate(idx):
        kind = entry[0]
        if kind == "new":
            dims.append(1)
            continue
        if kind == "adv":
            index = next(parts)
            if index.dtype == "bool":
                adv_shapes.append((None,))
                axis += index.ndim
            else:
                if index.dtype[0] not in "iu":
                    raise TypeError(f"{op}: index arrays must be int or bool, got {index.type}")
                adv_shapes.append(index.type.shape)
                axis += 1
            adv_positions.append(pos)
            dims.append("ADV")
            continue
        if axis >= x.ndim:
            raise IndexError(f"{op}: too many indices for {x!r} with {x.ndim} dimensions")
        size = x.type.shape[axis]
        axis += 1
        if kind == "int":
            if entry[1] == INPUT:
                next(parts)
            elif size is not None and not -size <= entry[1] < size:
                raise IndexError(
                    f"{op}: index {entry[1]} is out of bounds for axis {axis - 1} with size {size}"
                )
            if advanced:
                adv_shapes.append(())
                adv_positions.append(pos)
                dims.append("ADV")
            continue
        bounds = entry[1:]
        for p in bounds:
            if p == INPUT:
                next(parts)
        if bounds == (None, None, None):
            dims.append(size)
        elif size is not None and INPUT not in bounds:
            dims.append(len(range(*slice(*bounds).indices(size))))
        else:
            dims.append(None)
    if axis > x.ndim:
        raise IndexError(f"{op}: too many indices for {x!r} with {x.ndim} dimensions")
    rest = list(x.type.shape[axis:])
    if not adv_positions:
        return tuple(dims + rest)
    block = list(broadcast_shapes(*adv_shapes, op=op))
    adjacent = adv_positions == list(range(adv_positions[0], adv_positions[-1] + 1))
    first = dims.index("ADV")
    dims = [d for d in dims if d != "ADV"]
    if adjacent:
        return tuple(dims[:first] + block + dims[first:] + rest)
    return tuple(block + dims + rest)


@dataclass(frozen=True)
class Subtensor(TensorOp):
    """``x[idx]``; a view when the index is basic, a copy when advanced."""

    idx: tuple[Entry, ...]

    form = print_form = RECEIVER

    @property
    def view_map(self) -> dict[int, tuple[int, ...]]:
        """A basic index gives a view of ``x``; an advanced one a new array."""
        return {} if _is_advanced(self.idx) else {0: (0,)}

    def is_shape_entry(self) -> bool:
        """True for ``v[k]`` with a constant int k (as in ``x.shape[k]``)."""
        return len(self.idx) == 1 and self.idx[0][0] == "int" and self.idx[0][1] != INPUT

    def infer_type(self, x: Variable, *parts: Variable) -> TensorType:
        _check_parts(parts, "subtensor")
        return TensorType(x.dtype, indexed_shape(x, self.idx, parts, "subtensor"))

    def impl(self, x: np.ndarray, *parts: Any) -> np.ndarray:
        return np.asarray(x[index_value(self.idx, parts)])

    def code(self, x: str, *parts: str) -> str:
        return f"{x}{index_text(self.idx, parts)}"

    def pullback(self, inputs, outputs, output_grads):
        """The gradient lands at the indexed places of zeros; repeated indices accumulate."""
        (x, *parts), (g,) = inputs, output_grads
        return [IncSubtensor(self.idx)(T.zeros_like(x), g, *parts)] + [None] * len(parts)

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], *inputs[1:])]

    def pretty(self, x: str, *parts: str) -> str:
        return self.code(x, *parts)

    def __str__(self) -> str:
        return f"Subtensor{index_text(self.idx, ['?'] * 64)}"

    def sympy_form(self, node, args, bound):
        """Basic indexing as index arithmetic: a fixed entry, or ``start + step * i``."""
        import sympy

        from symgraph.tensor.sympy_elements import ONE, ZERO, Elements, bound_value

        x, *parts = args
        values = iter(p.at(()) for p in parts)
        steps: list[tuple] = []  # per input axis: ("fixed", expr), ("range", start, step), ("new",)
        sizes: list = []
        axis = 0
        for entry in self.idx:
            kind = entry[0]
            if kind == "adv":
                raise NotImplementedError("(advanced indexing) has no SymPy form")
            if kind == "new":
                steps.append(("new",))
                sizes.append(ONE)
                continue
            size = x.sizes[axis]
            axis += 1
            limits = [next(values) if p == INPUT else p for p in entry[1:]]
            if kind == "int":
                k = sympy.sympify(limits[0])
                steps.append(("fixed", size + k if k.is_negative else k))
                continue
            start, stop, step = limits
            step = sympy.sympify(1 if step is None else step)
            if not step.is_positive:
                raise NotImplementedError("with a negative step has no SymPy form")
            start = bound_value(start, ZERO, size)
            stop = bound_value(stop, size, size)
            steps.append(("range", start, step))
            sizes.append(sympy.Max(ZERO, sympy.ceiling((stop - start) / step)))
        sizes += x.sizes[axis:]

        def at(index):
            out = iter(index)
            inner = []
            for s in steps:
                if s[0] == "new":
                    next(out)
                elif s[0] == "fixed":
                    inner.append(s[1])
                else:
                    inner.append(s[1] + s[2] * next(out))
            return x.at(tuple(inner) + tuple(out))

        return Elements(tuple(sizes), at, x.explicit)


@dataclass(frozen=True)
class IncSubtensor(TensorOp):
    """A copy of ``x`` with ``x[idx] = y`` (``set_instead_of_inc``) or ``x[idx] += y``.

    Advanced increments accumulate repeated indices, as ``np.add.at`` does,
    unless the index is known never to repeat (``unique``: a rewrite proves it,
    ``x[arange(len(y)), y]``), when ``x[idx] += y`` is the same and much faster.
    The generated code writes into ``x`` itself when nothing reads it later (a
    gradient's fresh zeros), else into a copy (``destroy_map``).
    """

    idx: tuple[Entry, ...]
    set_instead_of_inc: bool = False
    unique: bool = False

    destroy_map = view_map = {0: (0,)}

    def infer_type(self, x: Variable, y: Variable, *parts: Variable) -> TensorType:
        _check_parts(parts, "inc_subtensor")
        target = indexed_shape(x, self.idx, parts, "inc_subtensor")
        if y.ndim > len(target):
            raise TypeError(f"inc_subtensor: value {y.type} has more dims than x[idx] {target}")
        broadcast_shapes(target, y.type.shape, op="inc_subtensor")
        return x.type

    @property
    def accumulates(self) -> bool:
        return not self.set_instead_of_inc and not self.unique and _is_advanced(self.idx)

    def impl(self, x: np.ndarray, y: np.ndarray, *parts: Any) -> np.ndarray:
        out = x.copy()
        index = index_value(self.idx, parts)
        if self.set_instead_of_inc:
            out[index] = y
        elif self.accumulates:
            np.add.at(out, index, y)
        else:
            out[index] += y
        return out

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        """One write into ``x`` (the output is ``x``, or the copy the generator made of it)."""
        (out,), (_, y, *parts) = outs, names
        index = index_text(self.idx, parts)
        if self.set_instead_of_inc:
            return [f"{out}{index} = {y}"]
        if self.accumulates:
            return [f"np.add.at({out}, np.s_{index}, {y})"]
        return [f"{out}{index} += {y}"]

    def pullback(self, inputs, outputs, output_grads):
        """x keeps the gradient except where a set overwrote it; y gets it at the written places.

        With repeated indices a set keeps one of the writes, yet every copy of y
        gets the gradient there.
        """
        (_, y, *parts), (g,) = inputs, output_grads
        if self.set_instead_of_inc:
            g_x = IncSubtensor(self.idx, True)(g, constant(0, dtype=g.dtype), *parts)
        else:
            g_x = g
        g_y = sum_to_shape(Subtensor(self.idx)(g, *parts), y)
        return [g_x, g_y] + [None] * len(parts)

    def pretty(self, x: str, y: str, *parts: str) -> str:
        verb = "set" if self.set_instead_of_inc else "inc"
        return f"{verb}({x}{index_text(self.idx, parts)}, {y})"


def _check_parts(parts: Sequence[Variable], op: str) -> None:
    for p in parts:
        if p.dtype[0] not in "iub":
            raise TypeError(f"{op}: indices must be integers or booleans, got {p.type} ({p!r})")


# -- building indices --------------------------------------------------------------------------


def _scalar_part(p: Any) -> tuple[Any, list[Variable]]:
    """An int or None stays as it is; a constant scalar becomes its int; else an input."""
    if p is None or isinstance(p, (int, np.integer)):
        return (None if p is None else int(p)), []
    p = as_tensor_variable(p)
    if p.ndim != 0 or p.dtype[0] not in "iu":
        raise TypeError(f"slice bounds must be integer scalars, got {p.type} ({p!r})")
    if isinstance(p, Constant):
        return int(p.value), []
    return INPUT, [p]


def parse_index(x: Variable, index: Any) -> tuple[tuple[Entry, ...], list[Variable]]:
    """The entries and symbolic parts of ``x[index]`` as the user wrote it."""
    if not isinstance(index, tuple):
        index = (index,)
    entries: list[Entry] = []
    parts: list[Variable] = []
    consumed = sum(0 if (i is None or i is Ellipsis) else _index_ndim(i) for i in index)
    if consumed > x.ndim:
        raise IndexError(
            f"too many indices for {x!r}: it has {x.ndim} dimensions, but {consumed} were indexed"
        )
    if sum(i is Ellipsis for i in index) > 1:
        raise IndexError(f"an index of {x!r} can have only one ellipsis (...)")
    for item in index:
        if item is Ellipsis:
            entries.extend([("slice", None, None, None)] * (x.ndim - consumed))
        elif item is None:
            entries.append(("new",))
        elif isinstance(item, slice):
            bounds = []
            for p in (item.start, item.stop, item.step):
                value, new = _scalar_part(p)
                bounds.append(value)
                parts.extend(new)
            entries.append(("slice", *bounds))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            entries.append(("int", int(item)))
        else:
            var = as_tensor_variable(item)
            if var.ndim == 0 and var.dtype[0] in "iu":
                value, new = _scalar_part(var)
                entries.append(("int", value))
                parts.extend(new)
            else:
                entries.append(("adv",))
                parts.append(var)
    return tuple(entries), parts


def _index_ndim(item: Any) -> int:
    """How many axes of the indexed array an index item consumes."""
    if isinstance(item, (slice, int, np.integer)):
        return 1
    var = as_tensor_variable(item)
    return var.ndim if var.dtype == "bool" else 1


def getitem(x: Any, index: Any) -> Variable:
    """``x[index]`` with NumPy's basic and advanced indexing.

    ``x[:]`` stays a node, as in Theano, so ``set_subtensor(x[:], y)`` has a target;
    the optimizer drops it.
    """
    x = as_tensor_variable(x)
    idx, parts = parse_index(x, index)
    while len(idx) > 1 and idx[-1] == FULL:
        idx = idx[:-1]
    if not idx:
        return x
    return Subtensor(idx)(x, *parts)


def _inc_or_set(target: Variable, y: Any, set_instead_of_inc: bool) -> Variable:
    owner = target.owner
    if owner is None or not isinstance(owner.op, Subtensor):
        raise TypeError(
            f"{'set' if set_instead_of_inc else 'inc'}_subtensor: the first argument must be an "
            f"indexed variable such as x[1:3], got {target!r}"
        )
    x, *parts = owner.inputs
    y = as_tensor_variable(y)
    y = T.cast(y, x.dtype)
    return IncSubtensor(owner.op.idx, set_instead_of_inc)(x, y, *parts)


def set_subtensor(target: Variable, y: Any) -> Variable:
    """A copy of the indexed array with ``target`` replaced by ``y``: ``set_subtensor(x[1:], y)``."""
    return _inc_or_set(target, y, True)


def inc_subtensor(target: Variable, y: Any) -> Variable:
    """A copy of the indexed array with ``y`` added at ``target``; repeated indices accumulate."""
    return _inc_or_set(target, y, False)


def take(a: Any, indices: Any, axis: int | None = None) -> Variable:
    """Elements of ``a`` at ``indices`` along ``axis`` (flattened when None), as ``np.take``."""
    a = as_tensor_variable(a)
    if axis is None:
        return getitem(T.flatten(a), indices)
    return getitem(a, (slice(None),) * (axis % a.ndim) + (as_tensor_variable(indices),))
