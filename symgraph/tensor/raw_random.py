"""Theano's ``theano.tensor.raw_random``: draws from an explicit generator variable.

Each function takes the generator first, Theano's ``size``/``ndim``/``dtype``
arguments, and returns ``(generator advanced, sample)``; ``RandomStreams.gen``
calls them with a shared generator. ``size`` is the output shape (a tuple of
ints or symbolic scalars, or a vector such as ``x.shape``); None takes the
broadcast shape of the parameters.
"""

from __future__ import annotations

from symgraph.graph.basic import Constant, Variable
from symgraph.tensor.random.op import draw
from symgraph.tensor.variable import as_tensor_variable

__all__ = [
    "binomial",
    "choice",
    "multinomial",
    "normal",
    "permutation",
    "poisson",
    "random_integers",
    "uniform",
]

Pair = tuple[Variable, Variable]


def uniform(random_state, size=None, low=0.0, high=1.0, ndim=None, dtype=None) -> Pair:
    """Samples uniform on ``[low, high)``; dtype at least as precise as floatX."""
    return tuple(draw("uniform", random_state, [low, high], size, ndim, dtype))


def normal(random_state, size=None, avg=0.0, std=1.0, ndim=None, dtype=None) -> Pair:
    """Gaussian samples of mean ``avg`` and standard deviation ``std``."""
    return tuple(draw("normal", random_state, [avg, std], size, ndim, dtype))


def binomial(random_state, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None) -> Pair:
    """Successes in ``n`` trials of probability ``p`` (``prob``: Theano's old name).

    With ``n == 1`` (a mask, the usual case) the draw is a comparison of
    uniform numbers with ``p``, several times faster than NumPy's binomial.
    """
    p = p if prob is None else prob
    n = as_tensor_variable(n)
    if isinstance(n, Constant) and n.ndim == 0 and int(n.value) == 1:
        return tuple(draw("bernoulli", random_state, [p], size, ndim, dtype))
    return tuple(draw("binomial", random_state, [n, p], size, ndim, dtype))


def random_integers(random_state, size=None, low=0, high=1, ndim=None, dtype="int64") -> Pair:
    """Integers between ``low`` and ``high``, both included."""
    return tuple(draw("random_integers", random_state, [low, high], size, ndim, dtype))


def choice(random_state, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64") -> Pair:
    """Elements of ``a`` (a vector, or ``range(a)`` for an integer), weighted by ``p`` if given."""
    params = [a] if p is None else [a, p]
    return tuple(draw("choice", random_state, params, size, ndim, dtype, replace=replace))


def poisson(random_state, size=None, lam=1.0, ndim=None, dtype="int64") -> Pair:
    return tuple(draw("poisson", random_state, [lam], size, ndim, dtype))


def permutation(random_state, size=None, n=1, ndim=None, dtype="int64") -> Pair:
    """Permutations of ``range(n)``: shape ``size + (n,)`` (one permutation without size)."""
    if size is None or size == ():
        if ndim not in (None, 1):
            raise TypeError(f"permutation: one permutation has 1 dimension, not ndim={ndim}")
        size, ndim = (), None
    return tuple(draw("permutation", random_state, [n], size, ndim, dtype))


def multinomial(random_state, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64") -> Pair:
    """Counts of ``n`` draws among the categories of ``pvals`` (its last axis):
    shape ``size + (len(pvals),)``."""
    return tuple(draw("multinomial", random_state, [n, pvals], size, ndim, dtype))
