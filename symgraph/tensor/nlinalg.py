"""Linear algebra on NumPy's ``np.linalg``: inverse, pseudo-inverse, determinants, norms.

Theano's ``theano.tensor.nlinalg``. The decompositions (``eig``, ``eigh``,
``svd``, ``qr``) live in ``decompositions`` and are re-exported here; SciPy's
side (``cholesky``, ``solve``, ``expm``) is ``slinalg``. Every op takes
matrices, as in Theano 1.0; ``T.linalg`` gathers both under PyTensor's names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.tensor.creation import AllocDiag, ExtractDiag, alloc_diag, diag, extract_diag
from symgraph.tensor.decompositions import QR, SVD, Eig, Eigh, eig, eigh, qr, svd
from symgraph.tensor.linalg_base import check_matrix, identity_like, linalg_dtype
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable

__all__ = [
    "AllocDiag",
    "Det",
    "Eig",
    "Eigh",
    "ExtractDiag",
    "MatrixInverse",
    "MatrixPinv",
    "QR",
    "SLogDet",
    "SVD",
    "alloc_diag",
    "det",
    "diag",
    "eig",
    "eigh",
    "extract_diag",
    "inv",
    "matrix_dot",
    "matrix_inverse",
    "matrix_power",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "svd",
    "trace",
]


@dataclass(frozen=True)
class MatrixInverse(TensorOp):
    """``np.linalg.inv(x)``. A product ``inv(a) @ b`` is rewritten into ``solve(a, b)``."""

    def infer_type(self, x: Variable) -> TensorType:
        return TensorType(linalg_dtype("matrix_inverse", x), check_matrix("inv", x, square=True))

    def impl(self, x: np.ndarray) -> np.ndarray:
        return np.linalg.inv(x)

    def code(self, x: str) -> str:
        return f"np.linalg.inv({x})"

    def pullback(self, inputs, outputs, output_grads):
        """``-z^T g z^T`` with z the inverse (dz = -z dx z)."""
        (z,), (g,) = outputs, output_grads
        return [-T.dot(T.dot(z.T, g), z.T)]

    def pushforward(self, inputs, outputs, tangents):
        (z,), (t,) = outputs, tangents
        return [None if t is None else -T.dot(T.dot(z, t), z)]

    def pretty(self, x: str) -> str:
        return f"inv({x})"


@dataclass(frozen=True)
class MatrixPinv(TensorOp):
    """``np.linalg.pinv(x)``, the Moore-Penrose pseudo-inverse of any matrix."""

    hermitian: bool = False

    def infer_type(self, x: Variable) -> TensorType:
        rows, cols = check_matrix("pinv", x)
        return TensorType(linalg_dtype("pinv", x), (cols, rows))

    def impl(self, x: np.ndarray) -> np.ndarray:
        return np.linalg.pinv(x, hermitian=self.hermitian)

    def code(self, x: str) -> str:
        return f"np.linalg.pinv({x}, hermitian=True)" if self.hermitian else f"np.linalg.pinv({x})"

    def pullback(self, inputs, outputs, output_grads):
        """Golub and Pereyra's derivative of the pseudo-inverse z of x, transposed."""
        (x,), (z,), (g,) = inputs, outputs, output_grads
        x_z, z_x = T.dot(x, z), T.dot(z, x)
        grad = (
            -matrix_dot(z, g.T, z)
            + matrix_dot(z, z.T, g, identity_like(x_z) - x_z)
            + matrix_dot(identity_like(z_x) - z_x, g, z.T, z)
        )
        return [grad.T]

    def pretty(self, x: str) -> str:
        return f"pinv({x})"


@dataclass(frozen=True)
class Det(TensorOp):
    """``np.linalg.det(x)``; ``log(det(x))`` is rewritten into ``slogdet``'s stable form."""

    def infer_type(self, x: Variable) -> TensorType:
        check_matrix("det", x, square=True)
        return TensorType(linalg_dtype("det", x), ())

    def impl(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.linalg.det(x))

    def code(self, x: str) -> str:
        return f"np.linalg.det({x})"

    def pullback(self, inputs, outputs, output_grads):
        """Jacobi's formula: ``g det(x) inv(x)^T``."""
        (x,), (d,), (g,) = inputs, outputs, output_grads
        return [g * d * matrix_inverse(x).T]

    def pushforward(self, inputs, outputs, tangents):
        (x,), (d,), (t,) = inputs, outputs, tangents
        return [None if t is None else d * trace(T.dot(matrix_inverse(x), t))]

    def pretty(self, x: str) -> str:
        return f"det({x})"


