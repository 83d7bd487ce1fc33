"""In-place work and defensive copies, decided by buffer liveness on the final schedule.

The planner walks the schedule once, tracking for every variable the set of
buffers it may share memory with (views share their input's buffer). It then
decides three things, none of which may change a result:

* an elementwise node (an Elemwise row or a fused tree) may compute its
  members into the buffers of inputs nobody reads afterwards (no later node,
  no output, no update, no live view): ``t2 -= y; t2 /= n`` instead of
  ``(t2 - y) / n``; see ``compile/inplace.py`` for which members can;
* a shared variable's update ``w - 0.1 * gw`` may be computed into ``w``'s own
  buffer, after every other node has run, when no node but such updates reads
  the result (Adam's ``m_new``, read by its weight's update after ``m`` is
  written) and a run-time shape check passes (then the writes cannot fail); a
  dead gradient in it is scaled in its own buffer first (``gw *= 0.1; w -= gw``).
  A call that uses the workspace repeats the shapes of a call that ran, so
  once only nodes that fail on shapes alone remain, nothing can fail: there
  the update runs as soon as ``gw`` exists and ``w``'s other readers are done,
  as a hand-written step updates each layer during the backward pass, unless
  NumPy would raise a floating-point error (``floats_quiet``);
* an output or update value that may alias an input, a shared variable, a
  constant or another result is copied, so the caller and the storage cells
  never share an array by accident; so is a read-only view (an op with
  ``readonly_views``, such as ``np.diagonal``), which is never written into;
* an intermediate array that never leaves the call (no output, update or
  view of one holds it) is computed into a *workspace*, an array the function
  keeps between calls (``np.matmul(x, w, out=ws[0])``), when its node can
  write into a given array and its shape follows from the shapes of the
  inputs and shared variables, and of results whose shapes depend on values
  (checked as they are made); the workspace is used while those shapes
  repeat, and a call with other shapes lets NumPy allocate and keeps what it
  made, results whose lifetimes do not overlap sharing one array. A deep
  net's step then allocates nothing: measured on 64 layers of
  ``tanh(h @ W + b)`` with gradients (``benchmarks/run.py``), the freed
  temporaries cost 660 to 900 page faults a call, up to half the time, when
  the allocator hands the memory back to the system at every return;
* a node that overwrites an input by its nature (``destroy_map``: a draw
  advances its NumPy generator, an increment writes into its array) does so
  only when nothing reads that input
  afterwards and it belongs to the call; otherwise the code copies it first.
  A shared generator belongs to the call when its state is saved as the call
  starts (``snapshots``): the call restores it if it raises, or at its end
  when no update stores the advanced generator back, so a call still changes
  a shared variable only through its updates.

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

import heapq
import itertools
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symgraph.compile.inplace import Chains, MemberTree, can_hold_result, members
from symgraph.graph.basic import Apply, Variable
from symgraph.tensor.type import TensorType


def alias_input(node: Apply) -> int | None:
    """0 for an identity op (its output is its input itself, so it has no code), else None."""
    return 0 if getattr(node.op, "forward_identity", False) else None


def destroyed_inputs(node: Apply) -> dict[int, int]:
    """Output index -> position of the input it is, overwritten in place (``destroy_map``)."""
    return {out: positions[0] for out, positions in node.op.destroy_map.items()}


def aliased_inputs(node: Apply) -> Sequence[int]:
    """Positions of the inputs whose memory the node's outputs may share (its ``view_map``)."""
    views = node.op.view_map
    return sorted({i for out in range(len(node.outputs)) for i in views.get(out, ())})


