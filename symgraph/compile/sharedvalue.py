"""``theano.compile.sharedvalue``: where Theano kept shared variables."""

from symgraph.compile.shared import SharedVariable, shared

__all__ = ["SharedVariable", "shared"]
