"""Random programs over symgraph's op library, each with a NumPy reference (a test helper).

A ``Builder`` grows a program one node at a time. Each op (``graphgen_shapes.GROUPS``)
takes operands from the pool of values built so far, checks that their values at
the base point keep away from the edges and kinks of its domain (so values compare
and finite differences mean something), builds the node with one of the op's
spellings (operator, ``T.fn``, method, ``T.nnet.fn``) and records the NumPy
function that computes it. The program then runs without symgraph: in long
double, in the declared dtypes, and differentiated by central differences.

Every choice goes through a ``Picker``: a NumPy generator for the long randomized
runs, or hypothesis's ``data.draw`` for property tests (which then shrink).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable

LONG = np.longdouble
#: how far values keep from a kink or a domain edge (abs, floor, max ties, log at 0, ...)
MARGIN = 0.02


class Picker:
    """The random choices of one program, from a NumPy generator or from hypothesis."""

    def __init__(self, rng: np.random.Generator | None = None, data: Any = None) -> None:
        self.data = data
        if data is not None:
            from hypothesis import strategies as st

            self._st = st
            rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="values"))
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        """An int in ``[low, high]``."""
        if self.data is not None:
            return self.data.draw(self._st.integers(low, high))
        return int(self.rng.integers(low, high + 1))

    def choice(self, options: Sequence[Any]) -> Any:
        return options[self.integer(0, len(options) - 1)]

    def chance(self, p: float) -> bool:
        return self.integer(0, 99) < 100 * p


@dataclass(eq=False)
class Value:
    """A value of the program: its variable (or a raw number or array, spelled as a
    constant), its step, its declared dtype, its reference value at the base point (long
    double for floats) and its name in the program's text."""

    var: Any
    step: int
    dtype: str
    value: np.ndarray
    name: str

    @property
    def kind(self) -> str:
        return np.dtype(self.dtype).kind

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def static(self) -> tuple[int | None, ...]:
        """The static shape of the variable; a raw constant's is its array's."""
        return self.var.type.shape if isinstance(self.var, Variable) else np.shape(self.var)


def raw_dtype(raw: Any) -> str:
    """The dtype symgraph gives a raw constant (a Python number is weak: it adapts)."""
    if isinstance(raw, bool):
        return "bool"
    if isinstance(raw, int):
        return "int64"
    if isinstance(raw, float):
        return "float64"
    return str(np.asarray(raw).dtype)


@dataclass
class Step:
    """How the reference computes one value: an input (``fn`` and ``const`` None), a
    constant (``const``, a raw Python number kept weak as NumPy keeps it), or ``fn`` of the
    values of earlier steps ``args``."""

    fn: Callable | None
    args: tuple[int, ...]
    dtype: str  # the declared dtype of the result
    text: str  # the line of the program that builds it
    const: Any = None


