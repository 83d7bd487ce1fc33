"""``theano.gof`` as Theano users import it: ``Op``, ``Apply``, ``Variable``, ``Type``, graph walks.

``gof.Op`` is the base class of ops written in Theano's protocol (``make_node``,
``perform``, ``grad``, ``R_op``, ``infer_shape``, ``__props__``); see
docs/extending.md.
"""

from symgraph.gof import graph, null_type, op, type, utils
from symgraph.gof.null_type import NullType
from symgraph.gof.op import Op, PureOp
from symgraph.gof.utils import MethodNotDefined
from symgraph.graph.basic import Apply, Constant, Type, Variable
from symgraph.graph.fgraph import Graph

__all__ = [
    "Apply",
    "Constant",
    "Graph",
    "MethodNotDefined",
    "NullType",
    "Op",
    "PureOp",
    "Type",
    "Variable",
    "graph",
    "null_type",
    "op",
    "type",
    "utils",
]