@dataclass(frozen=True)
class SLogDet(TensorOp):
    """``np.linalg.slogdet(x)``: the sign and the log of the absolute value of the determinant.

    It stays finite where ``det`` overflows or underflows.
    """

    nout = 2

    def infer_type(self, x: Variable) -> tuple[TensorType, TensorType]:
        check_matrix("slogdet", x, square=True)
        dtype = linalg_dtype("slogdet", x)
        return TensorType(dtype, ()), TensorType(dtype, ())

    def impl(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sign, logabsdet = np.linalg.slogdet(x)
        return np.asarray(sign), np.asarray(logabsdet)

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        return [f"{outs[0]}, {outs[1]} = np.linalg.slogdet({names[0]})"]

    def pullback(self, inputs, outputs, output_grads):
        """The sign is piecewise constant; ``log|det x|`` has the gradient ``inv(x)^T``."""
        (x,), (_, g) = inputs, output_grads
        return [g * matrix_inverse(x).T]

    def pretty(self, x: str) -> str:
        return f"slogdet({x})"


# -- functions ---------------------------------------------------------------------------------


def matrix_inverse(x: Any) -> Variable:
    """The inverse of a square matrix, as ``np.linalg.inv``."""
    return MatrixInverse()(x)


inv = matrix_inverse


def pinv(x: Any, hermitian: bool = False) -> Variable:
    """The Moore-Penrose pseudo-inverse, as ``np.linalg.pinv``; ``hermitian`` for symmetric x."""
    return MatrixPinv(bool(hermitian))(x)


def det(x: Any) -> Variable:
    """The determinant of a square matrix, as ``np.linalg.det``."""
    return Det()(x)


def slogdet(x: Any) -> tuple[Variable, Variable]:
    """``(sign, log|det x|)``, as ``np.linalg.slogdet``."""
    sign, logabsdet = SLogDet()(x)
    return sign, logabsdet


def trace(x: Any) -> Variable:
    """The sum of the diagonal of a matrix."""
    x = as_tensor_variable(x)
    check_matrix("trace", x)
    return T.sum(extract_diag(x))


def matrix_dot(*args: Any) -> Variable:
    """The product ``args[0] @ args[1] @ ...`` of several matrices, left to right."""
    result = args[0]
    for a in args[1:]:
        result = T.dot(result, a)
    return result


def matrix_power(m: Any, n: int) -> Variable:
    """``m`` raised to the integer power ``n`` by repeated squaring; negative n inverts first."""
    m = as_tensor_variable(m)
    check_matrix("matrix_power", m, square=True)
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: the exponent must be a Python int, got {n!r}")
    if n == 0:
        return T.eye(m.shape[0], dtype=m.dtype)
    if n < 0:
        m, n = matrix_inverse(m), -n
    result, square = None, m
    while True:
        if n & 1:
            result = square if result is None else T.dot(result, square)
        n >>= 1
        if not n:
            return result
        square = T.dot(square, square)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Variable:
    """The vector or matrix norm of ``np.linalg.norm``, built from reductions.

    ``ord`` takes NumPy's values; Theano's strings ``'inf'`` and ``'-inf'`` also
    work. The matrix 2-norm, -2-norm and nuclear norm use singular values.
    """
    x = as_tensor_variable(x)
    ord = {"inf": np.inf, "-inf": -np.inf}.get(ord, ord) if isinstance(ord, str) else ord
    if axis is None:
        if ord is None:
            return _keep(T.sqrt(T.sum(_sq_abs(x))), x, tuple(range(x.ndim)), keepdims)
        if x.ndim not in (1, 2):
            raise TypeError(f"norm: ord={ord!r} needs a vector or a matrix, got {x.type}")
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(int(a) % max(x.ndim, 1) for a in axes)
    if len(axes) == 1:
        return _keep(_vector_norm(x, ord, axes[0]), x, axes, keepdims)
    if len(axes) == 2 and axes[0] != axes[1]:
        return _keep(_matrix_norm(x, ord, axes), x, axes, keepdims)
    raise TypeError(f"norm: axis must be an int or a pair of distinct ints, got {axis!r}")


def _sq_abs(x: Variable) -> Variable:
    return T.sqr(T.abs(x)) if x.dtype[0] == "c" else T.sqr(x)


def _vector_norm(x: Variable, ord: Any, axis: int) -> Variable:
    if ord is None or ord == 2:
        return T.sqrt(T.sum(_sq_abs(x), axis=axis))
    if ord == np.inf:
        return T.max(T.abs(x), axis=axis)
    if ord == -np.inf:
        return T.min(T.abs(x), axis=axis)
    if ord == 0:
        return T.sum(T.neq(x, 0), axis=axis, dtype=linalg_dtype("norm", x))
    if ord == 1:
        return T.sum(T.abs(x), axis=axis)
    if isinstance(ord, str):
        raise TypeError(f"norm: ord={ord!r} is not a vector norm")
    return T.sum(T.abs(x) ** ord, axis=axis) ** (1.0 / ord)


def _matrix_norm(x: Variable, ord: Any, axes: tuple[int, int]) -> Variable:
    rows, cols = axes
    if ord is None or ord == "fro":
        return T.sqrt(T.sum(_sq_abs(x), axis=axes))
    if ord in (1, -1, np.inf, -np.inf):
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = T.sum(T.abs(x), axis=summed)
        return (T.max if ord > 0 else T.min)(sums, axis=over - (over > summed))
    if ord in (2, -2, "nuc"):
        if x.ndim != 2:
            raise TypeError(f"norm: ord={ord!r} takes a matrix, got {x.type}")
        s = svd(x if axes == (0, 1) else x.T, compute_uv=False)
        return T.sum(s) if ord == "nuc" else (T.max if ord == 2 else T.min)(s)
    raise TypeError(f"norm: ord={ord!r} is not a matrix norm")


def _keep(result: Variable, x: Variable, axes: tuple[int, ...], keepdims: bool) -> Variable:
    """``result`` with the reduced ``axes`` of ``x`` back as size 1 when ``keepdims``."""
    if not keepdims:
        return result
    kept = iter(range(result.ndim))
    return T.dimshuffle(result, ["x" if a in axes else next(kept) for a in range(x.ndim)])
