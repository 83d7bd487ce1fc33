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
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy

from symgraph.graph.basic import Constant, Variable
from symgraph.graph.traversal import toposort
from symgraph.tensor.sympy_elements import ONE, Elements, Index, number

SIZE_LETTERS = "nmpqrs"
INDEX_LETTERS = "ijkluvw"


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
        """The elements of ``output``: each node's op states its own (``op.sympy_form``)."""
        for node in self.nodes:
            args = [self.get(v) for v in node.inputs]
            try:
                self.elements[node.outputs[0]] = node.op.sympy_form(node, args, self.bound)
            except NotImplementedError as err:
                raise NotImplementedError(
                    f"to_sympy: {node.op} {err} (node built at {node.where})"
                ) from None
        return self.get(output)

    def free(self, ndim: int) -> Index:
        return tuple(self.pool[:ndim])


def _size_letter(axis: int) -> str:
    return SIZE_LETTERS[axis] if axis < len(SIZE_LETTERS) else f"n{axis}"


# -- matrix form: linear algebra over MatrixSymbols --------------------------------------------


def _matrix_root(tr: _Translator, var: Variable) -> sympy.Basic | None:
    """Matrices as MatrixSymbols, vectors as column MatrixSymbols, scalars as symbols."""
    if var.ndim == 0:
        return tr.root(var).at(())
    if isinstance(var, Constant) or var.ndim > 2:
        return None
    sizes = tr.root_sizes(var)
    return sympy.MatrixSymbol(tr.name(var), sizes[0], sizes[1] if var.ndim == 2 else ONE)


def _matrix_form(tr: _Translator, output: Variable) -> sympy.MatrixExpr | None:
    forms: dict[Variable, Any] = {}
    for node in tr.nodes:
        for var in node.inputs:
            if var.owner is None and var not in forms:
                forms[var] = _matrix_root(tr, var)
        args = [forms[v] for v in node.inputs]
        if any(a is None for a in args) or len(node.outputs) != 1:
            return None
        forms[node.outputs[0]] = node.op.sympy_matrix(node, args)
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
