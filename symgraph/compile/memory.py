"""In-place work and defensive copies, decided by buffer liveness on the final schedule.

The planner walks the schedule once, tracking for every variable the set of
buffers it may share memory with (views share their input's buffer). It then
decides three things, none of which may change a result:

* an elementwise node that is one ufunc call (an Elemwise row, or a fused
  chain ending in one) may write its result into an input's buffer
  (``out=``, ``+=``) when that buffer is a temporary nobody reads afterwards:
  no later node, no output, no update, no live view;
* a shared variable's update ``w - 0.1 * gw`` may be computed into ``w``'s own
  buffer, after every other node has run, when only that update reads the
  result and a run-time shape check passes (then the writes cannot fail,
  short of a floating-point error turned into an exception by
  ``np.seterr(all='raise')``);
* an output or update value that may alias an input, a shared variable, a
  constant or another result is copied, so the caller and the storage cells
  never share an array by accident.

Whether in-place work pays was measured (``benchmarks/inplace.py``, time of
the in-place form over allocating the result): ``a += b`` costs 0.8x from two
elements on and 0.1-0.5x from 10^4 (no page faults, no cache pollution);
``np.sqrt(a, out=a)`` 0.8-1.0x; ``np.add(a, b, out=a)`` 1.2x below about 100
elements (keyword parsing, some 50 ns) and 0.1-0.7x above. But for 0-d and
one-element arrays NumPy's in-place path is 2.5-3x slower. So in-place work is
planned wherever the static shape does not prove an array that small: static
sizes are usually unknown, and the loss is bounded while the gain grows with
the size.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from symgraph.graph.basic import Apply, Variable
from symgraph.tensor import special_functions
from symgraph.tensor.dot import Dot, Tensordot
from symgraph.tensor.elemwise import Elemwise
from symgraph.tensor.fused import Fused
from symgraph.tensor.fused import literal_text as fused_literal_text
from symgraph.tensor.nnet import LogSoftmax, Softmax
from symgraph.tensor.reduction import ArgReduce, Reduce
from symgraph.tensor.shape import (
    Alloc,
    ARange,
    Diag,
    DimShuffle,
    Eye,
    Join,
    Repeat,
    Reshape,
    Shape,
    Tile,
)
from symgraph.tensor.subtensor import IncSubtensor, Subtensor
from symgraph.tensor.type import TensorType

#: arrays with fewer elements run slower in place (measured, see the module docstring)
MIN_INPLACE_SIZE = 2

#: ops whose outputs are always new arrays (or immutable NumPy scalars)
FRESH_OPS = (
    Alloc,
    ARange,
    ArgReduce,
    Diag,
    Dot,
    Eye,
    IncSubtensor,
    Join,
    LogSoftmax,
    Reduce,
    Repeat,
    Shape,
    Softmax,
    Tensordot,
    Tile,
)

#: ``{0} + {1}`` templates with an augmented-assignment form ``a += b``
AUGMENTABLE = ("+", "-", "*", "/", "//", "%", "**", "&", "|", "^")


def alias_input(node: Apply) -> int | None:
    """The input a node's code merely names (an identity op), or None.

    Such a node computes nothing: its output is that input itself.
    """
    if len(node.outputs) != 1:
        return None
    names = [f"_in{i}_" for i in range(len(node.inputs))]
    expr = node.op.code(*names)
    return names.index(expr) if expr in names else None


def aliased_inputs(node: Apply) -> Sequence[int]:
    """Positions of the inputs whose memory the node's outputs may share."""
    op = node.op
    alias = alias_input(node)
    if alias is not None or getattr(op, "forward_identity", False):
        return (alias or 0,)
    if isinstance(op, (DimShuffle, Reshape)):
        return (0,)
    if isinstance(op, Subtensor):
        return (0,) if op.is_view else ()
    if getattr(op, "elementwise", False) or isinstance(op, FRESH_OPS):
        return ()
    return tuple(range(len(node.inputs)))  # unknown op: assume the worst


def ufunc_path(op: object) -> str | None:
    """``'np.add'`` / ``'special.erf'``: the name of the NumPy ufunc an Elemwise row applies."""
    fn = getattr(op, "fn", None)
    if not isinstance(op, Elemwise) or not isinstance(fn, np.ufunc):
        return None
    if getattr(np, fn.__name__, None) is fn:
        return f"np.{fn.__name__}"
    if getattr(special_functions, fn.__name__, None) is fn:
        return f"special.{fn.__name__}"
    return None


#: an argument of a ufunc call: a node input's position, or a function of the input names
#: giving the text of an expression (a fused node's inner members)
Argument = int | Callable[..., str]


