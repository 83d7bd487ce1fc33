"""Theano's ``theano.tensor.shared_randomstreams``: ``RandomStreams``.

``RandomStreams(seed)`` makes one shared NumPy ``Generator`` per draw, seeded
from ``seed``, advanced on every call of a function that uses the draw (its
default update). Its methods have Theano's signatures (``size`` first,
``ndim``, ``dtype``); see docs/random.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from symgraph.graph.basic import Variable
from symgraph.tensor import raw_random
from symgraph.tensor.random.utils import StreamsBase

__all__ = ["RandomStreams"]


class RandomStreams(StreamsBase):
    """Symbolic random numbers with an interface like ``numpy.random``, as in Theano.

    Parameters
    ----------
    seed : int, optional
        Seeds the generators of the draws, in the order they are made.

    Examples
    --------
    >>> import symgraph as theano
    >>> srng = RandomStreams(seed=234)
    >>> f = theano.function([], srng.uniform((2, 2)))
    >>> f().shape, bool((f() != f()).all())
    ((2, 2), True)
    """

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed)

    def gen(self, op: Callable[..., tuple], *args: Any, **kwargs: Any) -> Variable:
        """``op(generator, *args, **kwargs)`` (a ``raw_random`` function) from a new shared
        generator; returns the sample, whose ``rng`` is that generator."""
        rng = self.new_generator()
        _, sample = op(rng, *args, **kwargs)
        return self.record(rng, sample)

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None) -> Variable:
        """Samples uniform on ``[low, high)``."""
        return self.gen(raw_random.uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None) -> Variable:
        """Gaussian samples of mean ``avg`` and standard deviation ``std``."""
        return self.gen(raw_random.normal, size, avg, std, ndim=ndim, dtype=dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None) -> Variable:
        """Successes in ``n`` trials of probability ``p`` (a 0/1 mask for ``n=1``)."""
        return self.gen(raw_random.binomial, size, n, p, ndim=ndim, dtype=dtype, prob=prob)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64") -> Variable:
        """Integers between ``low`` and ``high``, both included."""
        return self.gen(raw_random.random_integers, size, low, high, ndim=ndim, dtype=dtype)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64") -> Variable:
        """Elements of ``a`` (a vector, or ``range(a)``), weighted by ``p`` when given."""
        return self.gen(raw_random.choice, size, a, replace, p, ndim=ndim, dtype=dtype)

    def poisson(self, size=None, lam=None, ndim=None, dtype="int64") -> Variable:
        return self.gen(raw_random.poisson, size, lam, ndim=ndim, dtype=dtype)

    def permutation(self, size=None, n=1, ndim=None, dtype="int64") -> Variable:
        """Permutations of ``range(n)``, shape ``size + (n,)``."""
        return self.gen(raw_random.permutation, size, n, ndim=ndim, dtype=dtype)

    def multinomial(self, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64") -> Variable:
        """Counts of ``n`` draws among the categories of ``pvals`` (last axis),
        shape ``size + (len(pvals),)``."""
        return self.gen(raw_random.multinomial, size, n, pvals, ndim=ndim, dtype=dtype)