@dataclass
class Plan:
    """What the code generator does about memory.

    ``schedule`` lists the nodes to emit in order, the in-place shared updates
    last; ``inplace`` maps an elementwise node to its chains (which members
    write into which input's buffer; ``target`` receives the result);
    ``shared_inplace`` maps each update node computed into its shared
    variable's buffer to that variable (these nodes end the schedule);
    ``copy_outputs`` and ``copy_updates`` are positions whose value is copied;
    ``destroys`` maps a node to the inputs it may overwrite without a copy;
    ``snapshots`` maps each shared variable whose value a node overwrites to
    whether the call restores it at its end (no update keeps the new state);
    ``workspace`` maps each result computed into the function's workspace to
    the steps that make it and last read its buffer; ``late_shapes`` lists the
    results, made by nodes whose output shapes depend on values (a slice by a
    symbolic index), whose shapes the workspace's results also depend on;
    ``early_updates`` holds the in-place updates placed in ``schedule`` where
    they become possible, not at its end (see ``_settled_positions``).
    """

    schedule: list[Apply]
    inplace: dict[Apply, Chains] = field(default_factory=dict)
    shared_inplace: dict[Apply, Variable] = field(default_factory=dict)
    copy_outputs: set[int] = field(default_factory=set)
    copy_updates: set[int] = field(default_factory=set)
    destroys: dict[Apply, set[int]] = field(default_factory=dict)
    snapshots: dict[Variable, bool] = field(default_factory=dict)
    workspace: dict[Variable, tuple[int, int]] = field(default_factory=dict)
    late_shapes: list[Variable] = field(default_factory=list)
    early_updates: set[Apply] = field(default_factory=set)


def eager_order(schedule: Sequence[Apply]) -> list[Apply]:
    """``schedule`` reordered so each node runs as soon as its inputs exist, readers of
    the newest values first.

    A depth-first order from the outputs computes a whole backward pass before
    the first weight gradient that reads it; run eagerly, each gradient ``h.T @ g``
    follows its ``g`` while both are in cache (a 64-layer step: 2% faster), and
    values die sooner. Ties keep the given order.
    """
    position = {node: k for k, node in enumerate(schedule)}
    waiting: dict[Apply, int] = {}
    readers: dict[Variable, list[Apply]] = {}
    for node in schedule:
        made = {v for v in node.inputs if v.owner in position}
        waiting[node] = len(made)
        for v in made:
            readers.setdefault(v, []).append(node)
    stack = [node for node in reversed(schedule) if not waiting[node]]
    order = []
    while stack:
        node = stack.pop()
        order.append(node)
        ready = []
        for out in node.outputs:
            for reader in readers.get(out, ()):
                waiting[reader] -= 1
                if not waiting[reader]:
                    ready.append(reader)
        stack.extend(sorted(ready, key=position.__getitem__, reverse=True))
    return order


def plan_memory(
    schedule: Sequence[Apply],
    roots: Sequence[Variable],
    outputs: Sequence[Variable],
    borrowed: Sequence[bool],
    updates: Sequence[tuple[Variable, Variable]],
    inplace: bool = True,
    restorable: Sequence[Variable] = (),
    owned: Sequence[Variable] = (),
    workspace: bool = False,
    checked: bool = False,
) -> Plan:
    """Plan in-place work and copies for ``schedule`` (a valid order of the graph's nodes).

    ``roots`` are the variables whose buffers belong to someone else (inputs,
    shared variables, constants), except those in ``owned``; ``updates`` pairs
    each shared variable with its new value; ``restorable`` are the shared roots
    a node may overwrite, their state saved first. With ``inplace=False`` only
    the copies and the overwrites nodes cannot avoid are planned; with
    ``workspace`` (and ``inplace``), the arrays kept between calls too, and updates
    run early where nothing after them can fail, unless the code is ``checked`` (DEBUG_MODE
    checks each node's outputs: any node may raise).
    """
    trees = (
        {node: MemberTree(node) for node in schedule if members(node.op, len(node.inputs))}
        if inplace
        else {}
    )
    moved = _shared_inplace(schedule, outputs, borrowed, updates, trees) if inplace else {}
    order = [n for n in schedule if n not in moved] + list(moved)
    plan = Plan(order, shared_inplace=moved)
    kept = list(outputs) + [u for _, u in updates]
    tracker = _BufferTracker(order, roots, kept, owned)
    saved_in = {b: v for v in restorable for b in tracker.buffers_of(v)}  # buffer -> its root
    savable = frozenset(saved_in)
    for index, node in enumerate(order):
        chains = None
        tree = trees.get(node)
        if tree is not None:
            free = [i for i in tree.candidates() if tracker.is_dead(node, i, index)]
            if node in moved:
                target = node.inputs.index(moved[node])
            else:
                target = next((i for i in tree.targets() if i in free), None)
            chains = tree.plan(target, free)
        if chains is not None:
            plan.inplace[node] = chains
        copied = set()
        for out, position in destroyed_inputs(node).items():
            if tracker.is_dead(node, position, index, savable):
                plan.destroys.setdefault(node, set()).add(position)
                for buffer in tracker.buffers_of(node.inputs[position]) & savable:
                    plan.snapshots[saved_in[buffer]] = True
            else:
                copied.add(out)
        tracker.add(node, chains.target if chains is not None else None, copied)
    update_buffers = frozenset().union(*(tracker.buffers_of(u) for _, u in updates))
    returned: frozenset[int] = frozenset()
    for i, (out, borrow) in enumerate(zip(outputs, borrowed)):
        buffers = tracker.buffers_of(out)
        aliased = buffers & (tracker.pinned | returned | update_buffers)
        if not borrow and (aliased or out in tracker.readonly):
            plan.copy_outputs.add(i)
        else:
            returned |= buffers
    claimed = returned
    for i, (shared, value) in enumerate(updates):
        buffers = tracker.buffers_of(value)
        foreign = tracker.pinned - tracker.buffers_of(shared)
        if value.owner not in moved and (
            buffers & (foreign | claimed) or value in tracker.readonly
        ):
            plan.copy_updates.add(i)
        claimed |= buffers
        if shared in plan.snapshots and i not in plan.copy_updates:
            plan.snapshots[shared] = buffers != tracker.buffers_of(shared)
    if inplace and workspace:
        stored = [v for i, (_, v) in enumerate(updates) if i not in plan.copy_updates]
        kept_buffers = returned.union(*(tracker.buffers_of(v) for v in stored))
        others = order[: len(order) - len(moved)]
        settled = None if checked else _settled_positions(others, list(moved), tracker, kept)
        verified: list[Variable] = []
        if settled is not None:
            first = next(k for k, node in enumerate(settled) if node in moved)
            # early only where a later array may take a gradient's over
            if any(_new_array(n, plan) for n in settled[first:]):
                plan.schedule, plan.early_updates = settled, set(moved)
                verified = [v for node in settled[first:] for v in node.inputs]
        plan.workspace, plan.late_shapes = _workspace(
            plan, roots, tracker, _last_uses(plan.schedule, tracker, kept), kept_buffers, verified
        )
        if not plan.workspace:  # nothing tells the call it repeats shapes: updates run last
            plan.schedule, plan.early_updates = order, set()
    return plan


