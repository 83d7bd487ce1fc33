"""The Dask backend (``mode="DASK"``): the generated NumPy-style lines run over dask arrays.

NumPy's functions and operators applied to a dask array build dask arrays
(NumPy hands them to ``dask.array``), so most ops' own code runs as written;
the few whose NumPy form would compute eagerly, or that Dask spells
differently, get an override here. Inputs given as dask arrays, shared
variables holding dask arrays, and everything computed from them are lazy:
a call builds a task graph and runs one ``dask.compute`` of every output and
update on the active scheduler (a ``distributed.Client`` when the user made
one). NumPy values (scalars, indices, shapes, parameters) stay NumPy and are
computed on the driver until they meet a dask array.

What Dask cannot run is refused when the function is compiled, with the op
and the user's line: scan and ifelse over dask values (their loops and
branches run in Python), increments at integer array indices (repeated
indices must add up, which needs ``np.add.at``), values Dask needs before it
builds the graph (shapes, slice bounds) computed from dask data, and the length
of an array selected by a boolean mask (unknown until computed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dask
import dask.array as da
import numpy as np

from symgraph.backends import Backend, is_dask_array, unsupported
from symgraph.graph.basic import Apply, Variable
from symgraph.tensor.creation import AllocDiag, ARange, ExtractDiag, Eye
from symgraph.tensor.dot import Dot, Tensordot
from symgraph.tensor.elemwise import Cast, Elemwise
from symgraph.tensor.fused import Fused
from symgraph.tensor.nnet import LogSoftmax, Softmax
from symgraph.tensor.reduction import ArgReduce, Reduce, SumOverRows
from symgraph.tensor.shape import Alloc, DimShuffle, Join, Repeat, Reshape, Shape, ShapeEntry, Tile
from symgraph.tensor.subtensor import IncSubtensor, Subtensor, index_inputs, index_text
from symgraph.tensor.type import TensorType

#: ops whose NumPy code runs on dask arrays as written (checked by tests/backends/test_dask.py)
AS_WRITTEN = (
    Elemwise,
    Fused,
    Cast,
    Reduce,
    ArgReduce,
    Shape,
    ShapeEntry,
    DimShuffle,
    Join,
    Tile,
    AllocDiag,
    ExtractDiag,
    Eye,
    ARange,
    Dot,
    Tensordot,
    Softmax,
    LogSoftmax,
)
#: ops reading only their input's shape, which a dask array knows without computing
METADATA = (Shape, ShapeEntry)
#: ops that accept an array whose length a boolean mask decides
MASK_SIZED_OK = (Elemwise, Fused, Cast, Reduce, SumOverRows, ArgReduce, Dot)
#: op -> positions of the inputs Dask must know as values (not dask arrays) to build the graph
CONCRETE = {Reshape: (1,), Alloc: (1,), Repeat: (1,), Eye: (0, 1, 2), ARange: (0, 1, 2)}


def _reshape(node: Apply, outs: Sequence[str], names: Sequence[str]) -> list[str]:
    """Between two n-d shapes through 1-d: Dask reshapes n-d to n-d only by merging or
    splitting axes evenly, but always flattens and always splits one axis."""
    (out,), (x, shape) = outs, names
    if node.inputs[0].type.ndim > 1 and node.outputs[0].type.ndim > 1:
        x = f"np.reshape({x}, (-1,))"
    return [f"{out} = np.reshape({x}, {shape})"]


def _alloc(node: Apply, outs: Sequence[str], names: Sequence[str]) -> list[str]:
    """``da.full``: ``np.full`` would compute a lazy fill value and hold the result on the driver."""
    (out,), (value, shape) = outs, names
    dtype = f"np.{node.op.dtype}"
    if node.inputs[0].type.ndim == 0:
        return [f"{out} = da.full({shape}, {value}, dtype={dtype})"]
    return [f"{out} = da.broadcast_to({value}, {shape}).astype({dtype})"]


def _inc_subtensor(node: Apply, outs: Sequence[str], names: Sequence[str]) -> list[str]:
    """Item assignment on a dask copy (NumPy's would compute a lazy value into a NumPy array).

    An increment at integer arrays keeps NumPy's ``np.add.at``: ``check`` lets it
    run only on NumPy values.
    """
    if _adds_at_integer_array(node):
        return node.op.emit(outs, names)
    (out,), (x, y, *_) = outs, names
    assign = "=" if node.op.set_instead_of_inc else "+="
    return [f"{out} = da.asarray({x}).copy()", f"{out}{_index(node, names)} {assign} {y}"]


def _subtensor(node: Apply, outs: Sequence[str], names: Sequence[str]) -> list[str]:
    """An array index reads a dask array (a NumPy array indexed by a lazy index would compute it)."""
    x = f"da.asarray({names[0]})" if index_inputs(node)[1] else names[0]
    return [f"{outs[0]} = {x}{_index(node, names)}"]


def _index(node: Apply, names: Sequence[str]) -> str:
    """The index text, with Python ints for scalar inputs (Dask refuses 0-d arrays there)."""
    scalars, _ = index_inputs(node)
    first = 1 if isinstance(node.op, Subtensor) else 2
    parts = [f"int({n})" if p in scalars else n for p, n in enumerate(names) if p >= first]
    return index_text(node.op.idx, parts)


def _repeat(node: Apply, outs: Sequence[str], names: Sequence[str]) -> list[str]:
    """``dask.array.repeat`` takes the count as a Python int (a vector of counts is refused)."""
    (out,), (x, repeats) = outs, names
    return [f"{out} = np.repeat({x}, int({repeats}), axis={node.op.axis})"]


OVERRIDES: dict[type, Callable[[Apply, Sequence[str], Sequence[str]], list[str]]] = {
    SumOverRows: lambda node, outs, names: [f"{outs[0]} = {names[0]}.sum(axis=0)"],
    Reshape: _reshape,
    Alloc: _alloc,
    IncSubtensor: _inc_subtensor,
    Subtensor: _subtensor,
    Repeat: _repeat,
}


def _makes_dask_array(node: Apply) -> bool:
    """True when the node's Dask form builds a dask array even from NumPy inputs."""
    op = node.op
    if isinstance(op, IncSubtensor):
        return not _adds_at_integer_array(node)
    return isinstance(op, Alloc) or (isinstance(op, Subtensor) and bool(index_inputs(node)[1]))


def _adds_at_integer_array(node: Apply) -> bool:
    """An increment at an integer array index, whose repeated indices must add up."""
    op = node.op
    return (
        isinstance(op, IncSubtensor)
        and not op.set_instead_of_inc
        and any(node.inputs[p].dtype != "bool" for p in index_inputs(node)[1])
    )


def check(
    nodes: Sequence[Apply], inputs: Sequence[Variable], shared_values: Mapping[Variable, Any]
) -> None:
    """Refuse, at compile time, every node Dask cannot run on the values that may be lazy.

    Lazy are the inputs with dimensions (a scalar input is a number on the
    driver), the shared variables holding dask arrays now, and what is computed
    from them, except shapes.
    """
    lazy = {v for v in inputs if isinstance(v.type, TensorType) and v.type.ndim > 0}
    lazy |= {v for v, value in shared_values.items() if is_dask_array(value)}
    masked: dict[Variable, Apply] = {}  # a variable -> the boolean selection deciding its length
    for node in nodes:
        reads_lazy = any(v in lazy for v in node.inputs)
        if reads_lazy:
            reason = _refusal(node, lazy, masked)
            if reason is not None:
                raise unsupported("dask", node, reason)
        if (reads_lazy and not isinstance(node.op, METADATA)) or _makes_dask_array(node):
            lazy.update(node.outputs)
        selection = _mask_selection(node, lazy, masked)
        if selection is not None:
            masked.update((out, selection) for out in node.outputs if out.type.ndim > 0)


def _refusal(node: Apply, lazy: set[Variable], masked: Mapping[Variable, Apply]) -> str | None:
    """Why Dask cannot run ``node`` over the lazy values among its inputs, or None."""
    op = node.op
    if getattr(op, "forward_identity", False):
        return None
    if op.inner_graphs:
        return (
            "its inner graph runs in Python on the driver, which would compute dask values "
            "one at a time; use T.switch instead of ifelse, or compile it with mode='FAST_RUN'"
        )
    if not isinstance(op, AS_WRITTEN) and type(op) not in OVERRIDES:
        return f"{type(op).__name__} has no Dask form yet; compile it with mode='FAST_RUN'"
    concrete = list(CONCRETE.get(type(op), ()))
    if isinstance(op, (Subtensor, IncSubtensor)):
        scalars, arrays = index_inputs(node)
        concrete += scalars
        if len(arrays) > 1:
            return "dask.array indexes with one integer or boolean array at a time"
        if _adds_at_integer_array(node):
            return (
                "an increment at an integer array index must add repeated indices up "
                "(np.add.at), which dask.array cannot do"
            )
    for position in concrete:
        if node.inputs[position] in lazy:
            return (
                f"its input {position} ({node.inputs[position]!r}) is computed from dask data, "
                f"but Dask needs that value (a shape, size or index bound) to build its graph"
            )
    if isinstance(op, Repeat) and node.inputs[1].type.ndim > 0:
        return "dask.array repeats every element the same number of times (an int, not an array)"
    for v in node.inputs:
        if v in masked and not isinstance(op, MASK_SIZED_OK):
            return (
                f"the length of {v!r} depends on a boolean mask (the selection at "
                f"{masked[v].where}), which Dask knows only after computing; select with "
                f"T.switch(mask, x, 0) instead"
            )
    return None


def _mask_selection(
    node: Apply, lazy: set[Variable], masked: Mapping[Variable, Apply]
) -> Apply | None:
    """The boolean selection deciding the length of the node's outputs, if one does."""
    if isinstance(node.op, Subtensor) and any(
        node.inputs[p] in lazy and node.inputs[p].dtype == "bool" for p in index_inputs(node)[1]
    ):
        return node
    return next((masked[v] for v in node.inputs if v in masked), None)


def accept(
    convert: Callable[[Any], Any], type_: Any, what: str, allow_downcast: bool
) -> Callable[[Any], Any]:
    """The slow path of an input check: a dask array is checked by its metadata and kept lazy;
    anything else (NumPy arrays, numbers, 0-d dask arrays) is converted as NumPy does."""
    if not isinstance(type_, TensorType) or type_.ndim == 0:
        return convert

    def converted(value: Any) -> Any:
        if isinstance(value, da.Array):
            return checked_input(value, type_, what, allow_downcast)
        return convert(value)

    return converted


def checked_input(value: da.Array, type_: TensorType, what: str, allow_downcast: bool) -> da.Array:
    """``value`` as a dask array of ``type_`` (cast when safe), checked by its metadata only."""
    if value.ndim != type_.ndim:
        raise TypeError(
            f"{what}: expected {type_.ndim} dimensions ({type_}), got a dask array of "
            f"{value.ndim} (shape {value.shape})"
        )
    for axis, (want, got) in enumerate(zip(type_.shape, value.shape)):
        if want is not None and not math.isnan(got) and want != got:
            raise ValueError(
                f"{what}: shape {value.shape} does not match the static shape "
                f"{type_.shape_str()} at axis {axis}"
            )
    if value.dtype == type_.dtype:
        return value
    if not (allow_downcast or np.can_cast(value.dtype, type_.dtype, casting="safe")):
        raise TypeError(
            f"{what}: cannot convert dtype {value.dtype} to {type_.dtype} without loss "
            f"(pass allow_input_downcast=True, or cast it first)"
        )
    return value.astype(type_.dtype)


BACKEND = Backend(
    name="dask",
    globals={"da": da, "Array": da.Array, "compute": dask.compute},
    array_type="Array",
    inplace=False,
    check=check,
    overrides=OVERRIDES,
    accept=accept,
    compute="compute",
)
