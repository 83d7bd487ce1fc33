"""Batch normalization: Theano 1.0's three functions, built as graphs of ordinary ops.

Built from means, variances and elementwise ops, the normalization fuses with
its neighbours, and its gradients are those ops' gradients: exact with
respect to every input, also through the ``mean`` and ``invstd`` outputs
(Theano's op let only the gradient of ``out`` through).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.config import config
from symgraph.graph.basic import Variable
from symgraph.tensor.shape import dim_size
from symgraph.tensor.variable import as_tensor_variable

__all__ = ["batch_normalization", "batch_normalization_test", "batch_normalization_train"]


def batch_normalization(
    inputs: Any, gamma: Any, beta: Any, mean: Any, std: Any, mode: str = "low_mem"
) -> Variable:
    """``(inputs - mean) * (gamma / std) + beta``, every operand broadcasting against ``inputs``.

    ``mode`` chose between two of Theano's implementations ('low_mem',
    'high_mem'); both compute this, one fused expression here.
    """
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f'mode must be either "low_mem" or "high_mem", got {mode!r}')
    inputs, gamma, beta, mean, std = map(as_tensor_variable, (inputs, gamma, beta, mean, std))
    return (inputs - mean) * (gamma / std) + beta


def _axes(axes: Any, ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The normalized axes and the others: 'per-activation' is (0,), 'spatial' (0, 2, 3, ...)."""
    if isinstance(axes, str) and axes == "per-activation":
        axes = (0,)
    elif isinstance(axes, str) and axes == "spatial":
        axes = (0, *range(2, ndim))
    elif isinstance(axes, (tuple, list, np.ndarray)):
        axes = tuple(int(a) for a in axes)
    else:
        raise ValueError(f"invalid axes: {axes!r} (use 'per-activation', 'spatial' or a tuple)")
    axes = tuple(sorted(axes))
    if not axes:
        raise ValueError("there should be at least one normalization axis")
    if min(axes) < 0 or max(axes) >= ndim:
        raise ValueError(f"axes should be less than ndim (<{ndim}), but {axes} given")
    return axes, tuple(i for i in range(ndim) if i not in axes)


def _layout(kept: Sequence[int], ndim: int, *params: Variable) -> Callable[[Any], Variable]:
    """How a parameter (gamma, beta, mean, ...) broadcasts against the inputs.

    Parameters have either the inputs' number of dimensions (size 1 along
    the normalized axes) or one dimension per axis that is not normalized.
    """
    full = params[0].ndim == ndim
    want = ndim if full else len(kept)
    if any(p.ndim != want for p in params):
        raise ValueError(
            "gamma, beta (and mean, var) must have one dimension per axis that is not "
            f"normalized ({len(kept)}) or as many as the inputs ({ndim}); got "
            f"{', '.join(str(p.ndim) for p in params)}"
        )
    if full:
        return as_tensor_variable
    pattern = ["x"] * ndim
    for i, axis in enumerate(kept):
        pattern[axis] = i
    return lambda p: T.dimshuffle(as_tensor_variable(p), pattern)


def _epsilon(epsilon: float) -> float:
    cast = np.dtype(config.floatX).type
    if cast(epsilon) < cast(1e-5):
        raise ValueError(f"epsilon must be at least 1e-5, got {epsilon}")
    return float(epsilon)


def batch_normalization_train(
    inputs: Any,
    gamma: Any,
    beta: Any,
    axes: Any = "per-activation",
    epsilon: float = 1e-4,
    running_average_factor: float = 0.1,
    running_mean: Any = None,
    running_var: Any = None,
) -> tuple[Variable, ...]:
    """Normalize ``inputs`` by the mean and variance of the batch along ``axes``.

    Returns ``(out, mean, invstd)``, and with ``running_mean`` and
    ``running_var`` given also their new values,
    ``running_mean * (1 - factor) + mean * factor`` and
    ``running_var * (1 - factor) + m / (m - 1) * var * factor`` (m values per
    mean: the unbiased variance), to use as updates of shared variables.
    ``mean``, ``invstd`` and the running averages have gamma's layout.
    """
    inputs, gamma, beta = map(as_tensor_variable, (inputs, gamma, beta))
    axes, kept = _axes(axes, inputs.ndim)
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be given or both be None")
    running = () if running_mean is None else (running_mean, running_var)
    layout = _layout(kept, inputs.ndim, gamma, beta, *map(as_tensor_variable, running))
    epsilon = _epsilon(epsilon)
    mean = T.mean(inputs, axis=axes, keepdims=True)
    var = T.var(inputs, axis=axes, keepdims=True)
    invstd = 1 / T.sqrt(var + epsilon)
    results = [(inputs - mean) * (layout(gamma) * invstd) + layout(beta), mean, invstd]
    if running:
        factor = running_average_factor
        results.append(layout(running_mean) * (1 - factor) + mean * factor)
        results.append(layout(running_var) * (1 - factor) + _unbiased(inputs, axes) * var * factor)
    if gamma.ndim != inputs.ndim:  # the statistics in gamma's layout, as Theano returns them
        results[1:] = [T.dimshuffle(r, kept) for r in results[1:]]
    return tuple(results)


def _unbiased(inputs: Variable, axes: Sequence[int]) -> Any:
    """``m / (m - 1)`` for the m values behind each mean: a number when the sizes are static."""
    sizes = [dim_size(inputs, a) for a in axes]
    if all(isinstance(s, int) for s in sizes):
        m = math.prod(sizes)
        return m / (m - 1)
    m = T.cast(T.prod(T.stack(sizes)), inputs.dtype)
    return m / (m - 1)


def batch_normalization_test(
    inputs: Any,
    gamma: Any,
    beta: Any,
    mean: Any,
    var: Any,
    axes: Any = "per-activation",
    epsilon: float = 1e-4,
) -> Variable:
    """Normalize ``inputs`` with a given ``mean`` and ``var`` (running averages, at test time).

    ``(inputs - mean) * (gamma / sqrt(var + epsilon)) + beta``, the parameters
    in either layout of ``batch_normalization_train``.
    """
    inputs = as_tensor_variable(inputs)
    _, kept = _axes(axes, inputs.ndim)
    params = [as_tensor_variable(p) for p in (gamma, beta, mean, var)]
    gamma, beta, mean, var = map(_layout(kept, inputs.ndim, *params), params)
    return (inputs - mean) * (gamma / T.sqrt(var + _epsilon(epsilon))) + beta
