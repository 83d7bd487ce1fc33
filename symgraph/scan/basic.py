"""``scan`` and its shorthands ``map``, ``reduce``, ``foldl``, ``foldr``, with Theano's semantics."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any

from symgraph.compile.shared import default_updates
from symgraph.graph.basic import Variable
from symgraph.graph.traversal import graph_inputs, rebuild
from symgraph.scan.inner import is_free, placeholder
from symgraph.scan.loop import SequenceIn, StateIn, element_placeholder, make_loop
from symgraph.scan.op import history_length, is_window
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import as_tensor_variable


def scan(
    fn: Callable[..., Any],
    sequences: Any = None,
    outputs_info: Any = None,
    non_sequences: Any = None,
    n_steps: Any = None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    name: str | None = None,
    strict: bool = False,
    return_list: bool = False,
) -> tuple[Any, dict]:
    """A symbolic loop: apply ``fn`` at every step, feeding chosen results back.

    Parameters
    ----------
    fn
        Called once, symbolically, with (in order) the current element of each
        sequence for each of its taps, the previous values of each fed-back output
        for each of its taps, then the non-sequences. Returns the step's outputs
        (a variable or a list, one per ``outputs_info`` entry), or a dict of
        updates ``{shared: new_value}``, or both as ``(outputs, updates)``.
    sequences
        Variables iterated over their first axis, or ``dict(input=x, taps=[-2, -1])``
        to read several elements around the current one (taps default to ``[0]``).
    outputs_info
        One entry per output of ``fn``: None (not fed back), an initial value
        (fed back as ``taps=[-1]``), or ``dict(initial=x0, taps=[-2, -1])`` where
        ``x0`` holds the ``-min(taps)`` initial entries along its first axis.
    non_sequences
        Values passed unchanged to every step.
    n_steps
        Number of steps; by default the length of the shortest sequence (minus
        what its taps need). Sequences shorter than ``n_steps`` are a ValueError.
    truncate_gradient
        Backpropagate through at most this many final steps (-1: all of them).
    go_backwards
        Iterate over the sequences from last to first.
    name
        Shown by printing and in generated code.
    strict
        Require every value ``fn`` reads to come from its arguments (no closure
        over outer variables or shared variables).
    return_list
        Return a list of outputs even when there is exactly one.

    Returns
    -------
    (outputs, updates)
        ``outputs``: one variable per ``outputs_info`` entry, each holding the
        results of every step along its first axis (a single variable when there
        is one, None when there are none). ``updates``: ``{shared: final value}``
        for the updates ``fn`` returned; pass it to ``function(updates=...)``.

    Examples
    --------
    >>> import numpy as np
    >>> import symgraph as theano
    >>> import symgraph.tensor as T
    >>> x = T.dvector("x")
    >>> total, _ = theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=T.constant(0.0))
    >>> total.eval({x: np.array([1.0, 2.0, 3.0])})
    array([1., 3., 6.])
    """
    name = name or "scan"
    seqs = [_sequence(s, go_backwards) for s in _as_list(sequences)]
    infos = [_output_info(o) for o in _as_list(outputs_info)]
    non_seqs = [
        v if isinstance(v, Variable) else as_tensor_variable(v) for v in _as_list(non_sequences)
    ]
    # as in Theano, fn sees the non-sequences themselves (so ``T.grad(y[i], x)`` inside it
    # is connected); they become the loop's invariant inputs below
    ns_args = non_seqs
    state_args = [_state_placeholders(init, taps) for init, taps in infos if init is not None]
    args = [a for s in seqs for a in s.args] + [a for group in state_args for a in group]
    outputs, updates = _outputs_and_updates(fn(*args, *ns_args))
    # as in Theano, the step also advances what its draws read (their default updates)
    updates.update(default_updates(outputs + list(updates.values()), updates))
    if not infos:
        infos = [(None, ())] * len(outputs)
    if len(outputs) != len(infos):
        raise TypeError(
            f"{name}: fn returned {len(outputs)} outputs but outputs_info has {len(infos)} entries"
        )
    if strict:
        _check_strict(outputs + list(updates.values()), args + ns_args, name)

    # the step reads updated shared variables through placeholders
    carried = {shared: placeholder(shared) for shared in updates}
    results = rebuild(outputs + list(updates.values()), carried)
    outputs, new_shared = results[: len(outputs)], results[len(outputs) :]

    groups = iter(state_args)
    states, nit_outputs, kinds = [], [], []
    for (init, taps), out in zip(infos, outputs):
        if init is None:
            kinds.append(("nit", len(nit_outputs)))
            nit_outputs.append(out)
        else:
            kinds.append(("state", len(states)))
            states.append(StateIn(init, taps, next(groups), out))
    for shared, new in zip(updates, new_shared):
        states.append(StateIn(shared, (-1,), [carried[shared]], new, stored=False))
    n_steps = None if n_steps is None else as_tensor_variable(n_steps)
    node_outputs = make_loop(seqs, states, nit_outputs, n_steps, truncate_gradient, name)

    # a state's output is its history without the initial entries
    results = [
        node_outputs[len(states) + i]
        if kind == "nit"
        else node_outputs[i][history_length(states[i].taps) :]
        for kind, i in kinds
    ]
    final = dict(zip(updates, node_outputs[len(states) - len(updates) : len(states)]))
    if return_list or len(results) > 1:
        return results, final
    return (results[0] if results else None), final


def map(
    fn: Callable[..., Any],
    sequences: Any,
    non_sequences: Any = None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    name: str | None = None,
) -> tuple[Any, dict]:
    """``fn`` applied to each element of the sequences: ``scan`` with nothing fed back."""
    return scan(
        fn,
        sequences,
        None,
        non_sequences,
        truncate_gradient=truncate_gradient,
        go_backwards=go_backwards,
        name=name or "map",
    )


def reduce(
    fn: Callable[..., Any],
    sequences: Any,
    outputs_info: Any,
    non_sequences: Any = None,
    go_backwards: bool = False,
    name: str | None = None,
) -> tuple[Any, dict]:
    """The last value of a ``scan``: ``reduce(lambda x, acc: acc + x, xs, 0.0)`` sums ``xs``."""
    outputs, updates = scan(
        fn,
        sequences,
        outputs_info,
        non_sequences,
        go_backwards=go_backwards,
        name=name or "reduce",
        return_list=True,
    )
    last = [out[-1] for out in outputs]
    return (last[0] if len(last) == 1 else last), updates


def foldl(
    fn: Callable[..., Any], sequences: Any, outputs_info: Any, non_sequences: Any = None, name=None
) -> tuple[Any, dict]:
    """``reduce`` from the first element to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, False, name or "foldl")


