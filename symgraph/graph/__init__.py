"""The graph IR: types, variables, apply nodes, ops, traversal and ``Graph``."""

from symgraph.graph.basic import Apply, Constant, Op, Type, Variable, building_at, user_where
from symgraph.graph.fgraph import Graph
from symgraph.graph.traversal import ancestors, clients, graph_inputs, rebuild, toposort

__all__ = [
    "Apply",
    "Constant",
    "Graph",
    "Op",
    "Type",
    "Variable",
    "ancestors",
    "building_at",
    "clients",
    "graph_inputs",
    "rebuild",
    "toposort",
    "user_where",
]
