"""``theano.gof.null_type``: the type of gradients that do not exist."""

from symgraph.graph.null_type import NullType

__all__ = ["NullType"]
