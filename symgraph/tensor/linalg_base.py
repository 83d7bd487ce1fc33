"""What the linear-algebra modules share: dtypes, matrix checks, and SciPy behind a lazy import.

SciPy is optional. NumPy's ``np.linalg`` computes inverses, determinants,
decompositions and general solves; ``scipy_linalg`` (the global generated code
calls, as ``scipy_linalg.expm(a)``) is imported on first use and, when SciPy is
missing, raises an ImportError that says what to install.
"""

from __future__ import annotations

import importlib.util

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Constant, Variable
from symgraph.lazy import LazyFunctions
from symgraph.tensor.creation import tril, triu
from symgraph.tensor.shape import Alloc

INSTALL_SCIPY = "pip install scipy (or pip install 'symgraph[linalg]')"
scipy_linalg = LazyFunctions("scipy.linalg", install=INSTALL_SCIPY)


def have_scipy() -> bool:
    """True when SciPy can be imported (read at code generation: a fallback may be chosen)."""
    return importlib.util.find_spec("scipy") is not None


def linalg_dtype(op: str, *inputs: Variable) -> str:
    """The result dtype of ``np.linalg``: integers give float64; float16 is refused, as NumPy does."""
    dtype = np.result_type(*(x.dtype for x in inputs))
    if dtype.kind in "biu":
        return "float64"
    if dtype.kind not in "fc" or dtype.itemsize < 4:
        raise TypeError(
            f"{op}: dtype {dtype} is not supported by NumPy's linear algebra "
            f"(cast to float32 or float64), for {', '.join(repr(x) for x in inputs)}"
        )
    return str(dtype)


def real_dtype(dtype: str) -> str:
    """float64 for complex128, float32 for complex64, the dtype itself otherwise."""
    return str(np.empty(0, dtype).real.dtype)


def check_matrix(op: str, x: Variable, square: bool = False) -> tuple[int | None, int | None]:
    """The static shape of the matrix ``x``; a TypeError naming ``op`` when it is not (square)."""
    if x.ndim != 2:
        raise TypeError(f"{op}: expects a matrix, got {x!r} of type {x.type}")
    rows, cols = x.type.shape
    if square and rows is not None and cols is not None and rows != cols:
        raise TypeError(f"{op}: expects a square matrix, got {x!r} of shape {x.type.shape_str()}")
    if square:
        size = rows if rows is not None else cols
        return size, size
    return rows, cols


def identity_like(x: Variable, axis: int = 0) -> Variable:
    """The identity matrix of the size of ``x`` along ``axis``, in ``x``'s dtype."""
    size = x.type.shape[axis]
    return T.eye(x.shape[axis] if size is None else size, dtype=x.dtype)


def fold_triangle(g: Variable, lower: bool) -> Variable:
    """The gradient of a function that reads one triangle of a matrix: the gradient ``g`` of
    its symmetric input with the other triangle folded onto that one (Theano's convention)."""
    if lower:
        return tril(g) + tril(g.T, -1)
    return triu(g) + triu(g.T, 1)


def is_zero(g: Variable) -> bool:
    """True for the zeros ``grad`` passes for an output that the cost does not use."""
    owner = g.owner
    return (
        owner is not None
        and isinstance(owner.op, Alloc)
        and isinstance(owner.inputs[0], Constant)
        and not np.any(owner.inputs[0].value)
    )
