"""Matrix decompositions with several outputs: ``eig``, ``eigh``, ``svd``, ``qr``.

Each op emits one NumPy call that unpacks its outputs (``w, v =
np.linalg.eigh(a)``). An output the cost does not use receives zeros from
``grad`` (``is_zero``); pullbacks skip those terms, which also keeps them
finite where the unused term would divide by a zero eigenvalue gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.tensor.creation import tril
from symgraph.tensor.linalg_base import (
    check_matrix,
    fold_triangle,
    identity_like,
    is_zero,
    linalg_dtype,
    real_dtype,
    scipy_linalg,
)
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable


@dataclass(frozen=True)
class Eig(TensorOp):
    """``np.linalg.eig(x)``: eigenvalues and right eigenvectors, of the complex ``dtype``.

    NumPy returns real arrays when every eigenvalue is real, so the results are
    cast to the declared dtype (Theano 1.0 cast them to the input's real dtype,
    dropping imaginary parts). No gradient: ``eigh`` has one, for symmetric x.
    """

    dtype: str = "complex128"
    nout = 2

    def infer_type(self, x: Variable) -> tuple[TensorType, TensorType]:
        n, _ = check_matrix("eig", x, square=True)
        if np.promote_types(linalg_dtype("eig", x), np.complex64) != self.dtype:
            raise TypeError(f"eig: {x!r} of type {x.type} does not give {self.dtype} results")
        return TensorType(self.dtype, (n,)), TensorType(self.dtype, (n, n))

    def impl(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return tuple(a.astype(self.dtype, copy=False) for a in np.linalg.eig(x))

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (w, v), (x,) = outs, names
        return [
            f"{w}, {v} = np.linalg.eig({x})",
            f"{w} = {w}.astype(np.{self.dtype}, copy=False)",
            f"{v} = {v}.astype(np.{self.dtype}, copy=False)",
        ]

    def pullback(self, inputs, outputs, output_grads):
        raise NotImplementedError("eig's results are complex; eigh differentiates symmetric x")

    def pretty(self, x: str) -> str:
        return f"eig({x})"


@dataclass(frozen=True)
class Eigh(TensorOp):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix: ``np.linalg.eigh``.

    Only the triangle ``UPLO`` ('L' lower, 'U' upper) is read, so the gradient
    lies in that triangle. With a second input b it solves the generalized
    problem ``a v = w b v`` with ``scipy.linalg.eigh`` (``slinalg.eigvalsh``).
    """

    UPLO: str = "L"
    nout = 2

    def infer_type(self, a: Variable, *b: Variable) -> tuple[TensorType, TensorType]:
        if self.UPLO not in ("L", "U"):
            raise TypeError(f"eigh: UPLO must be 'L' or 'U', got {self.UPLO!r}")
        n, _ = check_matrix("eigh", a, square=True)
        for other in b:
            check_matrix("eigvalsh", other, square=True)
        dtype = linalg_dtype("eigh", a, *b)
        return TensorType(real_dtype(dtype), (n,)), TensorType(dtype, (n, n))

    def impl(self, a: np.ndarray, *b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if b:
            return tuple(scipy_linalg.eigh(a, b[0], lower=self.UPLO == "L"))
        return tuple(np.linalg.eigh(a, UPLO=self.UPLO))

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (w, v), a = outs, names[0]
        if len(names) == 2:
            return [f"{w}, {v} = scipy_linalg.eigh({a}, {names[1]}, lower={self.UPLO == 'L'})"]
        uplo = "" if self.UPLO == "L" else ", UPLO='U'"
        return [f"{w}, {v} = np.linalg.eigh({a}{uplo})"]

    def pullback(self, inputs, outputs, output_grads):
        """``v (diag(gw) + F o (v^T gv)) v^T`` with ``F_ij = 1 / (w_j - w_i)``, folded onto UPLO.

        For the generalized problem only the eigenvalues are differentiated:
        ``dw_i = v_i^T (da - w_i db) v_i``.
        """
        (w, v), (gw, gv) = outputs, output_grads
        if len(inputs) == 2 and not is_zero(gv):
            raise NotImplementedError("the generalized eigenvectors of eigh have no gradient")
        inner = T.diag(gw)
        if not is_zero(gv):
            eye = identity_like(v)
            gaps = w.dimshuffle("x", 0) - w.dimshuffle(0, "x")
            inner = inner + (1 / (gaps + eye) - eye) * T.dot(v.T, gv)
        grads = [T.dot(T.dot(v, inner), v.T)]
        if len(inputs) == 2:
            grads.append(-T.dot(v * (gw * w).dimshuffle("x", 0), v.T))
        return [fold_triangle(g, lower=self.UPLO == "L") for g in grads]

    def pretty(self, a: str, *b: str) -> str:
        if b:
            return f"eigh({a}, {b[0]}, lower={self.UPLO == 'L'})"
        return f"eigh({a})" if self.UPLO == "L" else f"eigh({a}, UPLO='U')"

    def __str__(self) -> str:
        return f"Eigh{{{self.UPLO}}}"


@dataclass(frozen=True)
class SVD(TensorOp):
    """``np.linalg.svd(x, full_matrices, compute_uv)``: ``u, s, vt`` or only ``s``.

    The singular values always have a gradient; u and vt have one when
    ``full_matrices`` is False (with distinct singular values).
    """

    full_matrices: bool = True
    compute_uv: bool = True

    @property
    def nout(self) -> int:
        return 3 if self.compute_uv else 1

    def infer_type(self, x: Variable) -> Any:
        m, n = check_matrix("svd", x)
        dtype = linalg_dtype("svd", x)
        k = None if m is None or n is None else min(m, n)
        s = TensorType(real_dtype(dtype), (k,))
        if not self.compute_uv:
            return s
        if self.full_matrices:
            return TensorType(dtype, (m, m)), s, TensorType(dtype, (n, n))
        return TensorType(dtype, (m, k)), s, TensorType(dtype, (k, n))

    def impl(self, x: np.ndarray) -> Any:
        result = np.linalg.svd(x, self.full_matrices, self.compute_uv)
        return tuple(result) if self.compute_uv else result

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        if not self.compute_uv:
            return [f"{outs[0]} = np.linalg.svd({names[0]}, compute_uv=False)"]
        full = "" if self.full_matrices else ", full_matrices=False"
        return [f"{', '.join(outs)} = np.linalg.svd({names[0]}{full})"]

    def pullback(self, inputs, outputs, output_grads):
        """``u diag(gs) vt``, plus the singular vectors' terms (Townsend's formulas)."""
        (x,) = inputs
        if not self.compute_uv:
            u, _, vt = svd(x, full_matrices=False)
            return [T.dot(u * output_grads[0].dimshuffle("x", 0), vt)]
        (u, s, vt), (gu, gs, gvt) = outputs, output_grads
        if is_zero(gu) and is_zero(gvt):
            if self.full_matrices:  # only the first k columns of u and rows of vt count
                k = s.shape[0]
                u, vt = u[:, :k], vt[:k]
            return [T.dot(u * gs.dimshuffle("x", 0), vt)]
        if self.full_matrices:
            raise NotImplementedError("the gradient of svd's u and vt needs full_matrices=False")
        return [_svd_vectors_pullback(u, s, vt, gu, gs, gvt)]

    def pretty(self, x: str) -> str:
        return (
            f"svd({x})" if self == SVD() else f"svd({x}, {self.full_matrices}, {self.compute_uv})"
        )

    def __str__(self) -> str:
        if not self.compute_uv:
            return "SVD{s}"
        return "SVD" if self.full_matrices else "SVD{reduced}"


def _svd_vectors_pullback(u, s, vt, gu, gs, gvt) -> Variable:
    """``u (J s + diag(gs) + s K) vt`` plus the projections of gu and gvt off u and v."""
    eye = identity_like(s.dimshuffle(0, "x") * s.dimshuffle("x", 0))
    squares = T.sqr(s)
    gaps = squares.dimshuffle("x", 0) - squares.dimshuffle(0, "x")
    f = 1 / (gaps + eye) - eye  # 1 / (s_j^2 - s_i^2) off the diagonal
    ut_gu, vt_gv = T.dot(u.T, gu), T.dot(vt, gvt.T)
    inner = (f * (ut_gu - ut_gu.T)) * s.dimshuffle("x", 0)
    inner = inner + T.diag(gs) + s.dimshuffle(0, "x") * (f * (vt_gv - vt_gv.T))
    result = T.dot(T.dot(u, inner), vt)
    inv_s = (1 / s).dimshuffle("x", 0)
    # zero when u (resp. v) is square: the projections off its columns vanish
    off_u = T.dot(identity_like(u) - T.dot(u, u.T), gu) * inv_s
    off_v = T.dot(u * inv_s, T.dot(gvt, identity_like(vt, 1) - T.dot(vt.T, vt)))
    return result + T.dot(off_u, vt) + off_v


@dataclass(frozen=True)
class QR(TensorOp):
    """``np.linalg.qr(x, mode)``: ``q, r`` ('reduced', 'complete'), ``r`` ('r'), ``h, tau`` ('raw')."""

    mode: str = "reduced"

    @property
    def nout(self) -> int:
        return 1 if self.mode == "r" else 2

    def infer_type(self, x: Variable) -> Any:
        if self.mode not in ("reduced", "complete", "r", "raw"):
            raise TypeError(f"qr: mode must be reduced, complete, r or raw, not {self.mode!r}")
        m, n = check_matrix("qr", x)
        dtype = linalg_dtype("qr", x)
        k = None if m is None or n is None else min(m, n)
        if self.mode == "raw":
            return TensorType(dtype, (n, m)), TensorType(dtype, (k,))
        r = TensorType(dtype, (m if self.mode == "complete" else k, n))
        if self.mode == "r":
            return r
        return TensorType(dtype, (m, m if self.mode == "complete" else k)), r

    def impl(self, x: np.ndarray) -> Any:
        result = np.linalg.qr(x, self.mode)
        return result if self.mode == "r" else tuple(result)

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        mode = "" if self.mode == "reduced" else f", mode={self.mode!r}"
        return [f"{', '.join(outs)} = np.linalg.qr({names[0]}{mode})"]

    def pullback(self, inputs, outputs, output_grads):
        """For ``x = q r`` with m >= n: ``(gq + q copyltu(M)) r^-T``, M = r gr^T - gq^T q.

        ``copyltu`` mirrors the lower triangle onto the upper one. A wide matrix
        (m < n) needs another formula, not implemented.
        """
        if self.mode != "reduced":
            raise NotImplementedError(f"qr's gradient needs mode='reduced', not {self.mode!r}")
        (x,), (q, r), (gq, gr) = inputs, outputs, output_grads
        rows, cols = x.type.shape
        if rows is not None and cols is not None and rows < cols:
            raise NotImplementedError(f"qr's gradient needs rows >= columns, got {x.type}")
        m = T.dot(r, gr.T) - T.dot(gq.T, q)
        b = gq + T.dot(q, tril(m) + tril(m, -1).T)
        return [T.slinalg.solve_upper_triangular(r, b.T).T]

    def pretty(self, x: str) -> str:
        return f"qr({x})" if self.mode == "reduced" else f"qr({x}, {self.mode!r})"

    def __str__(self) -> str:
        return f"QR{{{self.mode}}}"


# -- functions ---------------------------------------------------------------------------------


def eig(x: Any) -> tuple[Variable, Variable]:
    """``(w, v)``: eigenvalues and right eigenvectors, complex, as ``np.linalg.eig``."""
    x = as_tensor_variable(x)
    dtype = str(np.promote_types(linalg_dtype("eig", x), np.complex64))
    w, v = Eig(dtype)(x)
    return w, v


def eigh(a: Any, UPLO: str = "L") -> tuple[Variable, Variable]:  # noqa: N803 (NumPy's name)
    """``(w, v)`` of a symmetric matrix, reading the ``UPLO`` triangle, as ``np.linalg.eigh``."""
    w, v = Eigh(UPLO)(a)
    return w, v


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """``(u, s, vt)``, or ``s`` alone with ``compute_uv=False``, as ``np.linalg.svd``."""
    result = SVD(bool(full_matrices), bool(compute_uv))(a)
    return tuple(result) if compute_uv else result


def qr(a: Any, mode: str = "reduced") -> Any:
    """``(q, r)`` with ``q`` orthonormal and ``r`` upper triangular, as ``np.linalg.qr``."""
    result = QR(mode)(a)
    return result if mode == "r" else tuple(result)