def foldr(
    fn: Callable[..., Any], sequences: Any, outputs_info: Any, non_sequences: Any = None, name=None
) -> tuple[Any, dict]:
    """``reduce`` from the last element to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, True, name or "foldr")


# -- arguments ---------------------------------------------------------------------------------


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _taps(taps: Any, what: str) -> tuple[int, ...]:
    taps = tuple(int(k) for k in _as_list(taps))
    if not taps or len(set(taps)) != len(taps):
        raise TypeError(f"scan: {what} taps must be distinct integers, got {list(taps)}")
    return taps


def _tap_name(x: Variable, k: int) -> str | None:
    """``x[t-1]``-style names for the step's placeholders, so printed inner graphs read well."""
    if x.name is None:
        return None
    return f"{x.name}[t{k:+d}]" if k else f"{x.name}[t]"


def _state_placeholders(init: Variable, taps: tuple[int, ...]) -> list[Variable]:
    """What the step reads of a state, one placeholder per tap (an entry of a window init)."""
    make = element_placeholder if is_window(taps) else placeholder
    return [make(init, _tap_name(init, k)) for k in taps]


def _sequence(seq: Any, go_backwards: bool) -> SequenceIn:
    if isinstance(seq, Mapping):
        unknown = set(seq) - {"input", "taps"}
        if unknown or "input" not in seq:
            raise TypeError(
                f"scan: a sequence dict takes keys 'input' and 'taps', got {sorted(seq)}"
            )
        x, taps = as_tensor_variable(seq["input"]), _taps(seq.get("taps", [0]), "sequence")
    else:
        x, taps = as_tensor_variable(seq), (0,)
    if x.ndim == 0:
        raise TypeError(f"scan: a sequence must have at least one dimension, got {x!r} ({x.type})")
    outer = x[::-1] if go_backwards else x
    return SequenceIn(outer, taps, [element_placeholder(x, _tap_name(x, k)) for k in taps])


