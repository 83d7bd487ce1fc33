"""PyTensor's ``pytensor.tensor.linalg`` (``T.linalg``): the linear algebra under one roof."""

from symgraph.tensor.decompositions import eig, eigh, qr, svd
from symgraph.tensor.nlinalg import (
    det,
    inv,
    matrix_dot,
    matrix_inverse,
    matrix_power,
    norm,
    pinv,
    slogdet,
    trace,
)
from symgraph.tensor.slinalg import (
    cholesky,
    eigvalsh,
    expm,
    kron,
    solve,
    solve_triangular,
)

__all__ = [
    "cholesky",
    "det",
    "eig",
    "eigh",
    "eigvalsh",
    "expm",
    "inv",
    "kron",
    "matrix_dot",
    "matrix_inverse",
    "matrix_power",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "trace",
]