def _settled_positions(
    others: Sequence[Apply],
    moved: Sequence[Apply],
    tracker: _BufferTracker,
    kept: Sequence[Variable],
) -> list[Apply] | None:
    """``others`` with each in-place update among them at the earliest step it may run in a
    call that uses the workspace (the last after the outputs are copied), or None when
    none can run before the end.

    Such a call repeats the shapes of one that ran, so from the step where only nodes
    remain that fail on shapes alone (``shapes_from_shapes``, not ``raises_on_values``),
    nothing can fail: an update ``w -= 0.1 * gw`` may run there, once ``gw`` exists and
    every other reader of the buffers it reads is done, as a hand-written step updates
    each layer's weights during the backward pass. Measured on 64 layers of
    ``tanh(h @ W + b)`` (``benchmarks/run.py``): 5-6% faster than updating at the end,
    because each gradient is read while in cache, and one array serves them all.
    """
    start = len(others)
    while start and _fails_on_shapes_only(others[start - 1]):
        start -= 1
    position = {node: k for k, node in enumerate(others)}
    # outputs and stored updates are read (copied) once every node has run
    last_read = _last_uses(others, tracker, [v for v in kept if v.owner not in moved])
    at: dict[int, list[Apply]] = {}
    # an update runs after those before it in ``moved`` that make what it reads (Adam's m)
    # or read what it writes (momentum's velocity): at their step or later, in this order
    placed: dict[int, int] = {}  # buffer -> the latest step of an update reading or writing it
    for node in moved:
        step = start
        for v in node.inputs:
            if v.owner in position:
                step = max(step, position[v.owner] + 1)
            for buffer in tracker.buffers_of(v):
                step = max(step, last_read.get(buffer, -1) + 1, placed.get(buffer, step))
        step = min(step, len(others))
        for v in (*node.inputs, *node.outputs):
            for buffer in tracker.buffers_of(v):
                placed[buffer] = step
        at.setdefault(step, []).append(node)
    if not at or set(at) == {len(others)}:
        return None
    schedule = []
    for k, node in enumerate([*others, None]):
        schedule += at.get(k, [])
        if node is not None:
            schedule.append(node)
    return schedule