def _output_info(info: Any) -> tuple[Variable | None, tuple[int, ...]]:
    """``(initial value, taps)``; ``(None, ())`` for an output that is not fed back."""
    if isinstance(info, Mapping):
        unknown = set(info) - {"initial", "taps"}
        if unknown:
            raise TypeError(
                f"scan: an outputs_info dict takes 'initial' and 'taps', got {sorted(info)}"
            )
        if info.get("initial") is None:
            if info.get("taps"):
                raise TypeError("scan: outputs_info taps need an 'initial' value")
            return None, ()
        taps = _taps(info.get("taps", [-1]), "output")
        init = as_tensor_variable(info["initial"])
    elif info is None:
        return None, ()
    else:
        init, taps = as_tensor_variable(info), (-1,)
    if builtins.max(taps) >= 0:
        raise TypeError(f"scan: output taps must be negative (past values), got {list(taps)}")
    if is_window(taps) and init.ndim == 0:
        raise TypeError(
            f"scan: taps {list(taps)} need an initial value with the past entries along its "
            f"first axis, got the scalar {init!r}"
        )
    return init, taps


def _is_updates(x: Any) -> bool:
    if isinstance(x, Mapping):
        return True
    return (
        isinstance(x, (list, tuple))
        and bool(x)
        and all(isinstance(p, (list, tuple)) and len(p) == 2 and _is_shared(p[0]) for p in x)
    )


def _is_shared(v: Any) -> bool:
    return isinstance(v, Variable) and v.owner is None and hasattr(v, "get_value")


def _outputs_and_updates(result: Any) -> tuple[list[Variable], dict]:
    """Split what ``fn`` returned into its outputs and its updates, as Theano does."""
    if _is_updates(result):
        outputs, updates = [], result
    elif isinstance(result, tuple) and len(result) == 2 and _is_updates(result[1]):
        outputs, updates = result
    elif isinstance(result, tuple) and len(result) == 2 and _is_updates(result[0]):
        updates, outputs = result
    else:
        outputs, updates = result, {}
    updates = dict(updates.items() if isinstance(updates, Mapping) else updates)
    for shared, new in list(updates.items()):
        if not _is_shared(shared):
            raise TypeError(f"scan: updates must be keyed by shared variables, got {shared!r}")
        if not isinstance(shared.type, TensorType):
            if getattr(new, "type", None) != shared.type:
                raise TypeError(f"scan: the update of {shared!r} ({shared.type}) is {new!r}")
            continue
        new = as_tensor_variable(new)
        if new.dtype != shared.dtype or new.ndim != shared.ndim:
            raise TypeError(
                f"scan: the update of {shared!r} ({shared.type}) has type {new.type}; "
                f"cast it, e.g. T.cast(new, {shared.dtype!r})"
            )
        updates[shared] = new
    return [as_tensor_variable(o) for o in _as_list(outputs)], updates


def _check_strict(results: list[Variable], args: list[Variable], name: str) -> None:
    given = set(args)
    hidden = [v for v in graph_inputs(results) if is_free(v) and v not in given]
    if hidden:
        raise TypeError(
            f"{name}: strict=True, but fn reads {', '.join(builtins.map(repr, hidden))} without receiving "
            f"it; pass it in non_sequences"
        )
