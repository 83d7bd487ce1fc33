"""The ``Scan`` op: a loop whose body is an inner Graph, run over preallocated histories.

Step ``t`` of the loop reads, for each sequence ``x`` with taps ``k``, the
elements ``x[t + offset + k]``; for each recurrent state with taps ``k`` (all
negative), the entries ``history[t + L + k]`` of its history buffer, whose first
``L = -min(k)`` entries are the initial values; and the loop-invariant inputs.
It writes ``history[t + L]`` for each state and row ``t`` of each output that is
not fed back. A state that is not *stored* keeps only its latest value (shared
variable updates, gradient accumulators).

Node inputs: ``[n_steps]`` (when given), sequences, initial values, invariants.
Node outputs: one per state (its whole history, or its final value when not
stored), then one per output that is not fed back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from symgraph.compile.codegen import inline
from symgraph.graph.basic import Op, Variable
from symgraph.graph.fgraph import Graph
from symgraph.scan.inner import loop_invariant_split
from symgraph.tensor.evaluate import evaluate_all
from symgraph.tensor.type import TensorType


def sequence_offset(taps: Sequence[int]) -> int:
    """Index of step 0's ``t`` in a sequence: room for its most negative tap."""
    return -min(min(taps), 0)


def sequence_span(taps: Sequence[int]) -> int:
    """How many elements of a sequence are not a step's ``t`` (read only through taps)."""
    return sequence_offset(taps) + max(max(taps), 0)


def history_length(taps: Sequence[int]) -> int:
    """How many initial entries a state with these (negative) taps needs."""
    return -min(taps)


def is_window(taps: Sequence[int]) -> bool:
    """True unless the state reads only its previous value (its initial value is then one entry)."""
    return tuple(taps) != (-1,)


