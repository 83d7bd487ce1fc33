"""Random numbers: ``T.random.normal(..., rng=rng)`` and friends (PyTensor's spelling).

The graph side of randomness: the generator type, the draw op and its table
of distributions (``op``), and the draw functions (``basic``). Streams that
own shared generators are ``symgraph.tensor.random.utils.RandomStream``
(PyTensor), ``symgraph.tensor.shared_randomstreams.RandomStreams`` and
``symgraph.sandbox.rng_mrg.MRG_RandomStreams`` (Theano). See docs/random.md.
"""

from symgraph.tensor.random.basic import (
    bernoulli,
    beta,
    binomial,
    choice,
    exponential,
    integers,
    multinomial,
    normal,
    permutation,
    poisson,
    uniform,
)
from symgraph.tensor.random.op import DISTRIBUTIONS, RandomDraw, RandomVariable, draw
from symgraph.tensor.random.type import (
    RandomGeneratorType,
    RandomGeneratorVariable,
    random_generator_type,
)

__all__ = [
    "DISTRIBUTIONS",
    "RandomDraw",
    "RandomGeneratorType",
    "RandomGeneratorVariable",
    "RandomVariable",
    "bernoulli",
    "beta",
    "binomial",
    "choice",
    "draw",
    "exponential",
    "integers",
    "multinomial",
    "normal",
    "permutation",
    "poisson",
    "random_generator_type",
    "uniform",
]
