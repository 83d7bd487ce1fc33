"""``theano.gof.type``: the base class of types."""

from symgraph.graph.basic import Type

__all__ = ["Type"]