def ufunc_call(op: object) -> tuple[Elemwise, tuple[Argument, ...]] | None:
    """The op as one NumPy ufunc applied to arguments, when it is one.

    An Elemwise row with a ufunc applies it to its inputs; a ``Fused`` chain
    whose last member is such a row applies it to inputs and to expressions
    of the other members. Either can then write its result into a buffer
    with ``out=`` (every argument is computed before the ufunc writes).
    """
    if isinstance(op, Elemwise):
        return (op, tuple(range(op.nin))) if ufunc_path(op) else None
    if not isinstance(op, Fused):
        return None
    root, refs = op.members[-1]
    if not isinstance(root, Elemwise) or ufunc_path(root) is None:
        return None
    args: list[Argument] = []
    for ref in refs:
        if isinstance(ref, int):
            args.append(ref)
        elif ref[0] == "member":
            args.append(Fused(op.members[: ref[1] + 1], op.nin).code)
        else:
            args.append(partial(_literal, fused_literal_text(ref[1])))
    return root, tuple(args)


def _literal(text: str, *names: str) -> str:
    return text


def augmented_operator(op: object) -> str | None:
    """``'+'`` when the op's code is ``{0} + {1}``, so ``a += b`` computes it in place."""
    template = getattr(op, "template", "")
    head, sep, tail = template.partition(" ")
    symbol, sep2, rest = tail.partition(" ")
    if head == "{0}" and sep and sep2 and rest == "{1}" and symbol in AUGMENTABLE:
        return symbol
    return None


def _static_size(var: Variable) -> int | None:
    shape = var.type.shape
    return None if None in shape else int(np.prod(shape, dtype=np.int64))


def can_hold_result(target: Variable, out: Variable) -> bool:
    """True when ``out`` may be written into ``target``'s buffer: same dtype and shape.

    A target dimension of static size 1 that the result broadcasts to more is
    excluded; unknown sizes are taken not to broadcast, the convention the
    gradient code relies on (``sum_to_shape``). When that fails at run time
    NumPy refuses before writing, and the function falls back to a plan without
    in-place work (see ``Function``).
    """
    if not isinstance(target.type, TensorType) or target.type.dtype != out.type.dtype:
        return False
    if target.type.ndim != out.type.ndim or target.type.ndim == 0:
        return False
    if any(t == 1 and o != 1 for t, o in zip(target.type.shape, out.type.shape)):
        return False
    size = _static_size(target)
    return size is None or size >= MIN_INPLACE_SIZE


def inplace_positions(node: Apply) -> list[int]:
    """Inputs whose buffer the node could overwrite with its result, preferred first."""
    call = ufunc_call(node.op)
    if call is None or len(node.outputs) != 1:
        return []
    root, args = call
    out = node.outputs[0]
    direct = [a for a in args if isinstance(a, int)]
    positions = [i for i in dict.fromkeys(direct) if can_hold_result(node.inputs[i], out)]
    augmented = augmented_operator(root) is not None and len(args) == 2
    commutative = getattr(root, "commutative", False)
    # a += b (or b += a when commutative) reads best and runs fastest; put it first
    return sorted(positions, key=lambda i: not (augmented and (args[0] == i or commutative)))


@dataclass
class Plan:
    """What the code generator does about memory.

    ``schedule`` lists the nodes to emit in order, the in-place shared updates
    last; ``inplace`` maps a node to the input whose buffer receives its result;
    ``shared_inplace`` maps each update node computed into its shared
    variable's buffer to that variable (these nodes end the schedule);
    ``copy_outputs`` and ``copy_updates`` are positions whose value is copied.
    """

    schedule: list[Apply]
    inplace: dict[Apply, int] = field(default_factory=dict)
    shared_inplace: dict[Apply, Variable] = field(default_factory=dict)
    copy_outputs: set[int] = field(default_factory=set)
    copy_updates: set[int] = field(default_factory=set)


def plan_memory(
    schedule: Sequence[Apply],
    roots: Sequence[Variable],
    outputs: Sequence[Variable],
    borrowed: Sequence[bool],
    updates: Sequence[tuple[Variable, Variable]],
    inplace: bool = True,
) -> Plan:
    """Plan in-place work and copies for ``schedule`` (a valid order of the graph's nodes).

    ``roots`` are the variables whose buffers belong to someone else (inputs,
    shared variables, constants); ``updates`` pairs each shared variable with
    its new value. With ``inplace=False`` only the copies are planned.
    """
    moved = _shared_inplace(schedule, outputs, borrowed, updates) if inplace else {}
    order = [n for n in schedule if n not in moved] + list(moved)
    plan = Plan(order, shared_inplace=moved)
    tracker = _BufferTracker(order, roots, list(outputs) + [u for _, u in updates])
    for index, node in enumerate(order):
        if node in moved:
            target = node.inputs.index(moved[node])
        elif inplace:
            dead = (i for i in inplace_positions(node) if tracker.is_dead(node, i, index))
            target = next(dead, None)
        else:
            target = None
        if target is not None:
            plan.inplace[node] = target
        tracker.add(node, target)
    update_buffers = frozenset().union(*(tracker.buffers_of(u) for _, u in updates))
    returned: frozenset[int] = frozenset()
    for i, (out, borrow) in enumerate(zip(outputs, borrowed)):
        buffers = tracker.buffers_of(out)
        if not borrow and buffers & (tracker.pinned | returned | update_buffers):
            plan.copy_outputs.add(i)
        else:
            returned |= buffers
    claimed = returned
    for i, (shared, value) in enumerate(updates):
        buffers = tracker.buffers_of(value)
        foreign = tracker.pinned - tracker.buffers_of(shared)
        if value.owner not in moved and buffers & (foreign | claimed):
            plan.copy_updates.add(i)
        claimed |= buffers
    return plan