@dataclass
class Program:
    """The steps, the inputs (variable, step, value given to the compiled function) and the
    outputs; ``probes`` are index expressions both NumPy and symgraph must reject."""

    steps: list[Step] = field(default_factory=list)
    inputs: list[tuple[Variable, int, np.ndarray]] = field(default_factory=list)
    outputs: list[Value] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)

    def run(self, values: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Every step's value for the inputs ``values``, floats in long double."""
        return self._run(values, long=True)[0]

    def native(self, values: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[str]]:
        """Every step's value computed in the declared dtypes, as plain NumPy would, and the
        steps whose NumPy result dtype differs from the declared one."""
        return self._run(values, long=False)

    def _run(self, values: Sequence[np.ndarray], long: bool) -> tuple[list, list[str]]:
        given = {step: v for (_, step, _), v in zip(self.inputs, values)}
        results: list[Any] = []
        differ: list[str] = []
        for k, step in enumerate(self.steps):
            if step.fn is None and step.const is None:
                value = np.asarray(given[k])
            elif step.fn is None:
                value = step.const if not long else np.asarray(step.const)
                if not long and isinstance(value, (int, float)):
                    results.append(value)  # weak, as symgraph treats it
                    continue
            else:
                args = [results[i] for i in step.args]
                with np.errstate(all="ignore"):
                    value = np.asarray(step.fn(*args))
                if not long and value.dtype != step.dtype:
                    differ.append(f"{step.text}: NumPy gives {value.dtype}, not {step.dtype}")
            if long and value.dtype.kind == "f":
                results.append(np.asarray(value, dtype=LONG))
            else:
                results.append(np.asarray(value).astype(step.dtype))
        return results, differ

    def text(self) -> str:
        """The program as Python lines, to reproduce a failure by hand."""
        lines = [s.text for s in self.steps if s.text]
        values = ", ".join(f"{var.name}={value.tolist()!r}" for var, _, value in self.inputs)
        lines.append(f"# inputs: {values}")
        lines.append(f"# outputs: {', '.join(o.name for o in self.outputs)}")
        return "\n".join(lines)


class Builder:
    """Grows a ``Program``: inputs, constants and nodes, each a ``Value`` in the pool."""

    def __init__(self, pick: Picker, max_inputs: int = 3) -> None:
        self.pick = pick
        self.rng = pick.rng
        self.program = Program()
        self.pool: list[Value] = []
        self.max_inputs = max_inputs

    # -- leaves --------------------------------------------------------------------------------
    def input(self, dtype: str | None = None, shape: Sequence[int] | None = None) -> Value:
        """A new input, its static shape a random mix of known sizes and None."""
        return self._register(self._candidate(dtype, shape))

    def _candidate(self, dtype: str | None = None, shape: Sequence[int] | None = None) -> Value:
        """An input not yet in the program (``operand`` may still refuse it)."""
        pick = self.pick
        dtype = dtype or pick.choice(["float64"] * 6 + ["float32", "int32", "int64"])
        if shape is None:
            shape = [pick.integer(1, 4) for _ in range(pick.choice([0, 1, 1, 2, 2, 2, 3]))]
        static = tuple(
            s if pick.chance(0.25) or (s == 1 and pick.chance(0.5)) else None for s in shape
        )
        name = f"x{len(self.program.inputs)}"
        var = T.tensor(name, dtype=dtype, shape=static)
        return Value(var, -1, dtype, self._long(self.data(shape, dtype), dtype), name)

    def _register(self, candidate: Value) -> Value:
        var = candidate.var
        line = f"{var.name} = T.tensor({var.name!r}, dtype={var.dtype!r}, shape={var.type.shape})"
        candidate.step = self._step(None, (), var.dtype, line)
        given = candidate.value.astype(var.dtype)
        self.program.inputs.append((var, candidate.step, given))
        self.pool.append(candidate)
        return candidate

    def _room(self) -> bool:
        return len(self.program.inputs) < self.max_inputs

    def data(self, shape: Sequence[int], dtype: str) -> np.ndarray:
        """Values for an input or a constant: floats in [-2, 2], ints in [-4, 4]."""
        kind = np.dtype(dtype).kind
        if kind == "b":
            return self.rng.integers(0, 2, size=tuple(shape)).astype(bool)
        if kind in "iu":
            return self.rng.integers(-4, 5, size=tuple(shape)).astype(dtype)
        return self.rng.uniform(-2, 2, size=tuple(shape)).round(3).astype(dtype)

    def constant(self, value: np.ndarray, raw: bool | None = None) -> Value:
        """``value`` as a constant: ``T.constant`` or, sometimes, the raw array or number."""
        value = np.asarray(value)
        array = f"np.array({value.tolist()!r}, dtype={str(value.dtype)!r})"
        if raw is None:
            raw = self.pick.chance(0.5)
        if raw and value.ndim == 0 and value.dtype.kind in "fi":
            var, text = value.item(), repr(value.item())
        elif raw:
            var, text = value, array
        else:
            var, text = T.constant(value), f"T.constant({array})"
        dtype = var.dtype if isinstance(var, Variable) else raw_dtype(var)
        step = self._step(
            None, (), dtype, "", const=var if not isinstance(var, Variable) else value
        )
        return Value(var, step, dtype, self._long(value, dtype), text)

    # -- nodes ---------------------------------------------------------------------------------
    def apply(self, build: Callable, fn: Callable, args: Sequence[Value], text: str) -> Value:
        """A node: ``build`` makes it from the operands' variables, ``fn`` computes it from
        their values; ``text`` spells it with ``{0}``, ``{1}``... for the operands."""
        var = T.as_tensor_variable(build(*(a.var for a in args)))
        name = f"v{len(self.program.steps)}"
        line = f"{name} = " + text.format(*(a.name for a in args))
        step = self._step(fn, tuple(a.step for a in args), var.dtype, line)
        with np.errstate(all="ignore"):
            value = np.asarray(fn(*(a.value for a in args)))
        return self._add(var, step, var.dtype, self._long(value, var.dtype), name)

    def probe(self, text: str) -> None:
        self.program.probes.append(text)

    @staticmethod
    def _long(value: np.ndarray, dtype: str) -> np.ndarray:
        """A value as the long run holds it: floats in long double, others in ``dtype``."""
        value = np.asarray(value)
        return value.astype(LONG) if value.dtype.kind == "f" else value.astype(dtype)

    def _step(self, fn, args, dtype: str, text: str, const: Any = None) -> int:
        self.program.steps.append(Step(fn, args, dtype, text, const))
        return len(self.program.steps) - 1

    def _add(self, var: Variable, step: int, dtype: str, value: np.ndarray, name: str) -> Value:
        result = Value(var, step, dtype, value, name)
        self.pool.append(result)
        return result

    # -- operands ------------------------------------------------------------------------------
    def operand(
        self, accept: Callable[[Value], bool] = lambda v: True, **leaf: Any
    ) -> Value | None:
        """A value of the pool that ``accept`` takes, recent ones likelier; else a new input
        (of ``leaf``'s dtype and shape) while there is room for one."""
        found = [v for v in self.pool if accept(v)]
        if found and self.pick.chance(0.4):  # the latest: programs grow deep
            return found[-1]
        if found and self.pick.chance(0.5):
            return self.pick.choice(found[-3:])
        if found and not self._room():
            return self.pick.choice(found)
        if self._room():
            for _ in range(3):
                fresh = self._candidate(**leaf)
                if accept(fresh):
                    return self._register(fresh)
        return self.pick.choice(found) if found else None

    def partner(self, x: Value, accept: Callable[[Value], bool] = lambda v: True) -> Value:
        """A second operand for an elementwise op with ``x``: from the pool when one
        broadcasts with it as Theano allows, else a constant of a shape that does."""
        found = [v for v in self.pool if v is not x and broadcasts(x, v) and accept(v)]
        if found and self.pick.chance(0.7):
            return self.pick.choice(found[-4:])
        for _ in range(8):
            shape = self.pick.choice([x.shape, x.shape[1:], (), x.shape[-1:]])
            dtype = self.pick.choice(["float64", x.dtype if x.kind in "fiu" else "int64"])
            const = self.constant(self.data(shape, dtype))
            if broadcasts(x, const) and accept(const):
                return const
        return x


def broadcasts(a: Value, b: Value) -> bool:
    """True when ``a`` and ``b`` broadcast as Theano allows: sizes agree, or the operand of
    size 1 says so in its static shape (a gradient is summed back only there)."""
    for axis in range(1, max(a.ndim, b.ndim) + 1):
        sa = a.shape[-axis] if axis <= a.ndim else None
        sb = b.shape[-axis] if axis <= b.ndim else None
        if sa is None or sb is None or sa == sb:
            continue
        for size, value in ((sa, a), (sb, b)):
            if size == 1 and value.static[-axis] != 1:
                return False
        if 1 not in (sa, sb):
            return False
    return True


def away(values: np.ndarray, points: Any, margin: float = MARGIN) -> bool:
    """True when every element of ``values`` is farther than ``margin`` from ``points``."""
    values = np.asarray(values, dtype=np.float64)
    return bool(np.all(np.abs(values[..., None] - np.asarray(points, dtype=np.float64)) > margin))


def away_from_integers(values: np.ndarray, offset: float = 0.0) -> bool:
    """True when no element is within ``MARGIN`` of ``k + offset`` for an integer ``k``, and
    all are small: a jump every unit of a steep large value is no jump to a difference."""
    v = np.asarray(values, dtype=np.float64) - offset
    return bool(np.all((np.abs(v - np.round(v)) > MARGIN) & (np.abs(v) < 50)))


def untied(values: np.ndarray, axes: tuple[int, ...], largest: bool) -> bool:
    """True when the extreme of each group along ``axes`` beats the next by ``MARGIN``."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return True
    kept = [a for a in range(values.ndim) if a not in axes]
    groups = np.transpose(values, kept + list(axes)).reshape(
        int(np.prod([values.shape[a] for a in kept])), -1
    )
    if groups.shape[1] < 2:
        return True
    ordered = np.sort(groups, axis=1)
    gap = ordered[:, -1] - ordered[:, -2] if largest else ordered[:, 1] - ordered[:, 0]
    return bool(np.all(gap > MARGIN))


Op = Callable[["Builder"], "Value | None"]


def generate(pick: Picker, groups: Sequence[tuple[int, Sequence[Op]]], size: int) -> Program:
    """A program of up to ``size`` nodes, each from an op of a group chosen as likely as its
    weight; its outputs are the last nodes built (up to three)."""
    builder = Builder(pick)
    weighted = [group for weight, group in groups for _ in range(weight)]
    built: list[Value] = []
    for _ in range(size * 3):
        if len(built) >= size:
            break
        value = pick.choice(pick.choice(weighted))(builder)
        if value is not None:
            built.append(value)
    if not built:
        built.append(builder.input())
    count = pick.integer(1, min(3, len(built)))
    builder.program.outputs = built[-count:]
    return builder.program


@dataclass
class Gradients:
    """A program's cost, ``sum((output * weights).sum())`` over its float outputs, and its
    gradients with respect to the float64 inputs at ``positions``."""

    costed: list[Value]
    weights: list[np.ndarray]
    positions: list[int]
    grads: list[Variable]


def gradients(program: Program, rng: np.random.Generator) -> Gradients:
    """The gradients ``grad`` builds for ``program`` (none when nothing is differentiable)."""
    costed = [o for o in program.outputs if o.kind == "f"]
    weights = [rng.uniform(0.5, 1.5, size=o.shape) for o in costed]
    positions = [k for k, (var, _, _) in enumerate(program.inputs) if var.dtype == "float64"]
    if not costed or not positions:
        return Gradients(costed, weights, [], [])
    cost = sum((o.var * T.constant(w)).sum() for o, w in zip(costed, weights))
    wrt = [program.inputs[k][0] for k in positions]
    return Gradients(costed, weights, positions, T.grad(cost, wrt, disconnected_inputs="ignore"))


def rounding(program: Program, reference: list[np.ndarray]) -> tuple[float, float]:
    """The unit roundoff of the least precise float the program computes in, and the largest
    finite magnitude it computes: rounding errors scale with both."""
    floats = [np.finfo(s.dtype).eps for s in program.steps if np.dtype(s.dtype).kind == "f"]
    found = [np.max(np.abs(v[np.isfinite(v)]), initial=0.0) for v in reference if v.dtype == LONG]
    return max(floats, default=np.finfo(np.float64).eps), float(max(found, default=1.0))
