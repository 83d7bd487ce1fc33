"""symgraph: a symbolic expression compiler in the tradition of Theano.

import symgraph as theano
import symgraph.tensor as T
"""

from symgraph import tensor
from symgraph.config import config

__all__ = ["config", "tensor"]
__version__ = "0.1.0"
