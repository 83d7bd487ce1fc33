"""PyTensor's location of the softmax family, ``symgraph.tensor.special`` (also ``T.softmax``).

Unlike Theano's ``T.nnet.softmax``, these keep the input's shape: the softmax
of a vector is a vector.
"""

from __future__ import annotations

from typing import Any

from symgraph.graph.basic import Variable
from symgraph.tensor.nnet.basic import LogSoftmax, Softmax, along

__all__ = ["log_softmax", "logsoftmax", "softmax"]


def softmax(x: Any, axis: int = -1) -> Variable:
    """Softmax along ``axis`` (the last by default), of the shape of ``x``."""
    return along(Softmax, x, axis)


def log_softmax(x: Any, axis: int = -1) -> Variable:
    """Log of the softmax along ``axis``, computed stably, of the shape of ``x``."""
    return along(LogSoftmax, x, axis)


logsoftmax = log_softmax
