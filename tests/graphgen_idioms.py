"""Expressions the rewrite rules look for, for ``graphgen``: each rule gets programs to fire on.

Random programs seldom write ``log(exp(x))`` or ``v . (A . v)`` by chance, yet those are
what the rules of ``symgraph/rewrite/rules`` rewrite (docs/rewrites.md lists them), so
each idiom here builds one such expression as one node of the program.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from graphgen import LONG, MARGIN, Builder, Value, away, untied
from graphgen_ops import NUMBERS, matching, node

import symgraph.tensor as T
from symgraph import gradient


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _bounded(low: float, high: float) -> Callable[[np.ndarray], bool]:
    return lambda v: bool(np.all((v > low + MARGIN) & (v < high - MARGIN)))


ANY = _bounded(-20, 20)

#: (text, build, reference, values it needs, operand kinds) for one operand
UNARY_IDIOMS = [
    ("T.log(T.exp({0}))", lambda x: T.log(T.exp(x)), lambda x: np.log(np.exp(x)), ANY, NUMBERS),
    ("T.exp(T.log({0}))", lambda x: T.exp(T.log(x)), lambda x: x * 1.0, _bounded(0.05, 20), "f"),
    ("T.log(1 + {0})", lambda x: T.log(1 + x), lambda x: np.log(1 + x), _bounded(-0.95, 20), "f"),
    ("T.log(1 - {0})", lambda x: T.log(1 - x), lambda x: np.log(1 - x), _bounded(-20, 0.95), "f"),
    ("T.log1p(T.exp({0}))", lambda x: T.log1p(T.exp(x)), lambda x: np.log1p(np.exp(x)), ANY, "f"),
    ("T.exp({0}) - 1", lambda x: T.exp(x) - 1, lambda x: np.exp(x) - 1, ANY, "f"),
    (
        "T.log(T.nnet.sigmoid({0}))",
        lambda x: T.log(T.nnet.sigmoid(x)),
        lambda x: np.log(_sigmoid(x)),
        ANY,
        "f",
    ),
    (
        "T.log1p(-T.sigmoid({0}))",
        lambda x: T.log1p(-T.sigmoid(x)),
        lambda x: np.log1p(-_sigmoid(x)),
        ANY,
        "f",
    ),
    ("1 - T.sigmoid({0})", lambda x: 1 - T.sigmoid(x), lambda x: 1 - _sigmoid(x), ANY, "f"),
    ("1 / (1 + T.exp(-{0}))", lambda x: 1 / (1 + T.exp(-x)), _sigmoid, ANY, "f"),
    (
        "T.exp({0}) * T.sigmoid(-{0})",
        lambda x: T.exp(x) * T.sigmoid(-x),
        lambda x: np.exp(x) * _sigmoid(-x),
        ANY,
        "f",
    ),
    ("{0} * {0}", lambda x: x * x, lambda x: x * x, ANY, NUMBERS),
    ("{0} ** 2", lambda x: x**2, lambda x: x**2, ANY, NUMBERS),
    ("{0} ** 0.5", lambda x: x**0.5, np.sqrt, _bounded(0.05, 20), "f"),
    ("{0} ** -1", lambda x: x**-1, lambda x: 1 / x, lambda v: away(v, [0.0], 0.05), "f"),
    ("{0} ** 3", lambda x: x**3, lambda x: x**3, ANY, NUMBERS),
    ("T.sum(T.sqr({0}))", lambda x: T.sum(T.sqr(x)), lambda x: np.sum(x * x), ANY, "f"),
    (
        "T.sum(-{0}, axis=0)",
        lambda x: T.sum(-x, axis=0),
        lambda x: np.sum(-x, axis=0),
        ANY,
        NUMBERS,
    ),
    ("T.switch({0} > 0, {0}, {0})", lambda x: T.switch(x > 0, x, x), lambda x: x, ANY, NUMBERS),
    (
        "({0} - {0}) * 3 + {0} / {0}",
        lambda x: (x - x) * 3 + x / x,
        lambda x: x * 0 + 1.0,
        lambda v: away(v, [0.0], 0.05),
        "f",
    ),
    (
        "T.alloc({0}, {0}.shape)",
        lambda x: T.alloc(x, x.shape),
        lambda x: x,
        ANY,
        NUMBERS,
    ),
    (
        "T.cast(T.cast({0}, 'float64'), 'float32')",
        lambda x: T.cast(T.cast(x, "float64"), "float32"),
        lambda x: x if x.dtype == LONG else x.astype(np.float32),
        ANY,
        "fi",
    ),
    ("T.neg(-{0})", lambda x: T.neg(-x), lambda x: x, ANY, NUMBERS),
]


def unary_idiom(b: Builder) -> Value | None:
    text, build, reference, ok, kinds = b.pick.choice(UNARY_IDIOMS)
    x = b.operand(lambda v: v.kind in kinds and ok(v.value) and (v.ndim > 0 or "shape" not in text))
    if x is None or ("axis=0" in text and x.ndim == 0):
        return None
    return node(b, [(text, build)], reference, [x])


#: (text, build, reference) over ``axis`` with ``keepdims``: the log-sum-exp family
REDUCTION_IDIOMS = [
    (
        "T.log(T.sum(T.exp({0}), axis={axis}, keepdims={keepdims}))",
        lambda v, axis, keepdims: T.log(T.sum(T.exp(v), axis=axis, keepdims=keepdims)),
        lambda v, axis, keepdims: np.log(np.sum(np.exp(v), axis=axis, keepdims=keepdims)),
    ),
    (
        "T.exp({0}) / T.sum(T.exp({0}), axis={axis}, keepdims=True)",
        lambda v, axis, keepdims: T.exp(v) / T.sum(T.exp(v), axis=axis, keepdims=True),
        lambda v, axis, keepdims: _softmax(v, axis),
    ),
    (
        "T.log(T.special.softmax({0}, axis={axis}))",
        lambda v, axis, keepdims: T.log(T.special.softmax(v, axis=axis)),
        lambda v, axis, keepdims: np.log(_softmax(v, axis)),
    ),
    (
        "T.log(T.special.softmax({0}, axis={axis})[0])",
        lambda v, axis, keepdims: T.log(T.special.softmax(v, axis=axis)[0]),
        lambda v, axis, keepdims: np.log(_softmax(v, axis)[0]),
    ),
    (
        "T.sum({0}, axis={axis}, keepdims=True).dimshuffle({kept})",
        lambda v, axis, keepdims: T.sum(v, axis=axis, keepdims=True).dimshuffle(
            [a for a in range(v.ndim) if a != axis]
        ),
        lambda v, axis, keepdims: np.sum(v, axis=axis),
    ),
]


def reduction_idiom(b: Builder) -> Value | None:
    """log-sum-exp, a written-out softmax, log of a softmax, a squeezed keepdims sum."""
    x = b.operand(lambda v: v.kind == "f" and v.ndim >= 1 and v.value.size > 0 and ANY(v.value))
    if x is None:
        return None
    axis, keepdims = b.pick.integer(0, x.ndim - 1), b.pick.chance(0.5)
    text, build, reference = b.pick.choice(REDUCTION_IDIOMS)
    kept = [a for a in range(x.ndim) if a != axis]
    text = text.replace("{axis}", str(axis)).replace("{keepdims}", str(keepdims))
    text = text.replace("{kept}", ", ".join(map(str, kept)))
    return node(
        b,
        [(text, lambda v: build(v, axis, keepdims))],
        lambda v: reference(v, axis, keepdims),
        [x],
    )


def indexed_reduction(b: Builder) -> Value | None:
    """An element or a slice of a reduction, as issue 12 found FAST_RUN differentiating
    wrongly: ``x.std(axis=0, keepdims=True)[0, 0]``."""
    x = b.operand(lambda v: v.kind == "f" and v.ndim >= 1 and v.value.size > 0)
    if x is None:
        return None
    kind = b.pick.choice(["sum", "prod", "mean", "max", "min", "var", "std"])
    axis, keepdims = b.pick.integer(0, x.ndim - 1), b.pick.chance(0.5)
    reduced = getattr(np, kind)(np.asarray(x.value, dtype=float), axis=axis, keepdims=keepdims)
    if reduced.ndim == 0 or reduced.shape[0] == 0:
        return None
    if kind in ("max", "min") and not untied(x.value, (axis,), kind == "max"):
        return None
    if kind == "std" and not np.all(np.var(np.asarray(x.value, dtype=float), axis=axis) > MARGIN):
        return None
    index, text = b.pick.choice([(0, "0"), (-1, "-1"), (slice(1, None), "1:")])
    if reduced.ndim > 1 and b.pick.chance(0.5):
        index, text = (index, 0), f"{text}, 0"
    return node(
        b,
        [
            (
                f"{{0}}.{kind}(axis={axis}, keepdims={keepdims})[{text}]",
                lambda v: getattr(v, kind)(axis=axis, keepdims=keepdims)[index],
            )
        ],
        lambda v: getattr(np, kind)(v, axis=axis, keepdims=keepdims)[index],
        [x],
    )


def product_idiom(b: Builder) -> Value | None:
    """``v . (A . v)``, products of transposes, a scaled product, an outer product by dot."""
    v = b.operand(lambda u: u.kind == "f" and u.ndim == 1 and ANY(u.value))
    if v is None:
        return None
    n = v.shape[0]
    kind = b.pick.choice(["quadratic", "transposed", "both_transposed", "scaled", "outer"])
    if kind == "quadratic":
        a = matching(b, v, (n, n))
        return b.apply(
            lambda p, q: T.dot(p, T.dot(q, p)) * 1.05,
            lambda p, q: np.dot(p, np.dot(q, p)) * 1.05,
            [v, a],
            "T.dot({0}, T.dot({1}, {0})) * 1.05",
        )
    if kind == "transposed":
        a = matching(b, v, (b.pick.integer(1, 3), n))
        return b.apply(
            lambda p, q: T.dot(q.T, q) @ p,
            lambda p, q: (q.T @ q) @ p,
            [v, a],
            "T.dot({1}.T, {1}) @ {0}",
        )
    if kind == "both_transposed":
        a = matching(b, v, (n, b.pick.integer(1, 3)))
        return b.apply(
            lambda p, q: T.dot(q.T, T.outer(p, p).T),
            lambda p, q: q.T @ np.outer(p, p).T,
            [v, a],
            "T.dot({1}.T, T.outer({0}, {0}).T)",
        )
    if kind == "scaled":
        a = matching(b, v, (n, b.pick.integer(1, 3)))
        return b.apply(
            lambda p, q: 2.5 * T.dot(p, q),
            lambda p, q: 2.5 * (p @ q),
            [v, a],
            "2.5 * T.dot({0}, {1})",
        )
    return b.apply(
        lambda p: T.dot(p.dimshuffle(0, "x"), p.dimshuffle("x", 0)),
        lambda p: np.outer(p, p),
        [v],
        "T.dot({0}.dimshuffle(0, 'x'), {0}.dimshuffle('x', 0))",
    )


def logistic_idiom(b: Builder) -> Value | None:
    """The cross-entropy of a sigmoid written out, as Theano's tutorial writes it."""
    z = b.operand(lambda u: u.kind == "f" and ANY(u.value))
    if z is None:
        return None
    y = b.partner(z, lambda u: u.kind == "f")
    text = "-{1} * T.log(1 / (1 + T.exp(-{0}))) - (1 - {1}) * T.log(1 - 1 / (1 + T.exp(-{0})))"

    def build(p, q):
        s = 1 / (1 + T.exp(-p))
        return -q * T.log(s) - (1 - q) * T.log(1 - s)

    def reference(p, q):
        s = _sigmoid(p)
        return -q * np.log(s) - (1 - q) * np.log(1 - s)

    return b.apply(build, reference, [z, y], text)


def detached(b: Builder) -> Value | None:
    """``disconnected_grad``, ``zero_grad``, ``consider_constant`` and a wide ``grad_clip``:
    the identity forward; the reference holds the first three at their values at the base
    point, so its differences see no gradient through them either."""
    x = b.operand(lambda u: u.kind == "f")
    if x is None:
        return None
    name = b.pick.choice(["disconnected_grad", "zero_grad", "consider_constant", "grad_clip"])
    if name == "grad_clip":
        text = "symgraph.gradient.grad_clip({0}, -1e6, 1e6)"
        return b.apply(lambda v: gradient.grad_clip(v, -1e6, 1e6), lambda v: v, [x], text)
    held = x.value.copy()
    build = getattr(gradient, name)
    return b.apply(build, lambda v: held.astype(v.dtype), [x], f"symgraph.gradient.{name}({{0}})")


IDIOMS = [
    unary_idiom,
    unary_idiom,
    reduction_idiom,
    indexed_reduction,
    product_idiom,
    logistic_idiom,
    detached,
]
