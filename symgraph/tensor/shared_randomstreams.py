"""Theano's ``theano.tensor.shared_randomstreams``: ``RandomStreams``.

A stream makes shared variables, which belong to the compile layer
(``symgraph/compile/streams.py``); this module serves it from there on first use.
"""

from symgraph.lazy import lazy_names

_SERVED = {"RandomStreams": "symgraph.compile.streams"}
__getattr__ = lazy_names(__name__, _SERVED)
__all__ = [*_SERVED]
