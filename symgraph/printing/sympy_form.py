"""``to_sympy`` and ``latex``: a graph as SymPy mathematics.

A linear-algebra graph (products, transposes, sums of same-shape operands,
scaling) becomes a SymPy matrix expression over ``MatrixSymbol``s. Anything
else is written elementwise: a tensor is its generic element, a function of
index symbols, so broadcasting is substitution and a reduction or a matrix
product is a ``Sum`` over a bound index. Scalars are plain ``Symbol``s named
after the variables; an unknown size of ``x`` is ``n_x`` (axis 0), ``m_x``
(axis 1), ... and a known one is its number.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.traversal import toposort
from symgraph.tensor import elemwise
from symgraph.tensor.dot import Dot, Tensordot
from symgraph.tensor.elemwise import Cast, Elemwise
from symgraph.tensor.nnet import LogSoftmax, Softmax
from symgraph.tensor.reduction import Reduce
from symgraph.tensor.shape import Alloc, DimShuffle, Join, Shape
from symgraph.tensor.subtensor import INPUT, Subtensor

Index = tuple[sympy.Expr, ...]
SIZE_LETTERS = "nmpqrs"
INDEX_LETTERS = "ijkluvw"
ZERO, ONE = sympy.Integer(0), sympy.Integer(1)


@dataclass(frozen=True)
class Elements:
    """A tensor as SymPy sees it: its sizes, and its element at any (symbolic) index.

    ``explicit`` tensors (shapes, stacks) are short lists of entries; reducing
    one adds up its entries instead of writing a ``Sum``.
    """

    sizes: tuple[sympy.Expr, ...]
    at: Callable[[Index], sympy.Expr]
    explicit: bool = False


def number(value: Any) -> sympy.Expr:
    """A NumPy scalar as SymPy: whole numbers as Integers, so ``1 - y`` stays ``1 - y``."""
    value = np.asarray(value)[()]
    if isinstance(value, (bool, np.bool_)):
        return sympy.true if value else sympy.false
    if np.iscomplexobj(value):
        return sympy.sympify(complex(value))
    if float(value).is_integer():
        return sympy.Integer(int(value))
    return sympy.Float(float(value))


def align(sizes: Sequence[sympy.Expr], index: Index) -> Index:
    """``index`` of a broadcast result, as an index of an operand of ``sizes``: NumPy's rule."""
    tail = index[len(index) - len(sizes) :] if sizes else ()
    return tuple(ZERO if s == ONE else i for s, i in zip(sizes, tail))


def broadcast(operands: Sequence[Elements]) -> tuple[sympy.Expr, ...]:
    ndim = max((len(a.sizes) for a in operands), default=0)
    sizes = []
    for axis in range(-ndim, 0):
        here = [a.sizes[axis] for a in operands if len(a.sizes) >= -axis]
        sizes.append(next((s for s in here if s != ONE), ONE))
    return tuple(sizes)


def _choose(position: sympy.Expr, entries: Sequence[sympy.Expr]) -> sympy.Expr:
    """Entry ``position`` of a short list; a ``Piecewise`` when the position is symbolic."""
    if position.is_Integer:
        return entries[int(position)]
    cases = [(e, sympy.Eq(position, c)) for c, e in enumerate(entries[:-1])]
    return sympy.Piecewise(*cases, (entries[-1], True))


