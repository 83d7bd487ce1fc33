"""Theano's ``theano.sandbox.rng_mrg``: ``MRG_RandomStreams``.

Theano's MRG streams ran the MRG31k3p generator on the CPU and the GPU alike.
symgraph runs NumPy's generators everywhere, so ``MRG_RandomStreams`` is a
stream of shared NumPy ``Generator`` objects, as ``RandomStreams`` is, with
the MRG class's signatures and defaults: ``size`` comes first and is
required for ``uniform``/``normal``, ``binomial`` compares uniform numbers
with ``p``, ``multinomial`` and ``choice`` take one distribution per row of
``pvals``/``p``, ``nstreams`` is accepted and has nothing to choose. The
numbers differ from Theano's; their distributions do not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgraph.compile.streams import StreamsBase
from symgraph.graph.basic import Variable
from symgraph.tensor.random.op import draw
from symgraph.tensor.variable import as_tensor_variable

__all__ = ["MRG_RandomStreams"]


class MRG_RandomStreams(StreamsBase):  # noqa: N801 (Theano's name)
    """Symbolic random numbers with Theano's MRG interface (default seed 12345).

    Examples
    --------
    >>> import symgraph as theano
    >>> srng = MRG_RandomStreams(seed=1)
    >>> f = theano.function([], srng.normal((3,), avg=1.0, std=0.5))
    >>> f().shape
    (3,)
    """

    def __init__(self, seed: int | list[int] = 12345) -> None:
        super().__init__(seed)

    def _draw(self, dist: str, params: list, size: Any, ndim: Any, dtype: Any, **kw) -> Variable:
        rng = self.new_generator()
        _, sample = draw(dist, rng, params, size, ndim, dtype, **kw)
        return self.record(rng, sample)

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None) -> Variable:
        """Samples uniform on ``(low, high)``, shape ``size``."""
        return self._draw("uniform", [low, high], _check_size(size), ndim, dtype)

    def normal(
        self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, truncate=False
    ) -> Variable:
        """Gaussian samples of mean ``avg`` and standard deviation ``std``, shape ``size``."""
        if truncate:
            raise NotImplementedError(
                "MRG_RandomStreams.normal(truncate=True) is not supported; clip or resample "
                "a normal draw instead"
            )
        return self._draw("normal", [avg, std], _check_size(size), ndim, dtype)

    def truncated_normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        return self.normal(size, avg, std, ndim, dtype, nstreams, truncate=True)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None) -> Variable:
        """Successes in ``n`` trials of probability ``p``; ``n=1`` (a mask) is ``uniform < p``."""
        n = as_tensor_variable(n)
        if n.ndim == 0 and getattr(n, "value", None) is not None and int(n.value) == 1:
            return self._draw("bernoulli", [p], size, ndim, dtype)
        return self._draw("binomial", [n, p], size, ndim, dtype)

    def multinomial(
        self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None
    ) -> Variable:
        """One row of counts per row of the matrix ``pvals`` (one-hot rows for ``n=1``)."""
        if pvals is None:
            raise TypeError("MRG_RandomStreams.multinomial: you have to specify pvals")
        if size is not None or ndim is not None:
            raise ValueError(
                "MRG_RandomStreams.multinomial takes no size or ndim: one draw per row of pvals"
            )
        pvals = as_tensor_variable(pvals)
        if pvals.ndim != 2:
            raise NotImplementedError("MRG_RandomStreams.multinomial takes a matrix of pvals")
        return self._draw("multinomial", [n, pvals], None, None, dtype)

    def choice(
        self, size=1, a=None, replace=True, p=None, ndim=None, dtype="int64", nstreams=None
    ) -> Variable:
        """``size`` distinct indices per row of the matrix ``p``, drawn with its weights.

        As in Theano, only sampling without replacement (``replace=False``)
        with ``a=None`` is implemented; the result has shape ``(len(p), size)``.
        """
        if replace:
            raise NotImplementedError("MRG_RandomStreams.choice only samples without replacement")
        if a is not None:
            raise TypeError("MRG_RandomStreams.choice: a must be None (indices of p's columns)")
        if p is None:
            raise TypeError("MRG_RandomStreams.choice: you have to specify p")
        if ndim is not None:
            raise ValueError("MRG_RandomStreams.choice takes no ndim")
        p = as_tensor_variable(p)
        if p.ndim != 2:
            raise NotImplementedError("MRG_RandomStreams.choice takes a matrix p")
        return self._draw("rows_without_replacement", [p, size], None, None, dtype)

    def multinomial_wo_replacement(
        self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None
    ) -> Variable:
        """Theano's older name of ``choice(size=n, replace=False, p=pvals)``."""
        return self.choice(n, None, False, pvals, ndim, dtype, nstreams)


def _check_size(size: Any) -> Any:
    """MRG's rule: ``size`` is an int, a tuple of positive ints or scalars, or a vector."""
    if size is None:
        raise TypeError("MRG_RandomStreams needs a size (a tuple of ints or a symbolic vector)")
    entries = size if isinstance(size, (list, tuple)) else [size]
    for s in entries:
        if isinstance(s, (int, np.integer)) and s <= 0:
            raise ValueError(f"MRG_RandomStreams: the size {size} has a dimension <= 0")
    return size
