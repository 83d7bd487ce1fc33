"""Linear algebra of ``scipy.linalg``'s kind: Cholesky, solves, ``expm``, ``kron``, ``eigvalsh``.

Theano's ``theano.tensor.slinalg``. SciPy is optional: Cholesky factors and
general solves are NumPy's; a triangular solve is SciPy's
``solve_triangular`` when SciPy is installed and NumPy's general solve of
the triangle otherwise; ``expm`` and the generalized ``eigvalsh`` need SciPy
and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.tensor.creation import extract_diag, tril, triu
from symgraph.tensor.decompositions import Eigh
from symgraph.tensor.linalg_base import (
    check_matrix,
    fold_triangle,
    have_scipy,
    linalg_dtype,
    scipy_linalg,
)
from symgraph.tensor.shape import dim_size
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable

__all__ = [
    "Cholesky",
    "Expm",
    "Solve",
    "cholesky",
    "eigvalsh",
    "expm",
    "kron",
    "solve",
    "solve_lower_triangular",
    "solve_symmetric",
    "solve_triangular",
    "solve_upper_triangular",
]

#: what a Solve may assume about a; the transpose of a triangle is the other triangle
STRUCTURES = ("general", "symmetric", "lower_triangular", "upper_triangular")
_TRANSPOSED = {"lower_triangular": "upper_triangular", "upper_triangular": "lower_triangular"}


@dataclass(frozen=True)
class Cholesky(TensorOp):
    """The Cholesky factor of a positive-definite matrix: ``np.linalg.cholesky``.

    ``lower`` gives L with ``x = L L^T`` (reading x's lower triangle), otherwise
    U with ``x = U^T U`` (reading the upper one). ``on_error='nan'`` returns a
    matrix of NaN instead of raising when x is not positive definite.
    """

    lower: bool = True
    on_error: str = "raise"

    def infer_type(self, x: Variable) -> TensorType:
        if self.on_error not in ("raise", "nan"):
            raise TypeError(f"cholesky: on_error must be 'raise' or 'nan', not {self.on_error!r}")
        return TensorType(linalg_dtype("cholesky", x), check_matrix("cholesky", x, square=True))

    def impl(self, x: np.ndarray) -> np.ndarray:
        try:
            return np.linalg.cholesky(x) if self.lower else np.linalg.cholesky(x.T).T
        except np.linalg.LinAlgError:
            if self.on_error == "raise":
                raise
            return np.full(x.shape, np.nan, dtype=np.result_type(x.dtype, np.float32))

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x,) = outs, names
        call = f"np.linalg.cholesky({x})" if self.lower else f"np.linalg.cholesky({x}.T).T"
        if self.on_error == "raise":
            return [f"{out} = {call}"]
        return [
            "try:",
            f"    {out} = {call}",
            "except np.linalg.LinAlgError:",
            f"    {out} = np.full({x}.shape, np.nan, dtype=np.result_type({x}.dtype, np.float32))",
        ]

    def pullback(self, inputs, outputs, output_grads):
        """Murray's formula: ``s = L^-T phi(L^T g) L^-1``, folded onto the triangle read.

        phi keeps the lower triangle and halves the diagonal (arXiv:1602.07527).
        """
        (factor,), (g,) = outputs, output_grads
        if self.on_error == "nan":
            ok = ~T.any(T.isnan(factor))
            factor, g = T.switch(ok, factor, 1), T.switch(ok, g, 1)
        low, g = (factor, g) if self.lower else (factor.T, g.T)
        product = T.dot(low.T, g)
        phi = tril(product) - T.diag(extract_diag(product) / 2)
        s = solve_upper_triangular(low.T, solve_upper_triangular(low.T, phi.T).T)
        folded = fold_triangle(s, self.lower)
        return [T.switch(ok, folded, np.nan) if self.on_error == "nan" else folded]

    def pretty(self, x: str) -> str:
        return f"cholesky({x})" if self.lower else f"cholesky({x}, lower=False)"

    def __str__(self) -> str:
        return "Cholesky" if self.lower else "Cholesky{upper}"


@dataclass(frozen=True)
class Solve(TensorOp):
    """``x`` with ``a @ x = b``, for b a vector or a matrix; ``structure`` is one of STRUCTURES.

    A triangular ``a`` is read only in its triangle. ``inv(a) @ b`` is rewritten
    into this op.
    """

    structure: str = "general"

    def infer_type(self, a: Variable, b: Variable) -> TensorType:
        if self.structure not in STRUCTURES:
            raise TypeError(f"solve: structure must be one of {STRUCTURES}, not {self.structure!r}")
        n, _ = check_matrix("solve", a, square=True)
        if b.ndim not in (1, 2):
            raise TypeError(f"solve: b must be a vector or a matrix, got {b!r} of type {b.type}")
        rows = b.type.shape[0]
        if n is not None and rows is not None and n != rows:
            raise TypeError(
                f"solve: a of shape {a.type.shape_str()} and b of shape {b.type.shape_str()} "
                f"do not match ({n} != {rows})"
            )
        n = n if n is not None else rows
        return TensorType(linalg_dtype("solve", a, b), (n, *b.type.shape[1:]))

    @property
    def lower(self) -> bool | None:
        """True / False for a triangular structure, None otherwise."""
        return {"lower_triangular": True, "upper_triangular": False}.get(self.structure)

    def impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.lower is None:
            return np.linalg.solve(a, b)
        if have_scipy():
            return scipy_linalg.solve_triangular(a, b, lower=self.lower)
        return np.linalg.solve(np.tril(a) if self.lower else np.triu(a), b)

    def code(self, a: str, b: str) -> str:
        if self.lower is None:
            return f"np.linalg.solve({a}, {b})"
        if have_scipy():
            return f"scipy_linalg.solve_triangular({a}, {b}, lower={self.lower})"
        return f"np.linalg.solve(np.{'tril' if self.lower else 'triu'}({a}), {b})"

    def pullback(self, inputs, outputs, output_grads):
        """``gb = solve(a^T, g)`` and ``ga = -gb x^T`` (Giles), ``ga`` kept in a's triangle."""
        (a, _), (x,), (g,) = inputs, outputs, output_grads
        gb = Solve(_TRANSPOSED.get(self.structure, self.structure))(a.T, g)
        ga = -(T.outer(gb, x) if x.ndim == 1 else T.dot(gb, x.T))
        if self.lower is not None:
            ga = tril(ga) if self.lower else triu(ga)
        return [ga, gb]

    def pretty(self, a: str, b: str) -> str:
        return f"solve({a}, {b})"

    def __str__(self) -> str:
        return "Solve" if self.structure == "general" else f"Solve{{{self.structure}}}"


@dataclass(frozen=True)
class Expm(TensorOp):
    """The matrix exponential ``scipy.linalg.expm(a)`` (needs SciPy)."""

    def infer_type(self, a: Variable) -> TensorType:
        return TensorType(linalg_dtype("expm", a), check_matrix("expm", a, square=True))

    def impl(self, a: np.ndarray) -> np.ndarray:
        return scipy_linalg.expm(a)

    def code(self, a: str) -> str:
        return f"scipy_linalg.expm({a})"

    def pullback(self, inputs, outputs, output_grads):
        """The Frechet derivative at ``a^T`` applied to g: a block of ``expm([[a^T, g], [0, a^T]])``."""
        (a,), (g,) = inputs, output_grads
        return [_frechet(a.T, g)]

    def pushforward(self, inputs, outputs, tangents):
        (a,), (t,) = inputs, tangents
        return [None if t is None else _frechet(a, t)]

    def pretty(self, a: str) -> str:
        return f"expm({a})"


def _frechet(a: Variable, e: Variable) -> Variable:
    """The derivative of expm at ``a`` in the direction ``e`` (Mathias's block formula)."""
    n = dim_size(a, 0)
    upper = T.concatenate([a, e], axis=1)
    lower = T.concatenate([T.zeros_like(a), a], axis=1)
    block = Expm()(T.concatenate([upper, lower], axis=0))
    return block[:n, n:]


# -- functions ---------------------------------------------------------------------------------


def cholesky(x: Any, lower: bool = True, on_error: str = "raise") -> Variable:
    """The Cholesky factor of a symmetric positive-definite matrix (L, or U when not lower)."""
    return Cholesky(bool(lower), on_error)(x)


def solve(a: Any, b: Any, assume_a: str = "gen", lower: bool = False, **_: Any) -> Variable:
    """``x`` with ``a @ x = b``, as ``scipy.linalg.solve`` (PyTensor's keywords).

    ``assume_a`` 'gen', 'sym', 'her' and 'pos' solve with NumPy's general
    solver; SciPy's other keywords (``check_finite``...) are accepted and ignored.
    """
    if assume_a not in ("gen", "sym", "her", "pos"):
        raise TypeError(f"solve: assume_a must be 'gen', 'sym', 'her' or 'pos', not {assume_a!r}")
    return Solve("general" if assume_a == "gen" else "symmetric")(a, b)


def solve_triangular(a: Any, b: Any, trans: Any = 0, lower: bool = False, **_: Any) -> Variable:
    """``x`` with ``a @ x = b`` (``a.T @ x = b`` for trans 1 or 'T'), reading a's triangle."""
    a = as_tensor_variable(a)
    if trans in (1, "T", "C"):
        a, lower = a.T, not lower
    elif trans not in (0, "N"):
        raise TypeError(f"solve_triangular: trans must be 0, 1, 'N', 'T' or 'C', not {trans!r}")
    return Solve("lower_triangular" if lower else "upper_triangular")(a, b)


def solve_lower_triangular(a: Any, b: Any) -> Variable:
    """``solve`` for a lower-triangular ``a`` (Theano's name)."""
    return Solve("lower_triangular")(a, b)


def solve_upper_triangular(a: Any, b: Any) -> Variable:
    """``solve`` for an upper-triangular ``a`` (Theano's name)."""
    return Solve("upper_triangular")(a, b)


def solve_symmetric(a: Any, b: Any) -> Variable:
    """``solve`` for a symmetric ``a`` (Theano's name)."""
    return Solve("symmetric")(a, b)


def eigvalsh(a: Any, b: Any = None, lower: bool = True) -> Variable:
    """Eigenvalues of the symmetric ``a`` or of the generalized problem ``a v = w b v``.

    Reads the lower (or upper) triangles. With ``b`` it uses
    ``scipy.linalg.eigh``, so it needs SciPy; without, NumPy's ``eigh``.
    """
    op = Eigh("L" if lower else "U")
    return (op(a) if b is None else op(a, b))[0]


def expm(a: Any) -> Variable:
    """The matrix exponential of a square matrix (needs SciPy)."""
    return Expm()(a)


def kron(a: Any, b: Any) -> Variable:
    """The Kronecker product of two arrays, as ``np.kron``: block (i, j) is ``a[i, j] * b``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    ndim = max(a.ndim, b.ndim)
    if ndim == 0:
        return a * b
    a = T.dimshuffle(a, ["x"] * (ndim - a.ndim) + list(range(a.ndim)))
    b = T.dimshuffle(b, ["x"] * (ndim - b.ndim) + list(range(b.ndim)))
    # axes interleaved as (a0, b0, a1, b1, ...), then each pair merged
    a_axes = [d for k in range(ndim) for d in (k, "x")]
    b_axes = [d for k in range(ndim) for d in ("x", k)]
    blocks = T.dimshuffle(a, a_axes) * T.dimshuffle(b, b_axes)
    shape = [dim_size(a, k) * dim_size(b, k) for k in range(ndim)]
    return T.reshape(blocks, shape, ndim=ndim)
