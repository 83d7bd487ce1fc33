"""Theano's other ``nnet`` functions, each a graph of the primitives (``T.nnet.elu``, ...)."""

from __future__ import annotations

from typing import Any

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.tensor.variable import as_tensor_variable

__all__ = [
    "crossentropy_categorical_1hot",
    "elu",
    "hard_sigmoid",
    "selu",
    "sigmoid_binary_crossentropy",
    "softmax_graph",
    "softsign",
    "ultra_fast_sigmoid",
]


def hard_sigmoid(x: Any) -> Variable:
    """``clip(0.2 * x + 0.5, 0, 1)``: a piecewise-linear sigmoid."""
    return T.clip(as_tensor_variable(x) * 0.2 + 0.5, 0, 1)


def ultra_fast_sigmoid(x: Any) -> Variable:
    """Theano's piecewise approximation of the sigmoid (error below 0.03), formula for formula."""
    x = as_tensor_variable(x)
    half = T.abs(x) * 0.5
    piece = T.switch(
        T.lt(half, 1.7),
        1.5 * half / (1 + half),
        T.switch(
            T.lt(half, 3), 0.935409070603099 + 0.0458812946797165 * (half - 1.7), 0.99505475368673
        ),
    )
    return 0.5 * (T.sgn(x) * piece + 1)


def softsign(x: Any) -> Variable:
    """``x / (1 + |x|)``."""
    x = as_tensor_variable(x)
    return x / (1 + T.abs(x))


def elu(x: Any, alpha: float = 1.0) -> Variable:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    x = as_tensor_variable(x)
    return T.switch(T.gt(x, 0), x, alpha * T.expm1(x))


def selu(x: Any) -> Variable:
    """The self-normalizing ``scale * elu(x, alpha)`` of Klambauer et al. (2017)."""
    return 1.0507009873554804934193349852946 * elu(x, 1.6732632423543772848170429916717)


def sigmoid_binary_crossentropy(output: Any, target: Any) -> Variable:
    """``binary_crossentropy(sigmoid(output), target)``, computed without overflow."""
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    return T.softplus(-T.abs(output)) + output * (T.cast(T.gt(output, 0), output.dtype) - target)


def crossentropy_categorical_1hot(coding_dist: Any, true_one_of_n: Any) -> Variable:
    """``-log(coding_dist[i, true_one_of_n[i]])`` per row (integer labels)."""
    return T.nnet.categorical_crossentropy(coding_dist, true_one_of_n)


def softmax_graph(c: Any) -> Variable:
    """The softmax of the last axis written out: ``exp(c) / sum(exp(c))``."""
    e = T.exp(as_tensor_variable(c))
    return e / T.sum(e, axis=-1, keepdims=True)
