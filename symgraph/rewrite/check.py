"""DEBUG_MODE's check of every rule firing: before and after must agree on random inputs.

Both expressions are evaluated with each op's ``impl`` from random values of
the graph's inputs (shared variables keep their values), so every intermediate
value is consistent with the others. A trial fixes one size for the axes the
graph leaves unknown (small first, then each static size in sight) and one
value range; its values are kept, so each node is evaluated once per trial.
Where the original value is not finite (the cases stabilizing rules exist for)
any finite replacement value is accepted.
"""

from __future__ import annotations

import numpy as np

from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.syntax import brief
from symgraph.graph.traversal import ancestors, postorder
from symgraph.rewrite.engine import Firing

#: (relative, absolute) tolerance per dtype kind and size; the absolute one scales with |value|
TOLERANCE = {"float64": (1e-6, 1e-9), "complex128": (1e-6, 1e-9)}
LOOSE = (1e-3, 1e-4)
#: value ranges tried: positive values (logs, roots), then both signs
RANGES = ((0.5, 2.0), (-2.0, 2.0))


class RewriteCheckError(AssertionError):
    """A rule firing changed a value: the message names the rule and where it is defined."""


def _random(v: Variable, size: int, low: float, high: float, rng) -> np.ndarray:
    shape = tuple(size if s is None else s for s in v.type.shape)
    kind = np.dtype(v.dtype).kind
    if kind == "b":
        return rng.random(shape) < 0.5
    if kind in "iu":
        return rng.integers(1, 4, size=shape).astype(v.dtype)
    values = rng.uniform(low, high, size=shape)
    if kind == "c":
        values = values + 1j * rng.uniform(low, high, size=shape)
    return values.astype(v.dtype)


def _sizes(var: Variable) -> list[int]:
    """Sizes to try for axes of unknown size: small, then each static size in sight."""
    static = {s for v in ancestors([var]) for s in getattr(v.type, "shape", ()) if s is not None}
    return [3] + sorted(static - {1, 3})


class _Failed:
    """The marker of a value that could not be computed with a trial's inputs."""


class _Trial:
    """Random values for the graph's inputs (one size for unknown axes, one value range), and
    every value computed from them so far: each node is evaluated once per trial."""

    def __init__(self, size: int, low: float, high: float, seed: int) -> None:
        self.size, self.low, self.high = size, low, high
        self.rng = np.random.default_rng(seed)
        self.values: dict[Variable, object] = {}

    def value(self, var: Variable):
        """The value of ``var``, or a ``_Failed`` instance."""
        return postorder(var, self.values, self._root, self._evaluate)

    def _evaluate(self, node: Apply) -> None:
        """Enter the values of ``node``'s outputs (``_Failed`` where they cannot be computed)."""
        args = [self.values[i] for i in node.inputs]
        if any(isinstance(a, _Failed) for a in args):
            results = [_Failed()] * len(node.outputs)
        else:
            with np.errstate(all="ignore"):
                try:
                    results = node.op.impl(*args)
                    results = [np.asarray(results)] if len(node.outputs) == 1 else results
                except (ValueError, IndexError, TypeError):
                    results = [_Failed()] * len(node.outputs)
        self.values.update(zip(node.outputs, results))

    def _root(self, v: Variable):
        if isinstance(v, Constant):
            return np.asarray(v.value)
        if hasattr(v, "get_value"):
            return v.get_value(borrow=True)
        return _random(v, self.size, self.low, self.high, self.rng)


class NumericCheck:
    """Called with each firing; raises ``RewriteCheckError`` on a mismatch.

    ``checked`` and ``skipped`` count the firings compared and those no trial
    size could evaluate (an index out of range, say).
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.trials: dict[tuple, _Trial] = {}
        self.checked = 0
        self.skipped = 0

    def _trial(self, size: int, low: float, high: float) -> _Trial:
        key = (size, low, high)
        if key not in self.trials:
            self.trials[key] = _Trial(size, low, high, self.seed + len(self.trials))
        return self.trials[key]

    def __call__(self, firing: Firing) -> None:
        before, after = firing.before, firing.after
        compared = False
        for low, high in RANGES:
            for size in _sizes(before):
                trial = self._trial(size, low, high)
                old = trial.value(before)
                if isinstance(old, _Failed):
                    continue
                new = trial.value(after)
                if isinstance(new, _Failed):
                    raise self._error(
                        firing, "the replacement cannot be evaluated where the original can"
                    )
                self._compare(firing, np.asarray(old), np.asarray(new))
                compared = True
                break
        if compared:
            self.checked += 1
        else:
            self.skipped += 1

    def _compare(self, firing: Firing, old: np.ndarray, new: np.ndarray) -> None:
        if old.shape != new.shape:
            raise self._error(firing, f"shape {old.shape} became {new.shape}")
        if old.dtype.kind not in "fc":
            if not np.array_equal(old, new):
                raise self._error(firing, f"values {old.ravel()[:5]} became {new.ravel()[:5]}")
            return
        finite = np.isfinite(old)
        if not finite.any():
            return
        rtol, atol = TOLERANCE.get(str(old.dtype), LOOSE)
        expected, got = old[finite], new[finite]
        scale = max(1.0, float(np.max(np.abs(expected))))
        close = np.isclose(got, expected, rtol=rtol, atol=atol * scale) & np.isfinite(got)
        if not close.all():
            worst = int(np.argmin(close))
            raise self._error(
                firing, f"value {expected[worst]!r} became {got[worst]!r} (and others)"
            )

    @staticmethod
    def _error(firing: Firing, what: str) -> RewriteCheckError:
        rule = firing.rule
        return RewriteCheckError(
            f"rule {rule.name} (defined at {rule.where}) changed the value of "
            f"{brief(firing.before)} -> {brief(firing.after)} at {firing.where}: {what}"
        )
