"""From a step written over placeholders to a ``Scan`` node, with loop-invariant work hoisted.

``scan()`` and the gradient of a scan both describe a loop the same way: the
outer sequences and initial values, the placeholders the step reads, and the
step's results as expressions over those placeholders and outer variables.
``make_loop`` closes the step over the outer values it reads; whatever does not
depend on a placeholder becomes an outer node, computed once before the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from symgraph.graph.basic import Constant, Variable, user_where
from symgraph.scan.inner import close_over, depending_on
from symgraph.scan.op import Scan, is_window
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import as_tensor_variable


@dataclass
class SequenceIn:
    """An outer sequence and the placeholder the step reads for each of its taps."""

    outer: Variable
    taps: tuple[int, ...]
    args: list[Variable]


@dataclass
class StateIn:
    """A recurrent state: its initial value, tap placeholders, next value, and what is kept."""

    init: Variable
    taps: tuple[int, ...]
    args: list[Variable]
    next: Variable
    stored: bool = True


def element_placeholder(x: Variable, name: str | None) -> Variable:
    """A placeholder for one entry of ``x`` along its first axis."""
    return TensorType(x.dtype, x.type.shape[1:])(name)


def make_loop(
    sequences: Sequence[SequenceIn],
    states: Sequence[StateIn],
    outputs: Sequence[Variable],
    n_steps: Variable | None,
    truncate_gradient: int = -1,
    name: str = "scan",
) -> list[Variable]:
    """The outputs of a new Scan node: one per state, then one per output in ``outputs``."""
    if n_steps is None and not sequences:
        raise TypeError("scan: give n_steps or at least one sequence (nothing sets the length)")
    for k, state in enumerate(states):
        _check_next(state, k, name)
    bound = [a for s in sequences for a in s.args] + [a for s in states for a in s.args]
    results = [s.next for s in states] + list(outputs)
    varying = depending_on(results, bound)

    def invariant(v: Variable) -> bool:
        return v not in varying and not isinstance(v, Constant)

    step, invariants = close_over(results, bound, invariant)
    op = Scan(
        step,
        tuple(s.taps for s in sequences),
        tuple(s.taps for s in states),
        tuple(s.stored for s in states),
        n_steps is not None,
        truncate_gradient,
        name,
    )
    prefix = [] if n_steps is None else [as_tensor_variable(n_steps)]
    node = op.make_node(
        *prefix, *(s.outer for s in sequences), *(s.init for s in states), *invariants
    )
    return list(node.outputs)


def _check_next(state: StateIn, k: int, name: str) -> None:
    """The step's new value of a state must have the type of the state's entries."""
    entry = state.args[0].type
    new = state.next
    if not isinstance(entry, TensorType):  # a generator the step's draws advance
        if new.type != entry:
            raise TypeError(f"{name}: state {k} is a {entry}, but the step returns {new!r}")
        return
    shapes_clash = new.ndim == entry.ndim and any(
        a is not None and b is not None and a != b for a, b in zip(new.type.shape, entry.shape)
    )
    if new.dtype != entry.dtype or new.ndim != entry.ndim or shapes_clash:
        init = "initial value" if not is_window(state.taps) else "initial entries"
        raise TypeError(
            f"{name}: state {k} has {init} of type {entry}, but the step function returns "
            f"{new!r} of type {new.type} for it; the step must keep the state's dtype and shape "
            f"(cast the result or the initial value) (scan called at {user_where()})"
        )
