"""Backpropagation through time: the pullback of a scan is a scan running backwards.

Step ``t`` of the forward loop reads entries ``t + k`` (``-L <= k < 0``) of a
state's history, counted from ``t + L``, and writes entry ``t + L``. Going
backwards from the last step, the adjoint of the entry step ``t`` wrote is
complete once the later steps that read it are done. So the backward loop
carries, per state, the adjoints of the ``L`` entries ``t + 1 .. t + L`` that
are still accumulating (a window; one value for a ``taps=[-1]`` state), and one
running sum per loop-invariant input. Each backward step is the
vector-Jacobian product of the forward step, built by ``grad`` over the step's
inner graph: an ordinary graph, so a scan's gradient can be differentiated again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.graph.traversal import graph_inputs, rebuild
from symgraph.scan.inner import differentiable, is_zero, placeholder, vjp
from symgraph.scan.loop import SequenceIn, StateIn, element_placeholder, make_loop
from symgraph.scan.op import Scan, history_length, is_window, sequence_offset, sequence_span


def scan_pullback(
    op: Scan, inputs: Sequence[Variable], outputs: Sequence[Variable], output_grads: Sequence[Any]
) -> list[Variable | None]:
    """Gradients of a Scan node's inputs, computed by a backward Scan."""
    n_steps, seqs, inits, invariants = op.split_inputs(inputs)
    n_states = len(op.state_taps)
    grads = [None if g is None or is_zero(g) else g for g in output_grads]
    if all(g is None for g in grads):
        return [None] * len(inputs)
    if op.destroy_map:
        raise NotImplementedError(
            "the loop draws random numbers, which its backward pass cannot draw again; draw "
            "the noise outside the scan and pass it in as a sequence"
        )
    results = list(outputs)
    if not all(op.stored):
        # the backward loop reads every state's past values: recompute them, all kept
        results = dataclasses.replace(op, stored=(True,) * n_states).make_node(*inputs).outputs
        for k, stored in enumerate(op.stored):
            if not stored and grads[k] is not None:
                grads[k] = T.inc_subtensor(T.zeros_like(results[k])[-1], grads[k])
    backward = Backward(op, _forward_steps(op, n_steps, seqs))
    seq_grads, init_grads, invariant_grads = backward.build(
        seqs, inits, list(results), grads, invariants
    )
    return ([] if n_steps is None else [None]) + seq_grads + init_grads + invariant_grads


def _forward_steps(op: Scan, n_steps: Variable | None, seqs: Sequence[Variable]) -> Variable:
    """The forward loop's number of steps, as a graph."""
    if n_steps is not None:
        return T.cast(n_steps, "int64")
    lengths = [x.shape[0] - sequence_span(taps) for x, taps in zip(seqs, op.seq_taps)]
    result = lengths[0]
    for other in lengths[1:]:
        result = T.minimum(result, other)
    return result


def _add(a: Variable | None, b: Variable | None) -> Variable | None:
    if a is None or b is None:
        return b if a is None else a
    return a + b


