"""symgraph: a symbolic expression compiler in the tradition of Theano.

import symgraph as theano
import symgraph.tensor as T
"""

from symgraph import ifelse, printing, tensor
from symgraph.compile import In, Mode, Out, SharedVariable, function, get_mode, shared
from symgraph.config import config
from symgraph.gradient import Lop, Rop, grad
from symgraph.printing import dprint
from symgraph.scan import foldl, foldr, map, reduce, scan

__all__ = [
    "In",
    "Lop",
    "Mode",
    "Out",
    "Rop",
    "SharedVariable",
    "config",
    "dprint",
    "foldl",
    "foldr",
    "function",
    "get_mode",
    "grad",
    "gradient",
    "ifelse",
    "map",
    "printing",
    "reduce",
    "scan",
    "shared",
    "tensor",
]
__version__ = "0.1.0"
