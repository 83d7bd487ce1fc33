"""The shape, indexing and ``nnet`` ops of the contract for ``graphgen`` (see graphgen_ops)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
from graphgen import MARGIN, Builder, Value
from graphgen_idioms import IDIOMS
from graphgen_ops import (
    BINARY,
    FLOATS,
    REDUCTIONS,
    UNARY,
    batched_dot,
    cast,
    clip,
    dot,
    is_var,
    leaky_relu,
    matching,
    matmul,
    node,
    outer,
    positive,
    switch,
    tensordot,
    transpose,
)

import symgraph.tensor as T


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def reshape(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.value.size > 0)
    if x is None:
        return None
    size, dims = x.value.size, []
    for _ in range(b.pick.integer(0, 2)):
        dims.append(b.pick.choice(_divisors(size)))
        size //= dims[-1]
    dims.append(size)
    shape = list(dims)
    if b.pick.chance(0.3):
        shape[b.pick.integer(0, len(shape) - 1)] = -1
    shape = tuple(shape)
    spellings = [
        (f"T.reshape({{0}}, {shape!r})", lambda v: T.reshape(v, shape)),
        (f"{{0}}.reshape({shape!r})", lambda v: v.reshape(shape)),
        (f"{{0}}.reshape({', '.join(map(str, shape))})", lambda v: v.reshape(*shape)),
    ]
    if x.ndim >= 1 and dims[0] == x.shape[0] and len(dims) > 1 and -1 not in shape:
        rest = shape[1:]
        spellings.append(
            (
                f"{{0}}.reshape(({{0}}.shape[0], {', '.join(map(str, rest))}))",
                lambda v: v.reshape((v.shape[0], *rest)),
            )
        )
    return node(b, spellings, lambda v: np.reshape(v, tuple(dims)), [x])


def flatten(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.ndim >= 1)
    if x is None:
        return None
    ndim = b.pick.integer(1, x.ndim)
    spellings = [
        (f"T.flatten({{0}}, {ndim})", lambda v: T.flatten(v, ndim)),
        (f"{{0}}.flatten({ndim})", lambda v: v.flatten(ndim)),
    ]

    def reference(v):
        return np.reshape(v, v.shape[: ndim - 1] + (int(np.prod(v.shape[ndim - 1 :])),))

    return node(b, spellings, reference, [x])


def dimshuffle(b: Builder) -> Value | None:
    x = b.operand()
    if x is None:
        return None
    dropped = [a for a in range(x.ndim) if x.static[a] == 1 and b.pick.chance(0.5)]
    kept = [a for a in range(x.ndim) if a not in dropped]
    order = list(b.pick.choice(list(itertools.permutations(kept)))) if kept else []
    for _ in range(b.pick.integer(0, 2)):
        order.insert(b.pick.integer(0, len(order)), "x")
    pattern = tuple(order)
    spread = ", ".join(repr(d) for d in pattern)
    spellings = [
        (f"T.dimshuffle({{0}}, {spread})", lambda v: T.dimshuffle(v, *pattern)),
        (f"T.dimshuffle({{0}}, {pattern!r})", lambda v: T.dimshuffle(v, pattern)),
        (f"{{0}}.dimshuffle({spread})", lambda v: v.dimshuffle(*pattern)),
        (f"{{0}}.dimshuffle({pattern!r})", lambda v: v.dimshuffle(pattern)),
    ]

    def reference(v):
        picked = v[tuple(slice(None) if a in kept else 0 for a in range(v.ndim))]
        moved = np.transpose(picked, [sorted(kept).index(d) for d in pattern if d != "x"])
        return moved.reshape([1 if d == "x" else v.shape[d] for d in pattern])

    return node(b, spellings, reference, [x])


def concatenate(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.ndim >= 1 and v.kind in FLOATS)
    if x is None:
        return None
    axis = b.pick.integer(0, x.ndim - 1)
    shape = list(x.shape)
    shape[axis] = b.pick.integer(1, 3)
    y = matching(b, x, tuple(shape))
    spelled = axis if b.pick.chance(0.6) else axis - x.ndim
    spellings = [
        (
            f"T.concatenate([{{0}}, {{1}}], axis={spelled})",
            lambda p, q: T.concatenate([p, q], spelled),
        )
    ]
    return node(b, spellings, lambda p, q: np.concatenate([p, q], axis), [x, y])


def stack(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.kind in FLOATS)
    if x is None:
        return None
    y = matching(b, x, x.shape)
    axis = b.pick.integer(0, x.ndim)
    spellings = [(f"T.stack([{{0}}, {{1}}], axis={axis})", lambda p, q: T.stack([p, q], axis))]
    return node(b, spellings, lambda p, q: np.stack([p, q], axis), [x, y])


def like(b: Builder) -> Value | None:
    x = b.operand()
    if x is None:
        return None
    name, fill_value = b.pick.choice([("zeros_like", 0), ("ones_like", 1)])
    dtype = b.pick.choice([None, "float64", "int32"])
    spellings = [(f"T.{name}({{0}}, dtype={dtype!r})", lambda v: getattr(T, name)(v, dtype=dtype))]
    if dtype is None:
        spellings.append((f"T.{name}({{0}})", getattr(T, name)))

    def reference(v):
        return np.full(v.shape, fill_value, dtype=dtype or x.dtype)

    return node(b, spellings, reference, [x])


def fill(b: Builder) -> Value | None:
    x = b.operand()
    if x is None:
        return None
    value = b.operand(lambda v: v.ndim == 0 and v.kind in "fi" and v is not x)
    if value is None or not b.pick.chance(0.5):
        value = b.constant(np.asarray(b.pick.choice([0.5, -1.25, 2.0])), raw=True)
    spellings = [("T.fill({0}, {1})", T.fill)]
    return node(b, spellings, lambda m, c: np.broadcast_to(c, m.shape).copy(), [x, value])


def alloc(b: Builder) -> Value | None:
    value = b.operand(lambda v: v.ndim <= 2 and v.kind in "fi")
    if value is None:
        return None
    lead = tuple(b.pick.integer(1, 3) for _ in range(b.pick.integer(0, 2)))
    shape = lead + value.shape
    if not lead and value.ndim == 0:
        shape = (b.pick.integer(1, 3),)
    args = ", ".join(map(str, shape))
    spellings = [(f"T.alloc({{0}}, {args})", lambda v: T.alloc(v, *shape))]
    if value.ndim >= 1 and not lead:
        symbolic = ", ".join(f"{{0}}.shape[{i}]" for i in range(value.ndim))
        spellings.append(
            (
                f"T.alloc({{0}}, {symbolic})",
                lambda v: T.alloc(v, *[v.shape[i] for i in range(v.ndim)]),
            )
        )
    return node(b, spellings, lambda v: np.broadcast_to(v, shape).copy(), [value])


def zeros_or_ones(b: Builder) -> Value | None:
    x = b.operand()
    if x is None:
        return None
    name = b.pick.choice(["zeros", "ones"])
    make = np.zeros if name == "zeros" else np.ones
    spellings = [(f"T.{name}({{0}}.shape)", lambda v: getattr(T, name)(v.shape))]
    return node(b, spellings, lambda v: make(v.shape), [x])


def creation(b: Builder) -> Value | None:
    """``T.eye``, ``T.arange`` (of ints or of an operand's length) and ``T.diag``."""
    kind = b.pick.choice(["eye", "arange", "arange_of", "diag"])
    if kind == "eye":
        n, m, k = b.pick.integer(1, 3), b.pick.integer(1, 3), b.pick.integer(-1, 1)
        return b.apply(lambda: T.eye(n, m, k), lambda: np.eye(n, m, k), [], f"T.eye({n}, {m}, {k})")
    if kind == "arange":
        start, stop, step = b.pick.integer(-2, 1), b.pick.integer(2, 5), b.pick.choice([1, 2])
        text = f"T.arange({start}, {stop}, {step})"
        return b.apply(
            lambda: T.arange(start, stop, step), lambda: np.arange(start, stop, step), [], text
        )
    x = b.operand(lambda v: v.ndim in (1, 2) and (kind == "diag" or v.ndim >= 1))
    if x is None:
        return None
    if kind == "arange_of":
        spellings = [("T.arange({0}.shape[0])", lambda v: T.arange(v.shape[0]))]
        return node(b, spellings, lambda v: np.arange(v.shape[0]), [x])
    return node(b, [("T.diag({0})", T.diag)], np.diag, [x])


def repeat(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.ndim >= 1)
    if x is None:
        return None
    count = b.pick.integer(1, 3)
    axis = b.pick.choice([None, *range(x.ndim)])
    spellings = [(f"T.repeat({{0}}, {count}, axis={axis})", lambda v: T.repeat(v, count, axis))]
    return node(b, spellings, lambda v: np.repeat(v, count, axis), [x])


def tile(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.ndim >= 1)
    if x is None:
        return None
    reps = tuple(b.pick.integer(1, 2) for _ in range(x.ndim + b.pick.integer(0, 1)))
    return node(
        b,
        [(f"T.tile({{0}}, {reps!r})", lambda v: T.tile(v, reps))],
        lambda v: np.tile(v, reps),
        [x],
    )


def shape_entry(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.ndim >= 1)
    if x is None:
        return None
    if b.pick.chance(0.3):
        spellings = [("T.shape({0})", T.shape), ("{0}.shape", lambda v: v.shape)]
        return node(b, spellings, lambda v: np.asarray(v.shape, dtype=np.int64), [x])
    axis = b.pick.integer(0, x.ndim - 1)
    spellings = [(f"{{0}}.shape[{axis}]", lambda v: v.shape[axis])]
    return node(b, spellings, lambda v: np.int64(v.shape[axis]), [x])


def sorting(b: Builder) -> Value | None:
    """``T.sort``, ``T.argsort`` (of values without ties), ``T.cumsum``, ``T.cumprod``, and
    ``extra_ops.diff`` and ``squeeze`` (of the axes the static shape says are 1)."""
    x = b.operand(lambda v: v.ndim >= 1 and v.kind in "fi")
    if x is None:
        return None
    kind = b.pick.choice(["sort", "argsort", "cumsum", "cumprod", "diff", "squeeze"])
    axis = b.pick.integer(-x.ndim, x.ndim - 1)
    if kind in ("sort", "argsort"):
        groups = np.moveaxis(np.asarray(x.value, dtype=float), axis, -1)
        gaps = np.diff(np.sort(groups, axis=-1), axis=-1)
        if gaps.size and not np.all(gaps > MARGIN):
            return None  # a tie has no gradient, and argsort may order it either way
        text, make = f"T.{kind}({{0}}, axis={axis})", lambda v: getattr(T, kind)(v, axis=axis)
        return node(b, [(text, make)], lambda v: getattr(np, kind)(v, axis=axis), [x])
    if kind in ("cumsum", "cumprod"):
        where = b.pick.choice([None, axis])
        text, make = f"T.{kind}({{0}}, axis={where})", lambda v: getattr(T, kind)(v, axis=where)
        return node(b, [(text, make)], lambda v: getattr(np, kind)(v, axis=where), [x])
    if kind == "diff":
        text = f"T.extra_ops.diff({{0}}, n=1, axis={axis})"
        make = lambda v: T.extra_ops.diff(v, n=1, axis=axis)  # noqa: E731
        return node(b, [(text, make)], lambda v: np.diff(v, n=1, axis=axis), [x])
    unit = tuple(a for a in range(x.ndim) if x.static[a] == 1)
    text, make = "T.extra_ops.squeeze({0})", T.extra_ops.squeeze
    return node(b, [(text, make)], lambda v: np.squeeze(v, axis=unit), [x])


# -- indexing ------------------------------------------------------------------------------------


def _index(b: Builder, x: Value, advanced: bool = True) -> tuple[list, list[str], list[Value]]:
    """A random index of ``x``: its entries (numbers, slices, None, Ellipsis, arrays and
    ``Value`` parts), their texts, and the Values among them."""
    entries, texts, parts = [], [], []
    used_advanced = not advanced
    for axis in range(x.ndim):
        if b.pick.chance(0.15):
            entries.append(None)
            texts.append("None")
        size = x.shape[axis]
        kind = b.pick.choice(["full", "int", "slice", "slice", "array", "part"])
        if size == 0:
            kind = "slice"
        if kind == "array" and not used_advanced:
            used_advanced = True
            picked = b.rng.integers(-size, size, size=b.pick.integer(1, 3))
            entries.append(picked)
            texts.append(f"np.array({picked.tolist()!r})")
        elif kind == "int":
            k = b.pick.integer(-size, size - 1)
            entries.append(k)
            texts.append(str(k))
        elif kind == "part":
            part = b.operand(
                lambda v: v.ndim == 0 and v.kind in "iu" and -size <= int(v.value) < size
            )
            if part is None or part is x:
                entries.append(slice(None))
                texts.append(":")
                continue
            entries.append(part)
            texts.append(f"{{{len(parts) + 1}}}")
            parts.append(part)
        elif kind == "slice":
            start, stop = b.pick.choice([None, 0, 1, -1]), b.pick.choice([None, 2, -1, size])
            step = b.pick.choice([None, 1, 2, -1, -2])
            entries.append(slice(start, stop, step))
            texts.append(
                ":".join("" if p is None else str(p) for p in (start, stop, step)).rstrip(":")
                or ":"
            )
        else:
            entries.append(slice(None))
            texts.append(":")
    if texts and all(t == ":" for t in texts[-2:]) and b.pick.chance(0.3):
        count = 2 if len(texts) >= 2 and texts[-2] == ":" else 1
        entries, texts = entries[:-count] + [Ellipsis], texts[:-count] + ["..."]
    return entries, texts, parts


def _resolve(entries: list, parts_values: list) -> tuple:
    values = iter(parts_values)
    return tuple(int(next(values)) if isinstance(e, Value) else e for e in entries)


def getitem(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.ndim >= 1)
    if x is None:
        return None
    if b.pick.chance(0.05):
        return _too_many_indices(b, x)
    if b.pick.chance(0.1) and x.kind in FLOATS:  # a boolean mask of the whole array
        mask = b.rng.integers(0, 2, size=x.shape).astype(bool)
        text = f"{{0}}[np.array({mask.tolist()!r})]"
        return b.apply(lambda v: v[mask], lambda v: v[mask], [x], text)
    entries, texts, parts = _index(b, x)
    if not entries:
        return None
    text = "{0}[" + ", ".join(texts) + "]"

    def build(v, *symbolic):
        symbolic = iter(symbolic)
        return v[tuple(next(symbolic) if isinstance(e, Value) else e for e in entries)]

    return b.apply(build, lambda v, *p: v[_resolve(entries, p)], [x, *parts], text)


def _too_many_indices(b: Builder, x: Value) -> None:
    """NumPy refuses more indices than dimensions; symgraph must too, when the graph is built."""
    index = (slice(None),) * x.ndim + (b.pick.choice([0, slice(None)]),)
    text = f"{x.name}[{', '.join(':' if isinstance(i, slice) else str(i) for i in index)}]"
    try:
        x.value[index]
        numpy_raises = False
    except IndexError:
        numpy_raises = True
    try:
        x.var[index]
        symgraph_raises = False
    except IndexError:
        symgraph_raises = True
    if numpy_raises != symgraph_raises:
        b.probe(
            f"{text}: NumPy {'raises' if numpy_raises else 'accepts'} IndexError, symgraph "
            f"{'raises' if symgraph_raises else 'does not'}"
        )
    return None


def increment(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.ndim >= 1 and v.kind in FLOATS)
    if x is None:
        return None
    entries, texts, parts = _index(b, x)
    if not entries or any(e is None for e in entries):
        return None
    index = _resolve(entries, [p.value for p in parts])
    target = x.value[index].shape
    setting = b.pick.chance(0.5)
    for axis, entry in enumerate(entries):  # a set with repeated indices keeps one write
        if setting and isinstance(entry, np.ndarray):
            if len(set((entry % x.shape[axis]).tolist())) < len(entry):
                return None
    y = matching(b, x, b.pick.choice([target, target[1:], ()]))
    name = "set_subtensor" if setting else "inc_subtensor"
    text = f"T.{name}({{0}}[{', '.join(texts)}], {{{len(parts) + 1}}})"

    def build(v, *rest):
        *symbolic, value = rest
        symbolic = iter(symbolic)
        target = v[tuple(next(symbolic) if isinstance(e, Value) else e for e in entries)]
        return getattr(T, name)(target, value)

    def reference(v, *rest):
        *p, value = rest
        out = np.array(v, copy=True)
        where = _resolve(entries, p)
        if setting:
            out[where] = value
        elif any(isinstance(e, np.ndarray) for e in entries):
            np.add.at(out, where, value)
        else:
            out[where] += value
        return out

    return b.apply(build, reference, [x, *parts, y], text)


def take(b: Builder) -> Value | None:
    x = b.operand(lambda v: v.ndim >= 1)
    if x is None:
        return None
    axis = b.pick.choice([None, *range(x.ndim)])
    size = x.value.size if axis is None else x.shape[axis]
    if size == 0:
        return None
    picked = b.rng.integers(-size, size, size=b.pick.integer(1, 3))
    text = f"T.take({{0}}, np.array({picked.tolist()!r}), axis={axis})"
    return node(
        b, [(text, lambda v: T.take(v, picked, axis))], lambda v: np.take(v, picked, axis), [x]
    )


# -- nnet ----------------------------------------------------------------------------------------


def _softmax(v, axis):
    shifted = v - np.max(v, axis=axis, keepdims=True)
    return np.exp(shifted) / np.sum(np.exp(shifted), axis=axis, keepdims=True)


def _log_softmax(v, axis):
    shifted = v - np.max(v, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


#: (spelling, function, takes the log, makes a vector a row): Theano's and PyTensor's names
SOFTMAXES = [
    ("T.nnet.softmax", T.nnet.softmax, False, True),
    ("T.special.softmax", T.special.softmax, False, False),
    ("T.softmax", T.softmax, False, False),
    ("T.nnet.log_softmax", T.nnet.log_softmax, True, True),
    ("T.nnet.logsoftmax", T.nnet.logsoftmax, True, True),
    ("T.special.log_softmax", T.special.log_softmax, True, False),
    ("T.log_softmax", T.log_softmax, True, False),
]


def softmax_family(b: Builder) -> Value | None:
    """softmax and log_softmax in Theano's spelling (a vector becomes a row) and PyTensor's."""
    x = b.operand(lambda v: v.ndim >= 1 and v.kind in FLOATS and v.value.size > 0)
    if x is None:
        return None
    name, make, log, pads = b.pick.choice(SOFTMAXES)
    fn = _log_softmax if log else _softmax
    axis = b.pick.integer(-x.ndim, x.ndim - 1) if b.pick.chance(0.5) else None
    text = f"{name}({{0}})" if axis is None else f"{name}({{0}}, axis={axis})"
    if pads and x.ndim == 1:
        reference = lambda v: fn(v[None, :], -1)  # noqa: E731
    else:
        reference = lambda v: fn(v, -1 if axis is None else axis)  # noqa: E731
    build = make if axis is None else lambda v: make(v, axis=axis)
    return b.apply(build, reference, [x], text)


def binary_crossentropy(b: Builder) -> Value | None:
    output = b.operand(_positive_probability)
    if output is None:
        return None
    target = b.partner(output, lambda v: v.kind in FLOATS)
    if not is_var(output):
        return None
    spellings = [("T.nnet.binary_crossentropy({0}, {1})", T.nnet.binary_crossentropy)]

    def reference(o, t):
        return -(t * np.log(o) + (1 - t) * np.log(1 - o))

    return node(b, spellings, reference, [output, target])


def _positive_probability(v: Value) -> bool:
    return v.kind in FLOATS and bool(np.all((v.value > 0.05) & (v.value < 0.95)))


def categorical_crossentropy(b: Builder) -> Value | None:
    coding = b.operand(
        lambda v: v.ndim == 2 and v.value.size > 0 and v.kind in FLOATS and positive(0.05)(v.value)
    )
    if coding is None:
        return None
    rows, columns = coding.shape
    if b.pick.chance(0.5):
        labels = b.rng.integers(0, columns, size=rows)
        true = b.constant(labels.astype("int64"), raw=b.pick.chance(0.5))

        def reference(c, t):
            return -np.log(c[np.arange(rows), t])
    else:
        true = matching(b, coding, coding.shape)

        def reference(c, t):
            return -np.sum(t * np.log(c), axis=-1)

    spellings = [("T.nnet.categorical_crossentropy({0}, {1})", T.nnet.categorical_crossentropy)]
    return node(b, spellings, reference, [coding, true])


#: every op of the contract, in groups, each group as likely as its weight
GROUPS: list[tuple[int, list[Callable[[Builder], Value | None]]]] = [
    (3, UNARY),
    (4, BINARY),
    (2, [clip, switch, cast, leaky_relu]),
    (4, REDUCTIONS),
    (2, [dot, matmul, outer, tensordot, batched_dot, transpose]),
    (3, [reshape, flatten, dimshuffle, concatenate, stack, repeat, tile, sorting]),
    (1, [like, fill, alloc, zeros_or_ones, creation, shape_entry]),
    (4, [getitem, getitem, increment, take]),
    (1, [softmax_family, binary_crossentropy, categorical_crossentropy]),
    (3, IDIOMS),
]
OPS = [op for _, group in GROUPS for op in group]
