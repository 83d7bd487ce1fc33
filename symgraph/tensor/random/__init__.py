"""Random numbers: ``T.random.normal(..., rng=rng)`` and friends (PyTensor's spelling).

The graph side of randomness: the generator type, the draw op and its table
of distributions (``op``), and the draw functions (``basic``). Streams that
own shared generators are ``symgraph.tensor.random.utils.RandomStream``
(PyTensor), ``symgraph.tensor.shared_randomstreams.RandomStreams`` and
``symgraph.sandbox.rng_mrg.MRG_RandomStreams`` (Theano). See docs/random.md.
"""

from symgraph.tensor.random import basic
from symgraph.tensor.random.basic import *  # noqa: F403 (the draws, listed in basic.__all__)
from symgraph.tensor.random.op import DISTRIBUTIONS, RandomDraw, RandomVariable, draw
from symgraph.tensor.random.type import (
    RandomGeneratorType,
    RandomGeneratorVariable,
    random_generator_type,
)

__all__ = [
    *basic.__all__,
    "DISTRIBUTIONS",
    "RandomDraw",
    "RandomGeneratorType",
    "RandomGeneratorVariable",
    "RandomVariable",
    "draw",
    "random_generator_type",
]
