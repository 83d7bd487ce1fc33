"""PyTensor's location of the softmax family: ``symgraph.tensor.special``."""

from symgraph.tensor.nnet import log_softmax, logsoftmax, softmax

__all__ = ["log_softmax", "logsoftmax", "softmax"]