def _new_array(node: Apply, plan: Plan) -> bool:
    """True when ``node`` computes a new array (not 0-d) into one it is given."""
    out = node.outputs[0]
    return (
        node not in plan.inplace
        and node not in plan.shared_inplace
        and computes_into(node)
        and isinstance(out.type, TensorType)
        and out.type.ndim > 0
    )


def _fails_on_shapes_only(node: Apply) -> bool:
    return node.op.shapes_from_shapes and not node.op.raises_on_values


def _last_uses(
    schedule: Sequence[Apply], tracker: _BufferTracker, kept: Sequence[Variable]
) -> dict[int, int]:
    """Buffer -> the last step of ``schedule`` reading it (through any variable sharing it);
    ``len(schedule)`` for the buffers of ``kept`` values."""
    last: dict[int, int] = {}
    for k, node in enumerate(schedule):
        for v in node.inputs:
            for buffer in tracker.buffers_of(v):
                last[buffer] = k
    for v in kept:
        for buffer in tracker.buffers_of(v):
            last[buffer] = len(schedule)
    return last


def _workspace(
    plan: Plan,
    roots: Sequence[Variable],
    tracker: _BufferTracker,
    last_use: dict[int, int],
    kept: frozenset[int],
    verified: Sequence[Variable] = (),
) -> tuple[dict[Variable, tuple[int, int]], list[Variable]]:
    """The new arrays the function may keep between calls, with their lifetimes (steps
    of ``plan.schedule``; ``last_use`` by buffer), and the late shapes they depend on.

    An array qualifies when it is a node's only output, that node can write into a
    given array (``code_into``) and its buffer is in no output or stored update
    (``kept``); its shape must follow from the shapes of the roots and of *late*
    results, tensors made by nodes whose output shapes depend on values (a slice
    by a symbolic index), whose shapes are checked as they are made. The shapes of
    ``verified`` variables (read after an early update) are checked the same way.
    """
    none: frozenset[Variable] = frozenset()
    depends = dict.fromkeys(roots, none)  # variable -> the late shapes its shape follows from
    chosen = {}
    for index, node in enumerate(plan.schedule):
        sources = [depends.get(v) for v in node.inputs]
        if not node.op.shapes_from_shapes or None in sources:
            for v in node.outputs:
                if isinstance(v.type, TensorType):
                    depends[v] = frozenset((v,)) if None in v.type.shape else none
            continue
        found = _union(sources)
        depends.update(dict.fromkeys(node.outputs, found))
        out = node.outputs[0]
        if not _new_array(node, plan) or tracker.buffers_of(out) & kept:
            continue
        (buffer,) = tracker.buffers_of(out)
        chosen[out] = (index, max(index, last_use.get(buffer, -1)))
    needed = _union([depends[v] for v in chosen] + [depends.get(v, none) for v in verified])
    return chosen, [v for node in plan.schedule for v in node.outputs if v in needed]


def _union(sets: Sequence[frozenset]) -> frozenset:
    """The union, reusing the largest set when it holds the others (the common case: one
    source, or none, so a long chain shares one set instead of copying it)."""
    largest = max(sets, key=len, default=frozenset())
    return largest if all(s <= largest for s in sets) else frozenset().union(*sets)


def computes_into(node: Apply) -> bool:
    """True when ``node`` can write its result into a given array (``code_into``): its
    only output, a new array, overwriting none of its inputs."""
    return (
        len(node.outputs) == 1
        and not node.op.view_map
        and not node.op.destroy_map
        and node.op.code_into([f"a{i}" for i in range(len(node.inputs))], "out") is not None
    )


