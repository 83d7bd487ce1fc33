"""The ops of API.md's contract for ``graphgen``: each builds one node in every spelling.

An entry is a function ``(builder) -> Value | None``: it picks operands that suit it
(None when there are none), keeps their values away from its kinks and domain edges,
picks a spelling (operator, ``T.fn``, method, ``T.nnet.fn``, ``T.special.fn``) and
gives the NumPy function of the reference. Spellings are ``(text, build)`` pairs: the
text reproduces the node, ``{0}``, ``{1}``... standing for the operands.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
from graphgen import (
    LONG,
    MARGIN,
    Builder,
    Value,
    away,
    away_from_integers,
    broadcasts,
    untied,
)
from scipy import special

import symgraph.tensor as T
from symgraph.graph.basic import Variable

Spelling = tuple[str, Callable]
FLOATS = "f"
NUMBERS = "fiu"


def is_var(v: Value) -> bool:
    return isinstance(v.var, Variable)


def node(b: Builder, spellings: Sequence[Spelling], fn: Callable, args: Sequence[Value]) -> Value:
    """The node in one of ``spellings`` (methods only on variables)."""
    usable = [s for s in spellings if not s[0].startswith("{0}.") or is_var(args[0])]
    text, build = b.pick.choice(usable)
    return b.apply(build, fn, args, text)


def _f64(fn: Callable) -> Callable:
    """A SciPy function, which has no long double loop, evaluated in float64 (and rounded to
    float32 for float32 operands)."""

    def evaluate(*args):
        result = fn(*(np.asarray(x, dtype=np.float64) for x in args))
        single = all(np.asarray(x).dtype in (np.float32, np.float16) for x in args)
        return result.astype(np.float32) if single else result

    return evaluate


# -- elementwise ---------------------------------------------------------------------------------


def unary(name: str, fn: Callable, ok: Callable | None = None, kinds: str = NUMBERS, extra=()):
    """An elementwise op of one operand: ``T.name(x)`` and the ``extra`` spellings."""
    op = getattr(T, name)
    spellings = [(f"T.{name}({{0}})", op), *extra]

    def build(b: Builder) -> Value | None:
        x = b.operand(lambda v: v.kind in kinds and (ok is None or ok(v.value)))
        return None if x is None else node(b, spellings, fn, [x])

    build.__name__ = name
    return build


def positive(low: float) -> Callable:
    return lambda v: bool(np.all(np.asarray(v, dtype=np.float64) > low + MARGIN))


def _within(low: float, high: float) -> Callable:
    return lambda v: bool(
        np.all((np.asarray(v, dtype=np.float64) > low + MARGIN) & (np.asarray(v) < high - MARGIN))
    )


def _smooth_abs(v) -> bool:
    return away(v, [0.0])


UNARY = [
    unary("neg", np.negative, kinds=NUMBERS, extra=[("-{0}", lambda x: -x)]),
    unary("abs", np.abs, _smooth_abs, extra=[("abs({0})", lambda x: abs(x))]),
    unary("exp", np.exp, lambda v: np.all(v < 20)),
    unary("exp2", np.exp2, lambda v: np.all(v < 25)),
    unary("log", np.log, positive(0.05)),
    unary("log2", np.log2, positive(0.05)),
    unary("log10", np.log10, positive(0.05)),
    unary("log1p", np.log1p, positive(-0.95)),
    unary("expm1", np.expm1, lambda v: np.all(v < 20)),
    unary("sqrt", np.sqrt, positive(0.05)),
    unary("sqr", np.square, extra=[("T.square({0})", T.square)]),
    unary("sin", np.sin),
    unary("cos", np.cos),
    unary("tan", np.tan, lambda v: np.all(np.abs(np.cos(np.asarray(v, dtype=float))) > 0.1)),
    unary("arcsin", np.arcsin, _within(-0.95, 0.95)),
    unary("arccos", np.arccos, _within(-0.95, 0.95)),
    unary("arctan", np.arctan),
    unary("sinh", np.sinh, _within(-20, 20)),
    unary("cosh", np.cosh, _within(-20, 20)),
    unary("tanh", np.tanh),
    unary("arcsinh", np.arcsinh),
    unary("arccosh", np.arccosh, positive(1.05)),
    unary("arctanh", np.arctanh, _within(-0.95, 0.95)),
    unary(
        "sigmoid",
        lambda x: 1 / (1 + np.exp(-x)),
        extra=[("T.nnet.sigmoid({0})", T.nnet.sigmoid)],
    ),
    unary(
        "softplus",
        lambda x: np.logaddexp(0, x),
        extra=[("T.nnet.softplus({0})", T.nnet.softplus)],
    ),
    unary("erf", _f64(special.erf)),
    unary("erfc", _f64(special.erfc)),
    unary("gamma", _f64(special.gamma), _within(0.1, 6)),
    unary("gammaln", _f64(special.gammaln), positive(0.1)),
    unary("floor", np.floor, away_from_integers),
    unary("ceil", np.ceil, away_from_integers),
    unary("round", np.rint, lambda v: away_from_integers(v, 0.5)),
    unary("sgn", np.sign, _smooth_abs, extra=[("T.sign({0})", T.sign)]),
    unary("isnan", np.isnan),
    unary("isinf", np.isinf),
    unary("invert", np.invert, kinds="biu", extra=[("~{0}", lambda x: ~x)]),
    unary(
        "relu",
        lambda x: np.maximum(x, 0),
        _smooth_abs,
        kinds=FLOATS,
        extra=[("T.nnet.relu({0})", T.nnet.relu)],
    ),
]


def leaky_relu(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.kind == "f" and _smooth_abs(v.value))
    if x is None:
        return None
    spelling = ("T.nnet.relu({0}, alpha=0.1)", lambda v: T.nnet.relu(v, alpha=0.1))
    return node(b, [spelling], lambda v: np.maximum(v, 0.1 * v), [x])


def cast(b: Builder) -> Value | None:
    dtype = b.pick.choice(["float64", "float32", "int64", "int32", "int8", "bool"])
    kind = np.dtype(dtype).kind

    def ok(v: Value) -> bool:
        if v.kind != "f" or kind not in "biu":
            return True
        if kind == "b":
            return away(v.value, [0.0])
        return away_from_integers(v.value) and bool(np.all(np.abs(v.value) < 100))

    x = b.operand(ok)
    if x is None:
        return None
    spellings = [
        (f"T.cast({{0}}, {dtype!r})", lambda v: T.cast(v, dtype)),
        (f"{{0}}.astype({dtype!r})", lambda v: v.astype(dtype)),
    ]

    def reference(v):  # the long run keeps full precision: its differences must be smooth
        v = np.asarray(v)
        return v if kind == "f" and v.dtype == LONG else v.astype(dtype)

    return node(b, spellings, reference, [x])


def binary(
    name: str,
    fn: Callable,
    operator: str | None = None,
    kinds: str = NUMBERS,
    ok: Callable[[np.ndarray, np.ndarray], bool] | None = None,
    also: Sequence[str] = (),
):
    """An elementwise op of two operands: ``T.name(a, b)`` (and the aliases ``also``) and
    ``a <operator> b``, also with a number on the left (Python reflects the operator)."""
    spellings: list[Spelling] = [(f"T.{n}({{0}}, {{1}})", getattr(T, n)) for n in (name, *also)]

    def build(b: Builder) -> Value | None:
        x = b.operand(lambda v: v.kind in kinds)
        if x is None:
            return None
        y = b.partner(x, lambda v: v.kind in kinds and _bool_match(x, v, kinds))
        first, second = (x, y) if b.pick.chance(0.7) else (y, x)
        if ok is not None and not ok(first.value, second.value):
            return None
        usable = list(spellings)
        if operator is not None:
            usable.append((f"{{0}} {operator} {{1}}", lambda a, c: _apply_operator(operator, a, c)))
        text, make = b.pick.choice(usable)
        return b.apply(make, fn, [first, second], text)

    build.__name__ = name
    return build


def _apply_operator(operator: str, a, c):
    return {
        "+": lambda: a + c,
        "-": lambda: a - c,
        "*": lambda: a * c,
        "/": lambda: a / c,
        "//": lambda: a // c,
        "%": lambda: a % c,
        "**": lambda: a**c,
        "<": lambda: a < c,
        "<=": lambda: a <= c,
        ">": lambda: a > c,
        ">=": lambda: a >= c,
        "&": lambda: a & c,
        "|": lambda: a | c,
        "^": lambda: a ^ c,
    }[operator]()


def _bool_match(x: Value, y: Value, kinds: str) -> bool:
    """Logic ops take two booleans or two integers; arithmetic takes no booleans."""
    if kinds == "biu":
        return (x.kind == "b") == (y.kind == "b")
    return y.kind != "b"


def _nonzero(a, c) -> bool:
    return away(c, [0.0], 0.05) if np.asarray(c).dtype.kind == "f" else bool(np.all(c != 0))


def _divides(a, c) -> bool:
    """A floor division or modulo away from its jumps (and, for integers, from zero)."""
    if not _nonzero(a, c):
        return False
    if np.asarray(a).dtype.kind != "f" and np.asarray(c).dtype.kind != "f":
        return True
    return away_from_integers(np.asarray(a, dtype=float) / np.asarray(c, dtype=float))


def _power(a, c) -> bool:
    """A positive base and a moderate result, or an integer exponent from 0 to 3 (a float
    exponent, which has a gradient, only with a positive base: log(base) is in it)."""
    integers = np.asarray(a).dtype.kind != "f" and np.asarray(c).dtype.kind != "f"
    float_exponent = np.asarray(c).dtype.kind == "f"
    a, c = np.asarray(a, dtype=float), np.asarray(c, dtype=float)
    if not integers and np.all(a > 0.05) and np.all(np.abs(c * np.log(a)) < 10):
        return True
    return not float_exponent and bool(np.all((c >= 0) & (c <= 3)))


def _untied(a, c) -> bool:
    return away(np.asarray(a, dtype=float) - np.asarray(c, dtype=float), [0.0])


def _arctan2(a, c) -> bool:
    a, c = np.asarray(a, dtype=float), np.asarray(c, dtype=float)
    return bool(np.all((np.abs(a) > MARGIN) | (c > MARGIN)))


BINARY = [
    binary("add", np.add, "+", NUMBERS),
    binary("sub", np.subtract, "-", NUMBERS),
    binary("mul", np.multiply, "*", NUMBERS),
    binary("true_div", np.true_divide, "/", NUMBERS, _nonzero, also=["divide"]),
    binary("int_div", np.floor_divide, "//", NUMBERS, _divides),
    binary("mod", np.mod, "%", NUMBERS, _divides),
    binary("pow", np.power, "**", NUMBERS, _power),
    binary("arctan2", np.arctan2, None, FLOATS, _arctan2),
    binary("maximum", np.maximum, None, NUMBERS, _untied),
    binary("minimum", np.minimum, None, NUMBERS, _untied),
    binary("lt", np.less, "<", NUMBERS, _untied),
    binary("le", np.less_equal, "<=", NUMBERS, _untied),
    binary("gt", np.greater, ">", NUMBERS, _untied),
    binary("ge", np.greater_equal, ">=", NUMBERS, _untied),
    binary("eq", np.equal, None, "iu"),
    binary("neq", np.not_equal, None, "iu"),
    binary("and_", np.bitwise_and, "&", "biu"),
    binary("or_", np.bitwise_or, "|", "biu"),
    binary("xor", np.bitwise_xor, "^", "biu"),
]


def clip(b: Builder) -> Value | None:
    lo = b.pick.choice([-1.5, -0.5, 0.0, 0.25])
    hi = lo + b.pick.choice([0.5, 1.0, 2.5])
    x = b.operand(lambda v: v.kind in NUMBERS and away(v.value, [lo, hi]))
    if x is None:
        return None
    spellings = [
        (f"T.clip({{0}}, {lo}, {hi})", lambda v: T.clip(v, lo, hi)),
        (f"{{0}}.clip({lo}, {hi})", lambda v: v.clip(lo, hi)),
    ]
    return node(b, spellings, lambda v: np.clip(v, lo, hi), [x])


def switch(b: Builder) -> Value | None:
    condition = b.operand(lambda v: v.kind in "bi")
    if condition is None:
        return None
    then = b.partner(condition, lambda v: v.kind in NUMBERS)
    other = b.partner(condition, lambda v: v.kind in NUMBERS and broadcasts(then, v))
    if not broadcasts(then, other) or not is_var(condition):
        return None
    spellings = [
        ("T.switch({0}, {1}, {2})", T.switch),
        ("T.where({0}, {1}, {2})", T.where),
    ]
    return node(b, spellings, lambda c, p, q: np.where(c, p, q), [condition, then, other])


# -- reductions ----------------------------------------------------------------------------------


def _axis(b: Builder, ndim: int, single: bool = False):
    """None, an axis (sometimes negative) or, unless ``single``, a tuple of axes."""
    if ndim == 0:
        return None
    options = ["none", "int", "negative"] + ([] if single else ["tuple"])
    kind = b.pick.choice(options)
    if kind == "none":
        return None
    if kind == "int":
        return b.pick.integer(0, ndim - 1)
    if kind == "negative":
        return -b.pick.integer(1, ndim)
    count = b.pick.integer(1, ndim)
    axes = list(itertools.combinations(range(ndim), count))
    return tuple(b.pick.choice(axes))


def _axes_of(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))


def reduction(name: str, fn: Callable, kinds: str = NUMBERS, ok=None, single=False, ddof=False):
    """``T.name(x, axis, keepdims)`` and ``x.name(...)``; ``ok(values, axes)`` guards ties."""

    def build(b: Builder) -> Value | None:
        x = b.operand(lambda v: v.kind in kinds and (v.ndim > 0 or not single))
        if x is None:
            return None
        axis = _axis(b, x.ndim, single)
        axes = _axes_of(axis, x.ndim)
        if ok is not None and x.kind == "f" and not ok(x.value, axes):
            return None
        group = int(np.prod([x.shape[a] for a in axes]))
        if group == 0 and name in ("max", "min", "argmax", "argmin", "mean", "var", "std"):
            return None  # no extreme of nothing; a mean of nothing is 0/0, which rewrites fold
        keepdims = b.pick.chance(0.4)
        kwargs, params = {"axis": axis, "keepdims": keepdims}, f"axis={axis!r}, keepdims={keepdims}"
        extra = {"ddof": 1} if ddof and group > 1 and b.pick.chance(0.3) else {}
        if extra:
            params += ", ddof=1"
        op = getattr(T, name)
        spellings = [
            (f"T.{name}({{0}}, {params})", lambda v: op(v, **kwargs, **extra)),
            (f"{{0}}.{name}({params})", lambda v: getattr(v, name)(**kwargs, **extra)),
        ]
        return node(b, spellings, lambda v: fn(v, **kwargs, **extra), [x])

    build.__name__ = name
    return build


def _variance_ok(values, axes) -> bool:
    return bool(np.all(np.var(np.asarray(values, dtype=float), axis=axes) > MARGIN))


REDUCTIONS = [
    reduction("sum", np.sum, "biuf"),
    reduction("prod", np.prod, NUMBERS),
    reduction("mean", np.mean, NUMBERS),
    reduction("max", np.max, "biuf", lambda v, axes: untied(v, axes, True)),
    reduction("min", np.min, "biuf", lambda v, axes: untied(v, axes, False)),
    reduction("var", np.var, NUMBERS, ddof=True),
    reduction("std", np.std, NUMBERS, lambda v, axes: _variance_ok(v, axes), ddof=True),
    reduction("argmax", np.argmax, NUMBERS, lambda v, axes: untied(v, axes, True), single=True),
    reduction("argmin", np.argmin, NUMBERS, lambda v, axes: untied(v, axes, False), single=True),
    reduction("all", np.all, "biuf", lambda v, axes: away(v, [0.0])),
    reduction("any", np.any, "biuf", lambda v, axes: away(v, [0.0])),
]


# -- products ------------------------------------------------------------------------------------


def matching(b: Builder, x: Value, shape: tuple[int, ...], kinds: str = FLOATS) -> Value:
    """An operand of exactly ``shape``: from the pool, or a new input or constant."""
    found = [v for v in b.pool if v.shape == shape and v.kind in kinds and v is not x]
    if found and b.pick.chance(0.6):
        return b.pick.choice(found[-3:])
    if b.pick.chance(0.5) and len(b.program.inputs) < b.max_inputs:
        return b.input("float64", shape)
    return b.constant(b.data(shape, "float64"), raw=False)


def dot(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.kind == "f" and 1 <= v.ndim <= 2)
    if x is None:
        return None
    k = x.shape[-1]
    shape = b.pick.choice([(k,), (k, b.pick.integer(1, 3))])
    y = matching(b, x, shape)
    first, second = x, y
    if b.pick.chance(0.3) and x.ndim == 2 and y.ndim == 2 and x.shape[0] == y.shape[1]:
        first, second = y, x
    spellings = [("T.dot({0}, {1})", T.dot), ("{0}.dot({1})", lambda p, q: p.dot(q))]
    if not is_var(first):
        spellings = spellings[:1]
    return node(b, spellings, np.dot, [first, second])


def matmul(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.kind == "f" and 1 <= v.ndim <= 3)
    if x is None:
        return None
    k = x.shape[-1]
    batch = x.shape[:-2] if x.ndim == 3 and b.pick.chance(0.5) else ()
    y = matching(b, x, (*batch, k, b.pick.integer(1, 3)) if b.pick.chance(0.7) else (k,))
    spellings = [("{0} @ {1}", lambda p, q: p @ q), ("T.matmul({0}, {1})", T.matmul)]
    return node(b, spellings, np.matmul, [x, y])


def outer(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.kind == "f" and v.ndim == 1)
    if x is None:
        return None
    y = matching(b, x, (b.pick.integer(1, 3),))
    return node(b, [("T.outer({0}, {1})", T.outer)], np.outer, [x, y])


def tensordot(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.kind == "f" and v.ndim >= 1)
    if x is None:
        return None
    count = b.pick.integer(1, x.ndim)
    if b.pick.chance(0.5):
        y = matching(b, x, (*x.shape[-count:], b.pick.integer(1, 3)))
        axes = count
    else:
        ax = b.pick.integer(0, x.ndim - 1)
        y = matching(b, x, (b.pick.integer(1, 2), x.shape[ax]))
        axes = ([ax], [1])
    spellings = [
        (f"T.tensordot({{0}}, {{1}}, axes={axes!r})", lambda p, q: T.tensordot(p, q, axes))
    ]
    return node(b, spellings, lambda p, q: np.tensordot(p, q, axes), [x, y])


def batched_dot(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.kind == "f" and v.ndim in (2, 3))
    if x is None:
        return None
    if x.ndim == 2:
        y = matching(b, x, x.shape if b.pick.chance(0.5) else (*x.shape, 2))
    else:
        y = matching(
            b, x, (x.shape[0], x.shape[2]) if b.pick.chance(0.3) else (x.shape[0], x.shape[2], 2)
        )

    def reference(p, q):
        if p.ndim == 2 and q.ndim == 2:
            return np.sum(p * q, axis=1)
        if p.ndim == 2:
            return np.sum(p[:, :, None] * q, axis=1)
        if q.ndim == 2:
            return np.sum(p * q[:, None, :], axis=2)
        return np.matmul(p, q)

    return node(b, [("T.batched_dot({0}, {1})", T.batched_dot)], reference, [x, y])


def transpose(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.ndim >= 1)
    if x is None:
        return None
    perm = tuple(b.pick.choice(list(itertools.permutations(range(x.ndim)))))
    spellings = [
        ("T.transpose({0})", T.transpose, None),
        ("{0}.T", lambda v: v.T, None),
        (f"{{0}}.transpose({', '.join(map(str, perm))})", lambda v: v.transpose(*perm), perm),
        (f"T.transpose({{0}}, {perm!r})", lambda v: T.transpose(v, perm), perm),
    ]
    text, build, axes = b.pick.choice(spellings)
    return b.apply(build, lambda v: np.transpose(v, axes), [x], text)
