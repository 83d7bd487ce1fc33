"""``T.nnet``, Theano's neural-network package: softmax and losses, convolution, batch normalization.

``basic`` holds the softmax family and the losses, ``abstract_conv`` the
convolution ops, ``bn`` batch normalization; pooling is in
``symgraph.tensor.signal.pool``, where Theano keeps it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from symgraph.graph.basic import Variable
from symgraph.tensor.nnet import abstract_conv, bn, conv
from symgraph.tensor.nnet.abstract_conv import conv2d_grad_wrt_inputs, conv2d_grad_wrt_weights
from symgraph.tensor.nnet.basic import (
    LogSoftmax,
    Softmax,
    binary_crossentropy,
    categorical_crossentropy,
    crossentropy_categorical_1hot,
    elu,
    hard_sigmoid,
    log_softmax,
    logsoftmax,
    relu,
    selu,
    sigmoid,
    sigmoid_binary_crossentropy,
    softmax,
    softmax_graph,
    softplus,
    softsign,
    ultra_fast_sigmoid,
)
from symgraph.tensor.nnet.bn import batch_normalization

__all__ = [
    "LogSoftmax",
    "Softmax",
    "abstract_conv",
    "batch_normalization",
    "binary_crossentropy",
    "bn",
    "categorical_crossentropy",
    "conv",
    "conv2d",
    "conv2d_grad_wrt_inputs",
    "conv2d_grad_wrt_weights",
    "conv2d_transpose",
    "crossentropy_categorical_1hot",
    "elu",
    "hard_sigmoid",
    "log_softmax",
    "logsoftmax",
    "relu",
    "selu",
    "sigmoid",
    "sigmoid_binary_crossentropy",
    "softmax",
    "softmax_graph",
    "softplus",
    "softsign",
    "ultra_fast_sigmoid",
]


def conv2d(
    input: Any,
    filters: Any,
    input_shape: Sequence[Any] | None = None,
    filter_shape: Sequence[Any] | None = None,
    border_mode: Any = "valid",
    subsample: Sequence[int] = (1, 1),
    filter_flip: bool = True,
    image_shape: Sequence[Any] | None = None,
    filter_dilation: Sequence[int] = (1, 1),
    num_groups: int = 1,
    unshared: bool = False,
    **kwargs: Any,
) -> Variable:
    """Theano's ``T.nnet.conv2d``: ``abstract_conv.conv2d`` with its older spellings.

    ``image_shape`` is the deprecated name of ``input_shape``; other keywords
    are ignored with a warning, as in Theano. See ``abstract_conv.conv2d``.
    """
    if "imshp_logical" in kwargs or "kshp_logical" in kwargs:
        raise ValueError("conv2d: imshp_logical and kshp_logical are not supported any more")
    if kwargs:
        warnings.warn(f"conv2d: the keywords {sorted(kwargs)} are ignored", stacklevel=2)
    if image_shape is not None:
        warnings.warn(
            "conv2d: image_shape is deprecated, it is now called input_shape", stacklevel=2
        )
        if input_shape is not None:
            raise ValueError("conv2d: give input_shape or image_shape, not both")
        input_shape = image_shape
    return abstract_conv.conv2d(
        input, filters, input_shape, filter_shape, border_mode, subsample, filter_flip,
        filter_dilation, num_groups, unshared,
    )  # fmt: skip


def conv2d_transpose(
    input: Any,
    filters: Any,
    output_shape: Sequence[Any],
    filter_shape: Sequence[Any] | None = None,
    border_mode: Any = "valid",
    input_dilation: Sequence[int] = (1, 1),
    filter_flip: bool = True,
    filter_dilation: Sequence[int] = (1, 1),
    num_groups: int = 1,
    unshared: bool = False,
) -> Variable:
    """The transposed convolution ("deconvolution"): ``conv2d``'s gradient with respect to its input.

    ``filters`` are (input channels, output channels, rows, cols), the layout
    of the convolution this one transposes; ``input_dilation`` is its stride.
    """
    return conv2d_grad_wrt_inputs(
        input, filters, output_shape, filter_shape, border_mode, input_dilation, filter_flip,
        filter_dilation, num_groups, unshared,
    )  # fmt: skip