class Workspace:
    """The arrays a compiled function computes into, kept for the shapes they were made at.

    Generated code reads ``arrays`` when the inputs' and shared variables' shapes
    equal ``shapes``, else ``unset`` (Nones: NumPy allocates), and turns to
    ``unset`` if a late result's shape differs from its entry in ``late``; a
    call that ran with ``unset`` then ``keep``s what it made. Results whose
    lifetimes (first and last step) do not overlap
    share one array where shape, dtype and layout agree, the one freed last, as
    an allocator would hand it out: the step's memory stays as small, and as
    warm in cache, as the live values. ``clear`` lets it go (``Function.free``).
    """

    __slots__ = ("lifetimes", "n_late", "shapes", "late", "arrays", "unset")

    def __init__(self, lifetimes: Sequence[tuple[int, int]], n_late: int = 0) -> None:
        self.lifetimes = list(lifetimes)
        self.n_late = n_late
        self.unset: list[None] = [None] * len(self.lifetimes)
        self.clear()

    def clear(self) -> None:
        self.shapes: tuple | None = None
        self.late: tuple = (None,) * self.n_late
        self.arrays: list = self.unset

    def keep(self, shapes: tuple, late: tuple, arrays: list) -> None:
        live: list[tuple[int, int]] = []  # heap of (last step, index) of arrays in use
        free: dict[tuple, list] = {}  # (shape, dtype, strides) -> arrays, freed last on top
        kept = []
        for k, ((first, last), array) in enumerate(zip(self.lifetimes, arrays)):
            while live and live[0][0] < first:
                _, j = heapq.heappop(live)
                free.setdefault(_layout(kept[j]), []).append(kept[j])
            reusable = free.get(_layout(array))
            kept.append(reusable.pop() if reusable else array)
            heapq.heappush(live, (last, k))
        self.shapes, self.late, self.arrays = shapes, late, kept


def floats_quiet() -> bool:
    """True when no floating-point error raises: NumPy warns, prints or ignores each kind
    (``np.seterr``) and no warnings filter makes a RuntimeWarning an error. Only then may a
    call update shared variables in place before its last node has run.

    Asked at every call of such a function, so the answer is kept while NumPy's error
    state object and the warnings filters stay the same: 0.2 us a call instead of 2.6.
    """
    filters = warnings.filters
    key = (_error_state(), id(filters), len(filters), filters[0] if filters else None)
    if key != _quiet[0]:
        _quiet[:] = [key, _floats_quiet_now()]
    return _quiet[1]


def _floats_quiet_now() -> bool:
    modes = set(np.geterr().values())
    if modes & {"raise", "call", "log"}:
        return False
    return "warn" not in modes or not any(
        action == "error" and issubclass(RuntimeWarning, category)
        for action, _, category, *_ in warnings.filters
    )


try:  # NumPy 2 keeps its error state in one object, replaced whenever it changes
    from numpy._core._ufunc_config import _extobj_contextvar

    _error_state: Callable[[], Any] = _extobj_contextvar.get
except ImportError:  # pragma: no cover (other NumPy versions: read it out)
    _error_state = lambda: tuple(np.geterr().items())  # noqa: E731
_quiet: list = [None, False]  # the last key floats_quiet saw, and its answer


def _layout(array: Any) -> tuple:
    return array.shape, array.dtype, array.strides


def _shared_inplace(
    schedule: Sequence[Apply],
    outputs: Sequence[Variable],
    borrowed: Sequence[bool],
    updates: Sequence[tuple[Variable, Variable]],
    trees: dict[Apply, MemberTree],
) -> dict[Apply, Variable]:
    """Update nodes ``f(w, ...)`` that may write into ``w``'s buffer once all else has run,
    in the order they run.

    The result feeds nothing but other such updates, which run after it (Adam's
    ``m_new``, read by its weight's update); another such update that reads
    ``w`` itself runs before it (momentum's ``w - rate * velocity`` beside
    ``velocity``'s own update); no output lent to the caller
    (``Out(borrow=True)``) views ``w``.
    """
    readers_of: dict[Variable, list[Apply]] = {}
    for node in schedule:
        for v in node.inputs:
            readers_of.setdefault(v, []).append(node)
    counts = Counter(u for _, u in updates)
    candidates: dict[Apply, Variable] = {}
    for shared, value in updates:
        node = value.owner
        if (
            node is None
            or node in candidates
            or any(value is out for out in outputs)
            or counts[value] > 1
            or not can_hold_result(shared, value)
            or sum(v is shared for v in node.inputs) != 1
            or node not in trees
            or node.inputs.index(shared) not in trees[node].targets()
        ):
            continue
        candidates[node] = shared
    position = {node: k for k, node in enumerate(schedule)}
    while True:  # dropping one may leave another's result read before the end
        base_of = _views_of(schedule, set(candidates.values()))
        lent = {base_of.get(out) for out, borrow in zip(outputs, borrowed) if borrow}
        writer = {shared: node for node, shared in candidates.items()}
        before: dict[Apply, set[Apply]] = {node: set() for node in candidates}
        for node in candidates:
            for v in node.inputs:
                if v.owner in candidates:  # reads another's result: after it
                    before[node].add(v.owner)
                base = base_of.get(v)
                if base is not None and writer[base] is not node:  # reads w: before its writer
                    before[writer[base]].add(node)
        order = _ordered(before, position)
        kept = {
            node: candidates[node]
            for node in order
            if candidates[node] not in lent
            and all(r in candidates for r in readers_of.get(node.outputs[0], ()))
        }
        if len(kept) == len(candidates):
            return kept
        candidates = kept


