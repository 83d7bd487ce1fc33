"""Randomized differential test: random programs over every op of the contract, in all
their spellings, compiled in FAST_RUN and FAST_COMPILE, against NumPy in long double;
gradients against central differences of that reference; each function is called twice,
the second call running in the workspace the first left, and must give the same results
without changing the first's. An exception is a failure.

The suite runs a few programs. For thousands:

    DIFFERENTIAL_GRAPHS=3000 DIFFERENTIAL_SEED=1 python -m pytest -q -x tests/test_differential.py

A failure prints the program as Python lines (inputs, nodes, outputs) to rerun by hand.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import symgraph

sys.path.insert(0, str(Path(__file__).parent))  # the generator lives beside the tests
from graphgen import LONG, Gradients, Picker, Program, generate, gradients, rounding  # noqa: E402
from graphgen_shapes import GROUPS  # noqa: E402

GRAPHS = int(os.environ.get("DIFFERENTIAL_GRAPHS", "100"))
SEED = int(os.environ.get("DIFFERENTIAL_SEED", "0"))
MODES = ("FAST_RUN", "FAST_COMPILE")


def program_for(index: int) -> Program:
    rng = np.random.default_rng([SEED, index])
    return generate(Picker(rng), GROUPS, size=int(rng.integers(3, 11)))


@pytest.mark.parametrize("index", range(GRAPHS))
def test_random_program_agrees_with_numpy(index):
    program = program_for(index)
    failures = check(program, np.random.default_rng([SEED, index, 1]))
    if failures:
        pytest.fail(
            f"program {index} (seed {SEED}):\n{program.text()}\n\n" + "\n".join(failures),
            pytrace=False,
        )


@pytest.mark.parametrize("index", range(GRAPHS))
def test_random_training_step_matches_one_without_in_place_work(index):
    """The program's float64 inputs as shared variables, each updated by a gradient step:
    three calls in FAST_RUN (the workspace, updates written in place, early where nothing
    after them can fail) give, bit for bit, what FAST_RUN computing every value into a new
    array gives."""
    program = program_for(index)
    wanted = gradients(program, np.random.default_rng([SEED, index, 1]))
    if not wanted.positions or any(
        d is not None for k in wanted.positions for d in program.inputs[k][0].type.shape
    ):  # a shared variable's shape is unknown: static sizes would not survive the givens
        return
    runs = []
    for mode in (symgraph.Mode(), symgraph.Mode(inplace=False)):
        shared = {k: symgraph.shared(program.inputs[k][2].copy()) for k in wanted.positions}
        given = {program.inputs[k][0]: s for k, s in shared.items()}
        rest = [k for k in range(len(program.inputs)) if k not in shared]
        updates = [(s, s - 0.01 * g) for s, g in zip(shared.values(), wanted.grads)]
        f = symgraph.function(
            [program.inputs[k][0] for k in rest],
            [o.var for o in program.outputs],
            updates=updates,
            givens=given,
            mode=mode,
            on_unused_input="ignore",
        )
        values = [program.inputs[k][2] for k in rest]
        with np.errstate(all="ignore"):
            runs.append(
                [
                    [np.array(v, copy=True) for v in f(*values)]
                    + [s.get_value() for s in shared.values()]
                    for _ in range(3)
                ]
            )
    for call, (ours, plain) in enumerate(zip(*runs)):
        for k, (a, b) in enumerate(zip(ours, plain)):
            if not _same(a, b):
                pytest.fail(
                    f"program {index} (seed {SEED}):\n{program.text()}\n\ncall {call}: "
                    f"value {k} is {np.asarray(a).tolist()} in place, {np.asarray(b).tolist()} not",
                    pytrace=False,
                )


def check(program: Program, rng: np.random.Generator, modes=MODES) -> list[str]:
    """What differs between symgraph and the reference on ``program``, as readable lines."""
    failures = list(program.probes)
    inputs = [var for var, _, _ in program.inputs]
    values = [value for _, _, value in program.inputs]
    reference = program.run(values)
    native, differ = program.native(values)
    failures += differ
    try:
        wanted = gradients(program, rng)
    except Exception as err:  # noqa: BLE001 (any exception is a finding)
        return [*failures, f"grad: {type(err).__name__}: {err}"]
    expected = _finite_differences(program, values, wanted)
    eps, scale = rounding(program, reference)
    outputs = program.outputs
    for mode in modes:
        try:
            f = symgraph.function(
                inputs, [o.var for o in outputs] + wanted.grads, mode=mode, on_unused_input="ignore"
            )
            with np.errstate(all="ignore"):
                got = f(*values)
                first = [np.array(value, copy=True) for value in got]
                again = f(*values)  # runs in the workspace the first call left
        except Exception as err:  # noqa: BLE001 (any exception is a finding)
            failures.append(f"{mode}: {type(err).__name__}: {err}")
            continue
        for k, (value, kept, second) in enumerate(zip(first, got, again)):
            if not (_same(value, second) and _same(value, kept)):
                failures.append(f"{mode}: result {k} of a second call differs from the first's")
        for o, value in zip(outputs, got):
            problem = _compare(value, reference[o.step], native[o.step], o.var, scale, eps)
            if problem:
                failures.append(f"{mode}: {o.name} {problem}")
        for k, value, want in zip(wanted.positions, got[len(outputs) :], expected):
            problem = _compare_gradient(np.asarray(value), want, values[k], eps)
            if problem:
                failures.append(f"{mode}: gradient wrt {inputs[k].name} {problem}")
    return failures


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def _compare(got, want, native, var, scale: float, eps: float) -> str | None:
    got = np.asarray(got)
    if got.dtype != var.dtype:
        return f"has dtype {got.dtype}, its variable {var.dtype}"
    if got.shape != want.shape:
        return f"has shape {got.shape}, NumPy gives {want.shape}"
    if want.dtype != LONG:
        return (
            None if np.array_equal(got, want) else f"is {got.tolist()}, NumPy gives {want.tolist()}"
        )
    allowed = 4 * np.abs(native.astype(LONG) - want) + 64 * eps * (np.abs(want) + scale)
    error = np.abs(got.astype(LONG) - want)
    bad = ~((error <= allowed) | (np.isnan(want) & np.isnan(got)) | (got == want))
    if np.any(bad):
        return f"is {got.tolist()}, NumPy in long double gives {want.astype(float).tolist()}"
    return None


def _finite_differences(program: Program, values: list, wanted: Gradients) -> list[np.ndarray]:
    """The cost's gradient w.r.t. each input at ``wanted.positions`` by central differences
    in long double; NaN where two step sizes disagree (the reference is not smooth there)."""

    def cost(point):
        results = program.run(point)
        return sum((results[o.step] * w).sum() for o, w in zip(wanted.costed, wanted.weights))

    def derivative(k, i, h):
        step = h * max(LONG(1), abs(LONG(values[k][i])))
        ends = []
        for sign in (1, -1):
            moved = values[k].astype(LONG)
            moved[i] += sign * step
            ends.append(cost([moved if j == k else v for j, v in enumerate(values)]))
        return (ends[0] - ends[1]) / (2 * step)

    found = []
    for k in wanted.positions:
        gradient = np.zeros(values[k].shape, dtype=LONG)
        for i in np.ndindex(values[k].shape):
            coarse, fine = derivative(k, i, LONG(1e-6)), derivative(k, i, LONG(2.5e-7))
            gradient[i] = fine if abs(coarse - fine) <= 1e-6 * (1 + abs(fine)) else np.nan
        found.append(gradient)
    return found


def _compare_gradient(
    got: np.ndarray, want: np.ndarray, base: np.ndarray, eps: float
) -> str | None:
    if got.shape != base.shape or got.dtype != base.dtype:
        return f"has shape {got.shape} and dtype {got.dtype}, the input {base.shape} {base.dtype}"
    known = np.isfinite(want)
    size = float(np.max(np.abs(want[known]), initial=1.0))
    error = np.abs(got.astype(LONG) - want)
    bad = known & ~(error <= max(1e-6, 1000 * eps) * (np.abs(want) + size))
    if np.any(bad):
        return f"is {got.tolist()}, finite differences give {want.astype(float).tolist()}"
    return None
