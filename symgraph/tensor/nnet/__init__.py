"""``T.nnet``, Theano's neural-network package: the softmax family and the losses (``basic``)."""

from symgraph.tensor.nnet.basic import (
    LogSoftmax,
    Softmax,
    binary_crossentropy,
    categorical_crossentropy,
    log_softmax,
    logsoftmax,
    relu,
    sigmoid,
    softmax,
    softplus,
)

__all__ = [
    "LogSoftmax",
    "Softmax",
    "binary_crossentropy",
    "categorical_crossentropy",
    "log_softmax",
    "logsoftmax",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
]