def _ordered(before: dict[Apply, set[Apply]], position: dict[Apply, int]) -> list[Apply]:
    """The nodes of ``before`` (node -> the nodes that must run first) in an order that keeps
    it, earliest in ``position`` first; nodes on a cycle are left out."""
    waiting = {node: len(first) for node, first in before.items()}
    after: dict[Apply, list[Apply]] = {}
    for node, first in before.items():
        for f in first:
            after.setdefault(f, []).append(node)
    ready = [(position[node], id(node), node) for node, n in waiting.items() if not n]
    heapq.heapify(ready)
    order = []
    while ready:
        *_, node = heapq.heappop(ready)
        order.append(node)
        for nxt in after.get(node, ()):
            waiting[nxt] -= 1
            if not waiting[nxt]:
                heapq.heappush(ready, (position[nxt], id(nxt), nxt))
    return order


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
    """Which buffers each variable may share, and the last step that reads each buffer."""

    def __init__(
        self,
        order: Sequence[Apply],
        roots: Sequence[Variable],
        kept: Sequence[Variable],
        owned: Sequence[Variable] = (),
    ) -> None:
        self.last_read: dict[Variable, int] = {}
        for index, node in enumerate(order):
            for v in node.inputs:
                self.last_read[v] = index
        for v in kept:
            self.last_read[v] = len(order)
        self._ids = itertools.count()
        self.buffers: dict[Variable, frozenset[int]] = {}
        self.last_use: dict[int, int] = {}  # buffer -> last step reading any variable in it
        self.readonly: set[Variable] = set()  # views NumPy made read-only, and views of them
        for v in [*roots, *owned]:
            self._new_buffer(v)
        self.pinned = frozenset(b for v in roots if v not in owned for b in self.buffers[v])

    def _new_buffer(self, var: Variable) -> None:
        buffer = next(self._ids)
        self.buffers[var] = frozenset((buffer,))
        self.last_use[buffer] = self.last_read.get(var, -1)

    def buffers_of(self, var: Variable) -> frozenset[int]:
        if var not in self.buffers:  # a root nobody listed: treat it as someone else's
            self._new_buffer(var)
            self.pinned |= self.buffers[var]
        return self.buffers[var]

    def is_dead(
        self, node: Apply, position: int, index: int, allowed: frozenset[int] = frozenset()
    ) -> bool:
        """True when node ``index`` may overwrite the buffer of its input at ``position``
        (a pinned buffer only when it is ``allowed``)."""
        target = node.inputs[position]
        buffers = self.buffers_of(target)
        if len(buffers) != 1 or (buffers & self.pinned) - allowed or target in self.readonly:
            return False
        (buffer,) = buffers
        if self.last_use[buffer] > index:
            return False
        # another input viewing the same memory differently would be read while written
        return not any(v is not target and buffer in self.buffers_of(v) for v in node.inputs)

    def add(self, node: Apply, target: int | None, copied: set[int] = frozenset()) -> None:
        """Record the buffers of ``node``'s outputs (``target``: the input it overwrites;
        ``copied``: outputs overwriting a copy of their input, so new buffers)."""
        views = node.op.view_map
        for k, out in enumerate(node.outputs):
            positions = (target,) if target is not None else () if k in copied else views.get(k, ())
            shared = frozenset().union(*(self.buffers_of(node.inputs[i]) for i in positions))
            if target is None and (
                getattr(node.op, "readonly_views", False)
                or any(node.inputs[i] in self.readonly for i in positions)
            ):
                self.readonly.add(out)
            if not shared:
                self._new_buffer(out)
                continue
            self.buffers[out] = shared
            for buffer in shared:
                self.last_use[buffer] = max(self.last_use[buffer], self.last_read.get(out, -1))
