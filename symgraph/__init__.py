"""symgraph: a symbolic expression compiler in the tradition of Theano.

import symgraph as theano
import symgraph.tensor as T
"""

from symgraph import compile, gof, ifelse, printing, scalar, tensor
from symgraph.compile import (
    In,
    Mode,
    OpFromGraph,
    Out,
    SharedVariable,
    function,
    get_mode,
    shared,
)
from symgraph.config import config
from symgraph.gof import Apply, Constant, Op, Type, Variable
from symgraph.gof.graph import clone_replace as clone
from symgraph.gradient import grad
from symgraph.printing import dprint
from symgraph.scan import foldl, foldr, map, reduce, scan

__all__ = [
    "Apply",
    "Constant",
    "In",
    "Mode",
    "Op",
    "OpFromGraph",
    "Out",
    "SharedVariable",
    "Type",
    "Variable",
    "clone",
    "compile",
    "config",
    "dprint",
    "foldl",
    "foldr",
    "function",
    "gof",
    "get_mode",
    "grad",
    "gradient",
    "ifelse",
    "map",
    "printing",
    "reduce",
    "scalar",
    "scan",
    "shared",
    "tensor",
]
__version__ = "0.1.0"