class Backward:
    """The backward loop of one forward Scan, over its last ``count`` steps."""

    def __init__(self, op: Scan, length: Variable) -> None:
        self.op = op
        if op.truncate_gradient >= 0:
            self.count = T.minimum(length, op.truncate_gradient)
            self.start: Variable | None = length - self.count
        else:
            self.count, self.start = length, None

    def read(self, x: Variable, first: int) -> Variable:
        """``x[start + first : ... + count]`` reversed: step ``t``'s entry, last step first."""
        lo = first if self.start is None else self.start + first
        return x[lo : lo + self.count][::-1]

    def put(self, total: Variable | None, x: Variable, first: int, rows: Variable) -> Variable:
        """``total`` (zeros like ``x`` when None) plus the backward loop's ``rows`` in time order."""
        total = T.zeros_like(x) if total is None else total
        lo = first if self.start is None else self.start + first
        return T.inc_subtensor(total[lo : lo + self.count], rows[::-1])

    def build(self, seqs, inits, results, grads, invariants) -> tuple[list, list, list]:
        """``(sequence grads, initial-value grads, invariant grads)``, None where disconnected.

        ``results`` are the forward loop's: each state's whole history, then the
        outputs not fed back.
        """
        op, step = self.op, self.op.step
        n_states = len(op.state_taps)
        sequences, computed, direct = self._reads(seqs, results, grads)
        pending = {
            k: placeholder(self._no_pending(h, op.state_taps[k]), f"pending_grad_{k}")
            for k, h in enumerate(results[:n_states])
            if differentiable(step.outputs[k])
        }
        adjoints = []
        for k in range(len(step.outputs)):
            late = None
            if k in pending:
                taps = op.state_taps[k]
                late = pending[k][history_length(taps) - 1] if is_window(taps) else pending[k]
            adjoints.append(_add(late, direct[k]))
        input_grads = vjp(step.outputs, adjoints, step.inputs)

        states = []
        position = op.n_seq_args
        for k, taps in enumerate(op.state_taps):
            tap_grads = input_grads[position : position + len(taps)]
            position += len(taps)
            if k in pending:
                new = _shifted(pending[k], taps, tap_grads)
                start = self._no_pending(results[k], taps)
                states.append(StateIn(start, (-1,), [pending[k]], new, stored=False))
        summed = [i for i in range(len(invariants)) if input_grads[op.n_varying + i] is not None]
        for i in summed:
            c = invariants[i]
            arg = placeholder(c, f"grad_of_{c.name}" if c.name else None)
            new = arg + input_grads[op.n_varying + i]
            states.append(StateIn(T.zeros_like(c), (-1,), [arg], new, stored=False))
        with_grads = [i for i in range(op.n_seq_args) if input_grads[i] is not None]

        # the step read the invariants through placeholders: give it the outer values
        outer_values = dict(zip(step.inputs[op.n_varying :], invariants)) | computed
        per_step = [input_grads[i] for i in with_grads]
        exprs = rebuild([s.next for s in states] + per_step, outer_values)
        for s, new in zip(states, exprs):
            s.next = new
        used = set(graph_inputs(exprs))
        sequences = [s for s in sequences if s.args[0] in used]
        outs = make_loop(
            sequences, states, exprs[len(states) :], self.count, name=f"grad_of_{op.name}"
        )
        finals = dict(zip(list(pending) + [("invariant", i) for i in summed], outs))

        init_grads = [
            self._init_grad(init, taps, finals.get(k), grads[k])
            for k, (init, taps) in enumerate(zip(inits, op.state_taps))
        ]
        invariant_grads = [finals.get(("invariant", i)) for i in range(len(invariants))]
        seq_grads: list[Variable | None] = [None] * len(seqs)
        tap_positions = [(j, k) for j, taps in enumerate(op.seq_taps) for k in taps]
        for i, rows in zip(with_grads, outs[len(states) :]):
            j, k = tap_positions[i]
            first = sequence_offset(op.seq_taps[j]) + k
            seq_grads[j] = self.put(seq_grads[j], seqs[j], first, rows)
        return seq_grads, init_grads, invariant_grads

    def _reads(self, seqs, results, grads) -> tuple[list[SequenceIn], dict, list]:
        """What the backward step reads at step ``t``, as sequences of the backward loop.

        Returns the sequences; the placeholders standing for what forward step
        ``t`` computed (``{inner output: placeholder}``: stored, so read rather than
        recomputed); and one placeholder per output for its direct gradient (None
        where there is none). The forward step's own placeholders stand for the
        values it read.
        """
        op, step = self.op, self.op.step
        n_states = len(op.state_taps)
        forward_args = iter(step.inputs)
        sequences = [
            SequenceIn(self.read(x, sequence_offset(taps) + k), (0,), [next(forward_args)])
            for x, taps in zip(seqs, op.seq_taps)
            for k in taps
        ]
        sequences += [
            SequenceIn(self.read(h, history_length(taps) + k), (0,), [next(forward_args)])
            for h, taps in zip(results[:n_states], op.state_taps)
            for k in taps
        ]
        computed: dict[Variable, Variable] = {}
        direct: list[Variable | None] = []
        for k, (out, g) in enumerate(zip(step.outputs, grads)):
            first = history_length(op.state_taps[k]) if k < n_states else 0
            if out.owner is not None and out not in computed:
                computed[out] = placeholder(out)
                sequences.append(SequenceIn(self.read(results[k], first), (0,), [computed[out]]))
            direct.append(None if g is None else element_placeholder(g, None))
            if g is not None:
                sequences.append(SequenceIn(self.read(g, first), (0,), [direct[-1]]))
        return sequences, computed, direct

    @staticmethod
    def _no_pending(history: Variable, taps: Sequence[int]) -> Variable:
        """Zeros shaped like the pending adjoints of a state (a window, or one entry)."""
        return T.zeros_like(history[: history_length(taps)] if is_window(taps) else history[0])

    def _init_grad(self, init, taps, pending_final, history_grad) -> Variable | None:
        """The gradient of a state's initial value: what reached its entries, plus direct."""
        length = history_length(taps)
        reached = pending_final
        if reached is not None and self.start is not None:
            # a truncated backward loop reaches the initial entries only if it went all the way
            reached = T.switch(T.eq(self.start, 0), reached, T.zeros_like(reached))
        if history_grad is not None:
            reached = _add(reached, history_grad[:length] if is_window(taps) else history_grad[0])
        if reached is None or not is_window(taps):
            return reached
        return T.inc_subtensor(T.zeros_like(init)[:length], reached)


def _shifted(pending: Variable, taps: Sequence[int], tap_grads: Sequence[Variable | None]):
    """The pending adjoints one step earlier: shifted down one entry, plus what step t read."""
    if not is_window(taps):
        return T.zeros_like(pending) if tap_grads[0] is None else tap_grads[0]
    length = history_length(taps)
    shifted = T.concatenate([T.zeros_like(pending[:1]), pending[:-1]])
    for k, g in zip(taps, tap_grads):
        if g is not None:
            shifted = T.inc_subtensor(shifted[length + k], g)
    return shifted
