"""Checking symbolic gradients against central finite differences: Theano's ``verify_grad``.

``numeric_grad`` differentiates any NumPy function numerically; ``verify_grad``
builds ``grad`` of a symbolic function and compares the two on random
projections of its output. Both are also importable from ``symgraph.gradient``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.gradient import grad
from symgraph.graph.basic import Variable
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import as_tensor_variable, constant

__all__ = ["GradientError", "numeric_grad", "verify_grad"]


def _float_array(value: Any) -> np.ndarray:
    """A writable C-ordered copy of ``value`` (so a flat view aliases it); ints become float64."""
    array = np.array(value, order="C")
    return array if array.dtype.kind in "fc" else array.astype(np.float64)


class numeric_grad:  # noqa: N801 (Theano's name)
    """Central finite-difference gradient of a scalar NumPy function at ``pt``.

    ``f(*arrays)`` returns a scalar; ``pt`` is an array or a list of arrays.
    ``.gf`` holds the gradient (an array, or a list of arrays for a list).
    """

    #: step per dtype, near the cube root of the machine epsilon (central differences)
    type_eps = {"float64": 1e-6, "float32": 3e-3, "float16": 1e-1}

    def __init__(self, f: Callable[..., Any], pt: Any, eps: float | None = None) -> None:
        is_list = isinstance(pt, (list, tuple))
        points = [_float_array(p) for p in (pt if is_list else [pt])]
        gradients = []
        for point in points:
            step = eps or self.type_eps.get(str(point.dtype), 1e-6)
            flat = point.reshape(-1)
            gradient = np.empty(flat.shape, dtype=np.float64)
            for i in range(flat.size):
                original = flat[i]
                flat[i] = original + step
                above = float(np.real(f(*points)))
                flat[i] = original - step
                below = float(np.real(f(*points)))
                flat[i] = original
                gradient[i] = (above - below) / (2 * step)
            gradients.append(gradient.reshape(point.shape))
        self.gf = gradients if is_list else gradients[0]

    @staticmethod
    def abs_rel_err(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
        """Absolute error ``|a - b|`` and relative error ``|a - b| / (|a| + |b|)``."""
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        abs_err = np.abs(a - b)
        return abs_err, abs_err / np.maximum(np.abs(a) + np.abs(b), 1e-8)

    def abs_rel_errors(self, g_pt: Sequence[Any]) -> list[tuple[np.ndarray, np.ndarray]]:
        """``abs_rel_err`` of each analytic gradient in ``g_pt`` against ``.gf``."""
        gf = self.gf if isinstance(self.gf, list) else [self.gf]
        if len(g_pt) != len(gf):
            raise ValueError(f"expected {len(gf)} gradients, got {len(g_pt)}")
        for a, b in zip(g_pt, gf):
            if np.shape(a) != np.shape(b):
                raise ValueError(f"gradient shape {np.shape(a)} differs from numeric {b.shape}")
        return [self.abs_rel_err(a, b) for a, b in zip(g_pt, gf)]

    def max_err(
        self, g_pt: Sequence[Any], abs_tol: float, rel_tol: float
    ) -> tuple[int, int, float, float]:
        """The worst mismatch: ``(argument, flat position, abs error, rel error)``.

        An element is judged by the smaller of its errors scaled by their
        tolerances, so it fails only when both tolerances are exceeded.
        """
        worst = (-1.0, 0, 0, 0.0, 0.0)
        for arg, (abs_err, rel_err) in enumerate(self.abs_rel_errors(g_pt)):
            if abs_err.size == 0:
                continue
            scaled = np.minimum(abs_err / abs_tol, rel_err / rel_tol).reshape(-1)
            scaled[np.isnan(scaled)] = np.inf
            pos = int(np.argmax(scaled))
            if scaled[pos] > worst[0]:
                worst = (scaled[pos], arg, pos, float(abs_err.flat[pos]), float(rel_err.flat[pos]))
        return worst[1:]


class GradientError(Exception):
    """The analytic and numeric gradients differ; names the worst element and both values."""

    def __init__(self, arg, err_pos, shape, val1, val2, abs_err, rel_err, abs_tol, rel_tol):
        super().__init__()
        self.arg, self.err_pos, self.shape = arg, err_pos, shape
        self.val1, self.val2 = val1, val2
        self.abs_err, self.rel_err = abs_err, rel_err
        self.abs_tol, self.rel_tol = abs_tol, rel_tol

    def __str__(self) -> str:
        index = np.unravel_index(self.err_pos, self.shape) if self.shape else ()
        return (
            f"the analytic and numeric gradients differ at position {tuple(map(int, index))} "
            f"of argument {self.arg} (shape {self.shape}): analytic (val1) = {self.val1!r}, "
            f"numeric (val2) = {self.val2!r}; abs. error = {self.abs_err:.3g}, rel. error = "
            f"{self.rel_err:.3g} (tolerances: abs {self.abs_tol:g}, rel {self.rel_tol:g})"
        )


#: default tolerances per dtype of the checked output
_TOLERANCE = {"float64": 1e-5, "float32": 1e-2, "float16": 1e-1}


def verify_grad(
    fun: Callable[..., Variable],
    pt: Sequence[Any],
    n_tests: int = 2,
    rng: Any = None,
    eps: float | None = None,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
) -> None:
    """Check ``grad`` of ``fun`` against central finite differences at ``pt``.

    ``fun`` maps one symbolic input per array of ``pt`` to one output. Each of
    ``n_tests`` rounds projects the output on a random array (so every output
    element counts) and compares both gradients of that scalar.

    Raises
    ------
    GradientError
        naming the worst mismatch, its position and both values.
    """
    points = [np.array(p) for p in pt]
    for i, p in enumerate(points):
        if p.dtype.kind not in "fc":
            raise TypeError(f"verify_grad: argument {i} has dtype {p.dtype}; it must be float")
    rng = np.random.default_rng(42) if rng is None else rng
    inputs = [
        TensorType(str(p.dtype), tuple(1 if s == 1 else None for s in p.shape))(f"input_{i}")
        for i, p in enumerate(points)
    ]
    output = as_tensor_variable(fun(*inputs))
    if np.dtype(output.dtype).kind not in "fc":
        raise TypeError(f"verify_grad: the output has dtype {output.dtype}; it must be float")
    shape = output.eval(dict(zip(inputs, points))).shape
    abs_tol = _TOLERANCE.get(output.dtype, 1e-5) if abs_tol is None else abs_tol
    rel_tol = _TOLERANCE.get(output.dtype, 1e-5) if rel_tol is None else rel_tol
    for _ in range(n_tests):
        projection = constant(np.asarray(rng.random(shape) + 0.5, dtype=output.dtype))
        cost = T.sum(output * projection)
        symbolic = grad(cost, inputs, disconnected_inputs="ignore")
        analytic = [g.eval(dict(zip(inputs, points))) for g in symbolic]
        numeric = numeric_grad(
            lambda *arrays, cost=cost: cost.eval(dict(zip(inputs, arrays))), points, eps
        )
        arg, pos, abs_err, rel_err = numeric.max_err(analytic, abs_tol, rel_tol)
        if abs_err > abs_tol and rel_err > rel_tol or np.isnan(abs_err):
            raise GradientError(
                arg,
                pos,
                points[arg].shape,
                analytic[arg].flat[pos].item(),
                numeric.gf[arg].flat[pos].item(),
                abs_err,
                rel_err,
                abs_tol,
                rel_tol,
            )


verify_grad.E_grad = GradientError  # Theano's spelling in its test suites