class _Translator:
    """Elements of every variable of one graph, with index symbols that never clash."""

    def __init__(self, outputs: Sequence[Variable]) -> None:
        self.nodes = toposort(outputs)
        variables = {v for node in self.nodes for v in node.inputs + node.outputs} | set(outputs)
        taken = {v.name for v in variables if v.name}
        pool = (f"{c}{n or ''}" for n in itertools.count() for c in INDEX_LETTERS)
        self.pool = [
            sympy.Symbol(s, integer=True)
            for s in itertools.islice((s for s in pool if s not in taken), 32)
        ]
        self.unnamed: dict[Variable, str] = {}
        self.elements: dict[Variable, Elements] = {}

    def bound(self, *indices: Index) -> sympy.Symbol:
        """A summation index not free in ``indices``, the same one for the same indices."""
        used = set().union(*(e.free_symbols for index in indices for e in index))
        return next(s for s in self.pool if s not in used)

    def name(self, var: Variable) -> str:
        if var.name:
            return var.name
        return self.unnamed.setdefault(var, f"u{len(self.unnamed) + 1}")

    def root_sizes(self, var: Variable) -> tuple[sympy.Expr, ...]:
        name = self.name(var)
        return tuple(
            sympy.Integer(s)
            if s is not None
            else sympy.Symbol(f"{_size_letter(a)}_{name}", integer=True, nonnegative=True)
            for a, s in enumerate(var.type.shape)
        )

    def root(self, var: Variable) -> Elements:
        sizes = self.root_sizes(var)
        if isinstance(var, Constant):
            value = np.asarray(var.value)
            if value.size and (value == value.flat[0]).all():
                return Elements(sizes, lambda index: number(value.flat[0]))
            table = sympy.ImmutableDenseNDimArray(value.tolist(), value.shape).applyfunc(number)
            return Elements(sizes, lambda index: table[index])
        if not sizes:
            symbol = sympy.Symbol(self.name(var))
            return Elements(sizes, lambda index: symbol)
        if len(sizes) == 2:
            matrix = sympy.MatrixSymbol(self.name(var), *sizes)
            return Elements(sizes, lambda index: matrix[index])
        base = sympy.IndexedBase(self.name(var))
        return Elements(sizes, lambda index: base[index])

    def get(self, var: Variable) -> Elements:
        if var not in self.elements:
            self.elements[var] = self.root(var)
        return self.elements[var]

    def run(self, output: Variable) -> Elements:
        for node in self.nodes:
            rule = RULES.get(type(node.op))
            if rule is None:
                raise NotImplementedError(_missing(node, "has no SymPy form"))
            self.elements[node.outputs[0]] = rule(self, node, [self.get(v) for v in node.inputs])
        return self.get(output)

    def free(self, ndim: int) -> Index:
        return tuple(self.pool[:ndim])


def _size_letter(axis: int) -> str:
    return SIZE_LETTERS[axis] if axis < len(SIZE_LETTERS) else f"n{axis}"


def _missing(node: Apply, why: str) -> str:
    return f"to_sympy: {node.op} {why} (node built at {node.where})"


# -- one rule per op: (translator, node, input elements) -> output elements ---------------------