@dataclass(frozen=True)
class Scan(Op):
    """A loop over sequences and recurrent states; see the module docstring for the layout."""

    step: Graph
    seq_taps: tuple[tuple[int, ...], ...]
    state_taps: tuple[tuple[int, ...], ...]
    stored: tuple[bool, ...]
    has_n_steps: bool
    truncate_gradient: int = -1
    name: str = "scan"

    # -- layout --------------------------------------------------------------------------------
    @property
    def n_seq_args(self) -> int:
        return sum(len(t) for t in self.seq_taps)

    @property
    def n_state_args(self) -> int:
        return sum(len(t) for t in self.state_taps)

    @property
    def n_varying(self) -> int:
        """Inner inputs that change at every step: sequence taps then state taps."""
        return self.n_seq_args + self.n_state_args

    @property
    def inner_graphs(self) -> dict[str, Graph]:
        return {"step": self.step}

    def with_inner_graphs(self, graphs: Mapping[str, Graph]) -> Scan:
        return replace(self, step=graphs["step"])

    def without_outputs(self, unused: set[int]) -> tuple[Scan, list[int]] | None:
        """Outputs that are not fed back can go (a gradient scan's rows for an input whose
        gradient nobody asked for); a state feeds the next step, so it stays."""
        n_states = len(self.state_taps)
        dropped = {k for k in unused if k >= n_states}
        if not dropped:
            return None
        kept = [k for k in range(len(self.step.outputs)) if k not in dropped]
        step = Graph(self.step.inputs, [self.step.outputs[k] for k in kept])
        return replace(self, step=step), kept

    @property
    def destroy_map(self) -> dict[int, tuple[int, ...]]:
        """A generator state (not a tensor) is advanced in place by the step's draws."""
        first = self.has_n_steps + len(self.seq_taps)
        return {k: (first + k,) for k in self._generator_states()}

    def _generator_states(self) -> list[int]:
        return [
            k for k in range(len(self.state_taps)) if not isinstance(self.state_type(k), TensorType)
        ]

    @property
    def view_map(self) -> dict[int, tuple[int, ...]]:
        """A final state (one not stored) may be its initial value, or an invariant the step
        returns; a generator state is its initial generator, advanced. A stored history and
        an output not fed back are new arrays, filled step by step."""
        n_invariants = len(self.step.inputs) - self.n_varying
        n_inputs = self.has_n_steps + len(self.seq_taps) + len(self.state_taps) + n_invariants
        final = [k for k, stored in enumerate(self.stored) if not stored]
        return dict.fromkeys(final, tuple(range(n_inputs))) | self.destroy_map

    def split_inputs(self, inputs: Sequence[Any]) -> tuple[Any, list, list, list]:
        """``(n_steps or None, sequences, initial values, invariants)`` of a node's inputs."""
        inputs = list(inputs)
        n_steps = inputs.pop(0) if self.has_n_steps else None
        n_seq, n_state = len(self.seq_taps), len(self.state_taps)
        return n_steps, inputs[:n_seq], inputs[n_seq : n_seq + n_state], inputs[n_seq + n_state :]

    def state_type(self, k: int) -> TensorType:
        """The type of one entry of state ``k`` (its first tap placeholder)."""
        return self.step.inputs[self.n_seq_args + sum(len(t) for t in self.state_taps[:k])].type

    # -- types ---------------------------------------------------------------------------------
    def infer_type(self, *inputs: Variable) -> tuple[TensorType, ...]:
        n_steps, seqs, inits, invariants = self.split_inputs(inputs)
        expected = len(self.seq_taps) + len(self.state_taps) + self.has_n_steps
        expected += len(self.step.inputs) - self.n_varying
        if len(inputs) != expected:
            raise TypeError(f"{self}: expected {expected} inputs, got {len(inputs)}")
        if n_steps is not None and (n_steps.ndim != 0 or n_steps.dtype[0] not in "iu"):
            raise TypeError(f"{self}: n_steps must be an integer scalar, got {n_steps.type}")
        args = iter(self.step.inputs)
        for x, taps in zip(seqs, self.seq_taps):
            element = [next(args) for _ in taps][0]
            _check_type(self, f"sequence {x!r}", x, element.type, extra_dims=1)
        for k, (init, taps) in enumerate(zip(inits, self.state_taps)):
            element = [next(args) for _ in taps][0]
            what = f"initial value {init!r} of state {k}"
            _check_type(self, what, init, element.type, extra_dims=int(is_window(taps)))
        for outer, inner in zip(invariants, args):
            _check_type(self, f"non-sequence {outer!r}", outer, inner.type, extra_dims=0)
        types = []
        for k, stored in enumerate(self.stored):
            state = self.state_type(k)
            types.append(TensorType(state.dtype, (None, *state.shape)) if stored else state)
        for out in self.step.outputs[len(self.state_taps) :]:
            types.append(TensorType(out.dtype, (None, *out.type.shape)))
        return tuple(types)

    # -- reference evaluation ------------------------------------------------------------------
    def impl(self, *arrays: Any) -> Any:
        n_steps, seqs, inits, invariants = self.split_inputs(arrays)
        lengths = [len(x) for x in seqs]
        steps = self.count_steps(None if n_steps is None else int(n_steps), lengths, inits)
        states = [self._start(k, init, steps) for k, init in enumerate(inits)]
        nit_types = [out.type for out in self.step.outputs[len(self.state_taps) :]]
        nits = [np.empty((steps, *(s or 0 for s in t.shape)), t.dtype) for t in nit_types]
        for t in range(steps):
            args = [
                x[t + sequence_offset(taps) + k]
                for x, taps in zip(seqs, self.seq_taps)
                for k in taps
            ]
            for state, taps, stored in zip(states, self.state_taps, self.stored):
                args += [state[t + history_length(taps) + k] for k in taps] if stored else [state]
            values = evaluate_all(self.step.outputs, dict(zip(self.step.inputs, args + invariants)))
            for k, (taps, stored) in enumerate(zip(self.state_taps, self.stored)):
                if stored:
                    states[k][t + history_length(taps)] = values[k]
                else:
                    states[k] = values[k]
            for j, value in enumerate(values[len(self.state_taps) :]):
                if t == 0:
                    nits[j] = np.empty((steps, *np.shape(value)), nit_types[j].dtype)
                nits[j][t] = value
        results = [np.asarray(s) for s in states] + nits
        return tuple(results) if len(results) > 1 else results[0]

    def _start(self, k: int, init: np.ndarray, steps: int) -> np.ndarray:
        """The history buffer of stored state ``k`` with its initial entries; else ``init``."""
        if not self.stored[k]:
            return init
        taps = self.state_taps[k]
        length = history_length(taps)
        entry = init.shape[1:] if is_window(taps) else init.shape
        history = np.empty((steps + length, *entry), self.state_type(k).dtype)
        history[:length] = init[:length] if is_window(taps) else init
        return history

    def count_steps(self, n_steps: int | None, lengths: Sequence[int], inits: Sequence[Any]) -> int:
        """The number of steps, checking that every sequence and initial value is long enough."""
        room = [n - sequence_span(taps) for n, taps in zip(lengths, self.seq_taps)]
        steps = min(room) if n_steps is None else n_steps
        short = [(j, n) for j, (n, r) in enumerate(zip(lengths, room)) if r < max(steps, 0)]
        if steps < 0 or short:
            raise ValueError(self.length_message(steps, short))
        for k, (init, taps) in enumerate(zip(inits, self.state_taps)):
            if is_window(taps) and len(init) < history_length(taps):
                raise ValueError(
                    f"{self}: the initial value of state {k} has shape {np.shape(init)}, but taps "
                    f"{list(taps)} need {history_length(taps)} initial entries"
                )
        return steps

    def length_message(self, steps: int, short: Sequence[tuple[int, int]]) -> str:
        """Why the sequences cannot feed ``steps`` steps (a shape error)."""
        if not short:
            return f"{self}: cannot run a negative number of steps ({steps})"
        parts = [
            f"sequence {j} has shape[0] {n} but taps {list(self.seq_taps[j])} need "
            f"{max(steps, 0) + sequence_span(self.seq_taps[j])}"
            for j, n in short
        ]
        return f"{self}: sequences too short for {max(steps, 0)} steps: " + "; ".join(parts)

    def pullback(self, inputs, outputs, output_grads):
        from symgraph.scan.grad import scan_pullback  # grad.py builds Scans: import when called

        return scan_pullback(self, inputs, outputs, output_grads)

    # -- generated code ------------------------------------------------------------------------
    @cached_property
    def loop_split(self) -> tuple[Graph, Graph]:
        """The step (rewritten already, in a compiled graph) as work before the loop, and the body."""
        return loop_invariant_split(self.step, self.n_varying)

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        """Preallocated histories, the loop-invariant work, then a ``for`` loop over the body."""
        # codegen never hands out a name ending in "_t" unnumbered, so "<first output>_t" is free
        t = f"{outs[0]}_t"
        n_steps, seqs, inits, invariants = self.split_inputs(names)
        before, body = self.loop_split
        steps = self._steps_text(n_steps, seqs)
        lines = self._checks(steps, seqs, inits)
        for k, (out, init) in enumerate(zip(outs, inits)):
            lines += self._start_text(k, out, init, steps)
        n_states = len(self.state_taps)
        nit_types = [v.type for v in self.step.outputs[n_states:]]
        for out, type_ in zip(outs[n_states:], nit_types):
            shape = "".join(f", {s or 0}" for s in type_.shape)
            lines.append(f"{out} = np.empty(({steps}{shape}), np.{type_.dtype})")
        before_lines, hoisted = inline(before, invariants, f"{outs[0]}_")
        lines += before_lines

        reads = [
            f"{x}[{_plus(t, sequence_offset(taps) + k)}]"
            for x, taps in zip(seqs, self.seq_taps)
            for k in taps
        ]
        for out, taps, stored in zip(outs, self.state_taps, self.stored):
            reads += [
                f"{out}[{_plus(t, history_length(taps) + k)}]" if stored else out for k in taps
            ]
        position = self.n_seq_args  # the step may advance its generator states in place
        owned = []
        for k, taps in enumerate(self.state_taps):
            if k in self._generator_states():
                owned.append(position)
            position += len(taps)
        # each step's value goes to its row of the history or output (computed there)
        rows = {
            k: f"{out}[{_plus(t, history_length(taps))}]"
            for k, (out, taps, stored) in enumerate(zip(outs, self.state_taps, self.stored))
            if stored
        }
        for j, (out, type_) in enumerate(zip(outs[n_states:], nit_types)):
            if None not in type_.shape:  # allocated before the loop
                rows[n_states + j] = f"{out}[{t}]"
        loop, results = inline(body, reads + hoisted, f"{outs[0]}_", owned=owned, into=rows)
        carried_outs, carried_results = [], []
        for out, stored, result in zip(outs, self.stored, results):
            if not stored and out != result:  # a generator advanced in place is already there
                carried_outs.append(out)
                carried_results.append(result)
        for out, type_, result in zip(outs[n_states:], nit_types, results[n_states:]):
            if None in type_.shape:
                loop.append(f"if {t} == 0:")
                loop.append(
                    f"    {out} = np.empty(({steps},) + np.shape({result}), np.{type_.dtype})"
                )
                loop.append(f"{out}[{t}] = {result}")
        if carried_outs:
            # last, and all at once: the results may read the values they replace
            loop.append(f"{', '.join(carried_outs)} = {', '.join(carried_results)}")
        return lines + [f"for {t} in range({steps}):"] + ["    " + line for line in loop]

    def _steps_text(self, n_steps: str | None, seqs: Sequence[str]) -> str:
        """The number of steps: ``n_steps``, or what the shortest sequence allows."""
        if n_steps is not None:
            return f"int({n_steps})"
        room = [_plus(f"len({x})", -sequence_span(taps)) for x, taps in zip(seqs, self.seq_taps)]
        return room[0] if len(room) == 1 else f"min({', '.join(room)})"

    def _checks(self, steps: str, seqs: Sequence[str], inits: Sequence[str]) -> list[str]:
        """Lines raising a shape error when the sequences or initial values are too short."""
        lines = []
        op = str(self).replace("{", "{{").replace("}", "}}")
        spans = [sequence_span(taps) for taps in self.seq_taps]
        shapes = ", ".join(f"{{{x}.shape}}" for x in seqs)
        taps = ", ".join(str(list(t)) for t in self.seq_taps)
        too_short = (
            f'    raise ValueError(f"{op}: sequences of shape {shapes} are too short for '
            f'{{{steps}}} steps with taps {taps}")'
        )
        if self.has_n_steps:
            lines += [
                f"if {steps} < 0:",
                f'    raise ValueError(f"{op}: cannot run a negative number of steps ({{{steps}}})")',
            ]
            if seqs:
                short = " or ".join(f"len({x}) < {_plus(steps, s)}" for x, s in zip(seqs, spans))
                lines += [f"if {short}:", too_short]
        elif any(spans):
            lines += [f"if {steps} < 0:", too_short]
        for k, (init, taps) in enumerate(zip(inits, self.state_taps)):
            if is_window(taps):
                need = history_length(taps)
                lines += [
                    f"if len({init}) < {need}:",
                    f'    raise ValueError(f"{op}: the initial value of state {k} has shape '
                    f'{{{init}.shape}}, but taps {list(taps)} need {need} initial entries")',
                ]
        return lines

    def _start_text(self, k: int, out: str, init: str, steps: str) -> list[str]:
        """The history buffer of state ``k`` holding its initial entries (or just the value)."""
        if not self.stored[k]:
            return [] if out == init else [f"{out} = {init}"]
        taps = self.state_taps[k]
        length = history_length(taps)
        dtype = self.state_type(k).dtype
        if not is_window(taps):
            return [
                f"{out} = np.empty(({_plus(steps, 1)},) + np.shape({init}), np.{dtype})",
                f"{out}[0] = {init}",
            ]
        return [
            f"{out} = np.empty(({_plus(steps, length)},) + np.shape({init})[1:], np.{dtype})",
            f"{out}[:{length}] = {init}[:{length}]",
        ]

    def __str__(self) -> str:
        return f"Scan{{{self.name}}}"


def _check_type(op: Op, what: str, outer: Variable, inner: TensorType, extra_dims: int) -> None:
    """An outer value must match its inner placeholder's dtype and number of dimensions."""
    if not isinstance(inner, TensorType) and outer.type == inner:
        return
    if not isinstance(outer.type, TensorType):
        raise TypeError(f"{op}: {what} must be a tensor, got {outer.type}")
    if outer.dtype != inner.dtype or outer.ndim != inner.ndim + extra_dims:
        raise TypeError(
            f"{op}: {what} has type {outer.type}, but the step function expects "
            f"{inner.dtype} with {inner.ndim + extra_dims} dimensions"
        )


def _plus(name: str, k: int) -> str:
    return name if k == 0 else f"{name} + {k}" if k > 0 else f"{name} - {-k}"
