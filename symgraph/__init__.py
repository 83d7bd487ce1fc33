"""symgraph: a symbolic expression compiler in the tradition of Theano.

import symgraph as theano
import symgraph.tensor as T
"""

from symgraph import compile, gof, ifelse, misc, printing, scalar, tensor
from symgraph.compile import (
    In,
    Mode,
    OpFromGraph,
    Out,
    SharedVariable,
    function,
    function_dump,
    get_mode,
    shared,
)
from symgraph.config import config
from symgraph.gof import Apply, Constant, Op, Type, Variable
from symgraph.gof.graph import clone_replace as clone
from symgraph.gradient import Lop, Rop, grad
from symgraph.printing import dprint, pp
from symgraph.scan import foldl, foldr, map, reduce, scan
from symgraph.tensor import dot

__all__ = [
    "Apply",
    "Constant",
    "In",
    "Lop",
    "Mode",
    "Op",
    "OpFromGraph",
    "Out",
    "Rop",
    "SharedVariable",
    "Type",
    "Variable",
    "clone",
    "compile",
    "config",
    "dot",
    "dprint",
    "foldl",
    "foldr",
    "function",
    "function_dump",
    "gof",
    "get_mode",
    "grad",
    "gradient",
    "ifelse",
    "map",
    "misc",
    "pp",
    "printing",
    "reduce",
    "scalar",
    "scan",
    "shared",
    "tensor",
]
__version__ = "0.1.0"
