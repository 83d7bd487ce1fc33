"""erf, erfc, gamma, gammaln, psi and trigamma as array functions.

NumPy has none of them. SciPy's ``scipy.special`` is used when installed; it is
optional, so without it they fall back to the ``math`` module per element
(exact, slower) and a short series for psi and trigamma. Generated code calls
them as ``special.erf(x)``.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np

from symgraph.lazy import LazyFunctions

_scipy_special = LazyFunctions("scipy.special") if importlib.util.find_spec("scipy") else None


def _elementwise(fn):
    return np.vectorize(fn, otypes=[np.float64])


def _psi_series(x: np.ndarray, order: int) -> np.ndarray:
    """psi (order 0) or trigamma (order 1): shift x above 6, then the asymptotic series."""
    x = np.asarray(x, dtype=np.float64).copy()
    acc = np.zeros_like(x)
    for _ in range(6):
        small = x < 6
        acc = np.where(small, acc - (1 / x if order == 0 else -1 / x**2), acc)
        x = np.where(small, x + 1, x)
    inv2 = 1 / (x * x)
    if order == 0:
        series = np.log(x) - 0.5 / x - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 / 252))
    else:
        series = 1 / x + 0.5 * inv2 + (1 / x) * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 / 42))
    return acc + series


if _scipy_special is not None:
    erf = _scipy_special.erf
    erfc = _scipy_special.erfc
    gamma = _scipy_special.gamma
    gammaln = _scipy_special.gammaln
    psi = _scipy_special.psi

    def trigamma(x):
        return _scipy_special.polygamma(1, x)

else:  # pragma: no cover
    erf = _elementwise(math.erf)
    erfc = _elementwise(math.erfc)
    gamma = _elementwise(math.gamma)
    gammaln = _elementwise(math.lgamma)

    def psi(x):
        return _psi_series(x, 0)

    def trigamma(x):
        return _psi_series(x, 1)