def _elemwise(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    fn = node.op.sympy
    if fn is None:
        raise NotImplementedError(_missing(node, "has no SymPy counterpart"))
    return Elements(
        broadcast(args),
        lambda index: fn(*(a.at(align(a.sizes, index)) for a in args)),
        any(a.explicit for a in args),
    )


def _cast(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    return args[0]


_REDUCERS = {"sum": (sympy.Sum, sympy.Add), "prod": (sympy.Product, sympy.Mul)}
_EXPANDERS = {"sum": sympy.Add, "prod": sympy.Mul, "max": sympy.Max, "min": sympy.Min}


def _reduce(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    (x,), op = args, node.op
    kept = [a for a in range(len(x.sizes)) if a not in op.axes]
    reduced = [x.sizes[a] for a in op.axes]
    expand = x.explicit or op.kind not in _REDUCERS
    if expand and not all(s.is_Integer for s in reduced):
        raise NotImplementedError(_missing(node, "over an axis of unknown size has no SymPy form"))

    def at(index: Index) -> sympy.Expr:
        outer = [index[a] for a in kept] if op.keepdims else list(index)

        def full(inner: Index) -> Index:
            slots = dict(zip(kept, outer)) | dict(zip(op.axes, inner))
            return tuple(slots[a] for a in range(len(x.sizes)))

        if expand:
            ranges = itertools.product(*(range(int(s)) for s in reduced))
            terms = [x.at(full(tuple(map(sympy.Integer, r)))) for r in ranges]
            return _EXPANDERS[op.kind](*terms)
        bounds = []
        for size in reduced:
            bounds.append((tr.bound(tuple(outer), tuple(b[0] for b in bounds)), ZERO, size - 1))
        return _REDUCERS[op.kind][0](x.at(full(tuple(b[0] for b in bounds))), *bounds)

    if op.keepdims:
        sizes = tuple(ONE if a in op.axes else s for a, s in enumerate(x.sizes))
    else:
        sizes = tuple(x.sizes[a] for a in kept)
    return Elements(sizes, at, x.explicit)


def _dot(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    a, b = args
    batch = broadcast([Elements(a.sizes[:-2], a.at), Elements(b.sizes[:-2], b.at)])
    rows = a.sizes[-2:-1] if len(a.sizes) >= 2 else ()
    cols = b.sizes[-1:] if len(b.sizes) >= 2 else ()

    def at(index: Index) -> sympy.Expr:
        k = tr.bound(index)
        lead, rest = index[: len(batch)], index[len(batch) :]
        a_index = align(a.sizes[:-2], lead) + (rest[:1] if rows else ()) + (k,)
        b_index = align(b.sizes[:-2], lead) + (k,) + (rest[-1:] if cols else ())
        return sympy.Sum(a.at(a_index) * b.at(b_index), (k, ZERO, a.sizes[-1] - 1))

    return Elements(batch + rows + cols, at)


def _tensordot(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    (a, b), op = args, node.op
    a_kept = [d for d in range(len(a.sizes)) if d not in op.axes_a]
    b_kept = [d for d in range(len(b.sizes)) if d not in op.axes_b]

    def at(index: Index) -> sympy.Expr:
        bounds: list[tuple] = []
        for d in op.axes_a:
            bounds.append((tr.bound(index, tuple(s[0] for s in bounds)), ZERO, a.sizes[d] - 1))
        summed = [s[0] for s in bounds]
        a_slots = dict(zip(a_kept, index)) | dict(zip(op.axes_a, summed))
        b_slots = dict(zip(b_kept, index[len(a_kept) :])) | dict(zip(op.axes_b, summed))
        a_index = tuple(a_slots[d] for d in range(len(a.sizes)))
        b_index = tuple(b_slots[d] for d in range(len(b.sizes)))
        return sympy.Sum(a.at(a_index) * b.at(b_index), *bounds)

    sizes = tuple(a.sizes[d] for d in a_kept) + tuple(b.sizes[d] for d in b_kept)
    return Elements(sizes, at)


def _dimshuffle(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    (x,), order = args, node.op.order

    def at(index: Index) -> sympy.Expr:
        inner = [ZERO] * len(x.sizes)
        for position, d in enumerate(order):
            if d != "x":
                inner[d] = index[position]
        return x.at(tuple(inner))

    return Elements(tuple(ONE if d == "x" else x.sizes[d] for d in order), at, x.explicit)


def _shape(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    sizes = args[0].sizes
    return Elements((sympy.Integer(len(sizes)),), lambda index: _choose(index[0], sizes), True)


def _join(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    axis = node.op.axis
    if not node.op.new_axis:
        raise NotImplementedError(_missing(node, "(concatenate) has no SymPy form"))
    sizes = broadcast(args)
    sizes = sizes[:axis] + (sympy.Integer(len(args)),) + sizes[axis:]

    def at(index: Index) -> sympy.Expr:
        rest = index[:axis] + index[axis + 1 :]
        return _choose(index[axis], [a.at(align(a.sizes, rest)) for a in args])

    return Elements(sizes, at, True)


def _alloc(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    value, shape = args
    ndim = node.outputs[0].ndim
    sizes = tuple(shape.at((sympy.Integer(a),)) for a in range(ndim))
    return Elements(sizes, lambda index: value.at(align(value.sizes, index)), value.explicit)


def _subtensor(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    x, *parts = args
    values = iter(p.at(()) for p in parts)
    steps: list[tuple[str, Any]] = []  # per input axis: ("fixed", expr) or ("range", start, step)
    sizes: list[sympy.Expr] = []
    axis = 0
    for entry in node.op.idx:
        kind = entry[0]
        if kind == "adv":
            raise NotImplementedError(_missing(node, "(advanced indexing) has no SymPy form"))
        if kind == "new":
            steps.append(("new",))
            sizes.append(ONE)
            continue
        size = x.sizes[axis]
        axis += 1
        bounds = [next(values) if p == INPUT else p for p in entry[1:]]
        if kind == "int":
            k = sympy.sympify(bounds[0])
            steps.append(("fixed", size + k if k.is_negative else k))
            continue
        start, stop, step = bounds
        step = sympy.sympify(1 if step is None else step)
        if not step.is_positive:
            raise NotImplementedError(_missing(node, "with a negative step has no SymPy form"))
        start = _bound(start, ZERO, size)
        stop = _bound(stop, size, size)
        steps.append(("range", start, step))
        sizes.append(sympy.Max(ZERO, sympy.ceiling((stop - start) / step)))
    sizes += x.sizes[axis:]

    def at(index: Index) -> sympy.Expr:
        out = iter(index)
        inner = []
        for s in steps:
            if s[0] == "new":
                next(out)
            elif s[0] == "fixed":
                inner.append(s[1])
            else:
                inner.append(s[1] + s[2] * next(out))
        return x.at(tuple(inner) + tuple(out))

    return Elements(tuple(sizes), at, x.explicit)


def _bound(value: Any, default: sympy.Expr, size: sympy.Expr) -> sympy.Expr:
    """A slice bound as an index from the start (negative bounds count from the end)."""
    if value is None:
        return default
    value = sympy.sympify(value)
    bounded = size + value if value.is_negative else value
    return sympy.Min(bounded, size) if bounded.is_Integer and size.is_Integer else bounded


def _softmax(tr: _Translator, node: Apply, args: list[Elements]) -> Elements:
    (x,), axis = args, node.op.axis

    def normalizer(index: Index) -> sympy.Expr:
        k = tr.bound(index)
        moved = index[:axis] + (k,) + index[axis + 1 :]
        return sympy.Sum(sympy.exp(x.at(moved)), (k, ZERO, x.sizes[axis] - 1))

    if isinstance(node.op, LogSoftmax):
        return Elements(x.sizes, lambda index: x.at(index) - sympy.log(normalizer(index)))
    return Elements(x.sizes, lambda index: sympy.exp(x.at(index)) / normalizer(index))


RULES: dict[type, Callable[[_Translator, Apply, list[Elements]], Elements]] = {
    Elemwise: _elemwise,
    Cast: _cast,
    Reduce: _reduce,
    Dot: _dot,
    Tensordot: _tensordot,
    DimShuffle: _dimshuffle,
    Shape: _shape,
    Join: _join,
    Alloc: _alloc,
    Subtensor: _subtensor,
    Softmax: _softmax,
    LogSoftmax: _softmax,
}


# -- matrix form: linear algebra over MatrixSymbols --------------------------------------------


def _matrix_root(tr: _Translator, var: Variable) -> sympy.Basic | None:
    """Matrices as MatrixSymbols, vectors as column MatrixSymbols, scalars as symbols."""
    if var.ndim == 0:
        return tr.root(var).at(())
    if isinstance(var, Constant) or var.ndim > 2:
        return None
    sizes = tr.root_sizes(var)
    return sympy.MatrixSymbol(tr.name(var), sizes[0], sizes[1] if var.ndim == 2 else ONE)


def _same_shape(a: Variable, b: Variable) -> bool:
    """True when adding ``a`` and ``b`` needs no broadcasting."""
    return a.ndim == b.ndim and all(
        (s == 1) == (t == 1) for s, t in zip(a.type.shape, b.type.shape)
    )


def _matrix_node(node: Apply, forms: list[Any]) -> sympy.Basic | None:
    """The matrix expression of one node, or None when it is not linear algebra."""
    op, inputs = node.op, node.inputs
    matrices = [isinstance(f, sympy.MatrixExpr) for f in forms]
    if isinstance(op, Dot) and all(matrices):
        a, b = forms
        if inputs[0].ndim == 1 and inputs[1].ndim == 1:
            return None
        return b.T * a if inputs[0].ndim == 1 else a * b
    if isinstance(op, DimShuffle) and matrices[0]:
        if op.order in ((1, 0), ("x", 0)):
            return forms[0].T
        return forms[0] if op.order == (0, "x") else None
    if op is elemwise.neg and matrices[0]:
        return -forms[0]
    if op in (elemwise.add, elemwise.sub) and all(matrices) and _same_shape(*inputs):
        return forms[0] + forms[1] if op is elemwise.add else forms[0] - forms[1]
    if op is elemwise.mul and sum(matrices) == 1:
        return forms[0] * forms[1] if matrices[1] else forms[1] * forms[0]
    if op is elemwise.true_div and matrices == [True, False]:
        return forms[0] / forms[1]
    return None


def _matrix_form(tr: _Translator, output: Variable) -> sympy.MatrixExpr | None:
    forms: dict[Variable, Any] = {}
    for node in tr.nodes:
        for var in node.inputs:
            if var.owner is None and var not in forms:
                forms[var] = _matrix_root(tr, var)
        args = [forms[v] for v in node.inputs]
        if any(a is None for a in args) or len(node.outputs) != 1:
            return None
        forms[node.outputs[0]] = _matrix_node(node, args)
    result = forms.get(output)
    return result if isinstance(result, sympy.MatrixExpr) else None


def to_sympy(var: Variable) -> sympy.Basic:
    """The expression computing ``var``, as SymPy mathematics.

    Scalar variables become ``Symbol``s named after them. A vector or matrix
    built by linear algebra alone (``dot``, transposes, sums and differences of
    same-shape operands, scaling) becomes a matrix expression over
    ``MatrixSymbol``s, vectors as columns. Anything else is written
    elementwise: reductions and products as ``Sum``s over bound indices, a
    non-scalar result as its generic element in the free integer indices
    ``i, j, ...``; matrices appear as ``MatrixSymbol`` entries ``x[i, j]``,
    other arrays as ``IndexedBase`` entries. An unknown size of ``x`` is the
    symbol ``n_x`` (axis 0), ``m_x`` (axis 1)... Casts are dropped.

    Raises
    ------
    NotImplementedError
        For an op with no SymPy form (advanced indexing, argmax, ...), naming
        the op and where its node was built.

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> x, y = T.dscalars("x", "y")
    >>> to_sympy(T.exp(x) * y + 1)
    y*exp(x) + 1
    >>> v = T.dvector("v")
    >>> to_sympy((v ** 2).sum())
    Sum(v[i]**2, (i, 0, n_v - 1))
    >>> A, B = T.dmatrices("A", "B")
    >>> to_sympy(T.dot(A, B).T + B)
    B + B.T*A.T
    """
    if not isinstance(var, Variable):
        raise TypeError(f"to_sympy takes one variable, got {type(var).__name__} {var!r}")
    tr = _Translator([var])
    if var.ndim:
        matrix = _matrix_form(tr, var)
        if matrix is not None:
            return matrix
    elements = tr.run(var)
    return elements.at(tr.free(len(elements.sizes)))


def latex(var: Variable, **settings: Any) -> str:
    """LaTeX for ``var`` through ``sympy.latex(to_sympy(var), **settings)``.

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> x = T.dscalar("x")
    >>> latex(T.sqrt(x) / 2)
    '\\\\frac{\\\\sqrt{x}}{2}'
    """
    return sympy.latex(to_sympy(var), **settings)
