"""PyTensor's spelling of draws: ``T.random.normal(loc, scale, size=None, rng=rng)``.

Each function returns the sample; ``x.owner.outputs[0]`` is the generator
advanced, which an update (or a ``RandomStream``'s default update) stores
back. ``rng`` is a random generator variable, usually a shared one:
``rng = theano.shared(np.random.default_rng(42))``.
"""

from __future__ import annotations

from typing import Any

from symgraph.graph.basic import Variable
from symgraph.tensor.random.op import draw
from symgraph.tensor.variable import as_tensor_variable

__all__ = [
    "bernoulli",
    "beta",
    "binomial",
    "choice",
    "exponential",
    "integers",
    "multinomial",
    "normal",
    "permutation",
    "poisson",
    "uniform",
]


def _sample(dist: str, params: list, size: Any, rng: Variable | None, dtype: str | None, **kw):
    if rng is None:
        raise TypeError(
            f"{dist}: give rng=, a random generator variable, e.g. "
            f"rng = theano.shared(np.random.default_rng(42)) (or draw from a RandomStream)"
        )
    return draw(dist, rng, params, size, dtype=dtype, **kw)[1]


def normal(loc=0.0, scale=1.0, size=None, *, rng=None, dtype=None, name=None) -> Variable:
    """Gaussian samples of mean ``loc`` and standard deviation ``scale``."""
    return _named(_sample("normal", [loc, scale], size, rng, dtype), name)


def uniform(low=0.0, high=1.0, size=None, *, rng=None, dtype=None, name=None) -> Variable:
    """Samples uniform on ``[low, high)``."""
    return _named(_sample("uniform", [low, high], size, rng, dtype), name)


def bernoulli(p, size=None, *, rng=None, dtype=None, name=None) -> Variable:
    """1 with probability ``p``, else 0 (int64 unless ``dtype``)."""
    return _named(_sample("bernoulli", [p], size, rng, dtype), name)


def binomial(n, p, size=None, *, rng=None, dtype=None, name=None) -> Variable:
    """The number of successes in ``n`` trials of probability ``p``."""
    return _named(_sample("binomial", [n, p], size, rng, dtype), name)


def integers(low, high=None, size=None, *, rng=None, dtype=None, name=None) -> Variable:
    """Integers in ``[low, high)`` (``[0, low)`` when ``high`` is None), as ``Generator.integers``."""
    low, high = (0, low) if high is None else (low, high)
    return _named(_sample("integers", [low, high], size, rng, dtype), name)


def poisson(lam=1.0, size=None, *, rng=None, dtype=None, name=None) -> Variable:
    return _named(_sample("poisson", [lam], size, rng, dtype), name)


def exponential(scale=1.0, size=None, *, rng=None, dtype=None, name=None) -> Variable:
    return _named(_sample("exponential", [scale], size, rng, dtype), name)


def beta(alpha, beta, size=None, *, rng=None, dtype=None, name=None) -> Variable:
    return _named(_sample("beta", [alpha, beta], size, rng, dtype), name)


def choice(a, size=None, replace=True, p=None, *, rng=None, dtype=None, name=None) -> Variable:
    """Elements of ``a`` (a vector, or ``range(a)`` for an integer), optionally weighted by ``p``."""
    params = [a] if p is None else [a, p]
    return _named(_sample("choice", params, size, rng, dtype, replace=replace), name)


def permutation(x, *, rng=None, name=None) -> Variable:
    """A shuffled copy of the vector ``x``, or a permutation of ``range(x)`` for an integer."""
    x = as_tensor_variable(x)
    if x.ndim == 0:
        return _named(_sample("permutation", [x], None, rng, None), name)
    order = _sample("permutation", [x.shape[0]], None, rng, None)
    return _named(x[order], name)


def multinomial(n, p, size=None, *, rng=None, dtype=None, name=None) -> Variable:
    """Counts of ``n`` draws among the categories of ``p`` (its last axis)."""
    return _named(_sample("multinomial", [n, p], size, rng, dtype), name)


def _named(x: Variable, name: str | None) -> Variable:
    if name is not None:
        x.name = name
    return x