def _shared_inplace(
    schedule: Sequence[Apply],
    outputs: Sequence[Variable],
    borrowed: Sequence[bool],
    updates: Sequence[tuple[Variable, Variable]],
) -> dict[Apply, Variable]:
    """Update nodes ``f(w, ...)`` that may write into ``w``'s buffer once all else has run.

    The result feeds nothing but the update; no other such node reads the
    buffer it writes; no output lent to the caller (``Out(borrow=True)``) views it.
    """
    read = {v for node in schedule for v in node.inputs}
    values = [u for _, u in updates]
    candidates: dict[Apply, Variable] = {}
    for shared, value in updates:
        node = value.owner
        if (
            node is None
            or node in candidates
            or value in read
            or any(value is out for out in outputs)
            or sum(value is u for u in values) > 1
            or not can_hold_result(shared, value)
            or sum(v is shared for v in node.inputs) != 1
            or node.inputs.index(shared) not in inplace_positions(node)
        ):
            continue
        candidates[node] = shared
    base_of = _views_of(schedule, set(candidates.values()))
    lent = [out for out, borrow in zip(outputs, borrowed) if borrow]
    safe: dict[Apply, Variable] = {}
    for node, shared in candidates.items():
        others = [v for n in candidates if n is not node for v in n.inputs]
        if all(base_of.get(v) is not shared for v in others + lent):
            safe[node] = shared
    return safe


def _views_of(schedule: Sequence[Apply], bases: set[Variable]) -> dict[Variable, Variable]:
    """For each variable that may share memory with one of ``bases``, that base."""
    base_of: dict[Variable, Variable] = {b: b for b in bases}
    for node in schedule:
        for i in aliased_inputs(node):
            base = base_of.get(node.inputs[i])
            if base is not None:
                for out in node.outputs:
                    base_of[out] = base
    return base_of


class _BufferTracker:
    """Which buffers each variable may share, and when each variable is last read."""

    def __init__(
        self, order: Sequence[Apply], roots: Sequence[Variable], kept: Sequence[Variable]
    ) -> None:
        self.last_read: dict[Variable, int] = {}
        for index, node in enumerate(order):
            for v in node.inputs:
                self.last_read[v] = index
        for v in kept:
            self.last_read[v] = len(order)
        self._ids = itertools.count()
        self.buffers: dict[Variable, frozenset[int]] = {}
        self.members: dict[int, list[Variable]] = {}
        for v in roots:
            self._new_buffer(v)
        self.pinned = frozenset(b for v in roots for b in self.buffers[v])

    def _new_buffer(self, var: Variable) -> None:
        buffer = next(self._ids)
        self.buffers[var] = frozenset((buffer,))
        self.members[buffer] = [var]

    def buffers_of(self, var: Variable) -> frozenset[int]:
        if var not in self.buffers:  # a root nobody listed: treat it as someone else's
            self._new_buffer(var)
            self.pinned |= self.buffers[var]
        return self.buffers[var]

    def is_dead(self, node: Apply, position: int, index: int) -> bool:
        """True when node ``index`` may overwrite the buffer of its input at ``position``."""
        target = node.inputs[position]
        buffers = self.buffers_of(target)
        if len(buffers) != 1 or buffers & self.pinned:
            return False
        (buffer,) = buffers
        if any(self.last_read.get(v, -1) > index for v in self.members[buffer]):
            return False
        # another input viewing the same memory differently would be read while written
        return not any(v is not target and buffer in self.buffers_of(v) for v in node.inputs)

    def add(self, node: Apply, target: int | None) -> None:
        """Record the buffers of ``node``'s outputs (``target``: the input it overwrites)."""
        positions = (target,) if target is not None else aliased_inputs(node)
        shared = frozenset().union(*(self.buffers_of(node.inputs[i]) for i in positions))
        for out in node.outputs:
            if not shared:
                self._new_buffer(out)
                continue
            self.buffers[out] = shared
            for buffer in shared:
                self.members[buffer].append(out)
