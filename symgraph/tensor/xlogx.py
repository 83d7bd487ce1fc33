"""Theano's ``theano.tensor.xlogx``: ``x log x`` and ``x log y`` that are 0 where x is 0.

Both are rows of the elementwise table (``special.xlogy`` in generated code),
so they fuse with their neighbours and differentiate like any other row.
"""

from symgraph.tensor.elemwise import xlogx, xlogy0

__all__ = ["xlogx", "xlogy0"]
