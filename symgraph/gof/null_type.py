"""``theano.gof.null_type``: the type of gradients that do not exist."""

from symgraph.gradient import NullType

__all__ = ["NullType"]
