"""Random streams: shared generators that advance on every call, through default updates.

A stream gives each draw its own shared ``Generator``, seeded from the
stream's seed, and sets that variable's ``default_update`` to the generator
the draw returns. Every compiled function that reads the draw therefore
stores the advanced generator back after each call (so each call draws new
numbers) unless it updates the variable itself or is compiled with
``no_default_updates``. ``seed(n)`` reseeds every generator of the stream
as a new stream seeded with ``n`` would have, so runs are reproducible.

``StreamsBase`` holds what Theano's ``RandomStreams``, its ``MRG_RandomStreams``
and PyTensor's ``RandomStream`` (below) share. A stream creates shared
variables, so it lives in the compile layer, beside ``shared``; Theano's and
PyTensor's paths (``symgraph.tensor.shared_randomstreams``,
``symgraph.tensor.random.utils``) serve the streams from here on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from symgraph.compile.shared import SharedVariable, shared
from symgraph.graph.basic import Variable
from symgraph.graph.traversal import toposort
from symgraph.tensor import raw_random
from symgraph.tensor.random import basic
from symgraph.tensor.random.op import RandomDraw, RandomVariable


class StreamsBase:
    """Shared generators seeded from one seed, each advanced by its default update.

    Attributes
    ----------
    state_updates : list of (SharedVariable, Variable)
        Each generator the stream made and the advanced generator its draw
        returns (Theano's attribute); ``updates()`` returns a copy.
    gen_seedgen : numpy.random.SeedSequence
        Seeds the next generator (``spawn``), so draws made in the same order
        from streams with the same seed get the same numbers.
    """

    def __init__(
        self, seed: int | None = None, rng_ctor: Callable[..., np.random.Generator] | None = None
    ) -> None:
        self.default_instance_seed = seed
        self.state_updates: list[tuple[SharedVariable, Variable]] = []
        self.gen_seedgen = np.random.SeedSequence(seed)
        self.rng_ctor = rng_ctor or np.random.default_rng

    def updates(self) -> list[tuple[SharedVariable, Variable]]:
        """The (generator, advanced generator) pairs, to pass to ``function(updates=...)``."""
        return list(self.state_updates)

    def seed(self, seed: int | None = None) -> None:
        """Reseed every generator of the stream from ``seed`` (its own seed when None)."""
        if seed is None:
            seed = self.default_instance_seed
        self.gen_seedgen = np.random.SeedSequence(seed)
        children = self.gen_seedgen.spawn(len(self.state_updates))
        for (rng, _), child in zip(self.state_updates, children):
            rng.set_value(self.rng_ctor(child), borrow=True)

    def __getitem__(self, rng: SharedVariable) -> np.random.Generator:
        """The generator held by one of the stream's shared variables (``x.rng``)."""
        return rng.get_value(borrow=True)

    def __setitem__(self, rng: SharedVariable, value: np.random.Generator) -> None:
        rng.set_value(value, borrow=True)

    def new_generator(self) -> SharedVariable:
        """A shared generator seeded by the stream's next seed."""
        (child,) = self.gen_seedgen.spawn(1)
        return shared(self.rng_ctor(child), name="rng", borrow=True)

    def record(self, rng: SharedVariable, sample: Variable) -> Variable:
        """Make ``rng`` advance through ``sample``'s draw on every call, and remember it."""
        node = next(
            n for n in toposort([sample]) if isinstance(n.op, RandomVariable) and n.inputs[0] is rng
        )
        new_rng = node.outputs[0]
        rng.default_update = new_rng
        self.state_updates.append((rng, new_rng))
        if isinstance(sample, RandomDraw):
            sample.rng, sample.update = rng, (rng, new_rng)
        return sample


class RandomStream(StreamsBase):
    """PyTensor's stream: ``srng.normal(0.0, 1.0, size=(2, 3))`` and every draw of
    ``T.random`` (or of ``namespace``), each from a new shared generator.

    Examples
    --------
    >>> import symgraph as theano
    >>> srng = RandomStream(seed=42)
    >>> f = theano.function([], srng.uniform(size=(2,)))
    >>> bool((f() != f()).all())
    True
    """

    def __init__(
        self,
        seed: int | None = None,
        namespace: ModuleType | None = None,
        rng_ctor: Callable[..., np.random.Generator] = np.random.default_rng,
    ) -> None:
        super().__init__(seed, rng_ctor)
        # by name, so that the stream pickles
        self.namespace = (basic if namespace is None else namespace).__name__

    def __getattr__(self, name: str) -> Callable[..., Variable]:
        namespace = importlib.import_module(self.__dict__.get("namespace", basic.__name__))
        if name.startswith("_") or name not in getattr(namespace, "__all__", ()):
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        function = getattr(namespace, name)

        def draw(*args: Any, **kwargs: Any) -> Variable:
            return self.gen(function, *args, **kwargs)

        draw.__name__ = draw.__qualname__ = name
        draw.__doc__ = function.__doc__
        return draw

    def gen(self, op: Callable[..., Variable], *args: Any, **kwargs: Any) -> Variable:
        """``op(*args, **kwargs, rng=<a new shared generator>)``, advanced on every call."""
        if "rng" in kwargs:
            raise ValueError("a RandomStream draws from its own generators; do not pass rng=")
        rng = self.new_generator()
        return self.record(rng, op(*args, **kwargs, rng=rng))


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
