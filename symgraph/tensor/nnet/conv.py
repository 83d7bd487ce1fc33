"""Theano's first convolution interface, ``theano.tensor.nnet.conv.conv2d``, kept for old programs.

Older tutorials (LeNet among them) call ``conv.conv2d(input, filters,
filter_shape=..., image_shape=...)``; it is a true convolution in mode
'valid' or 'full', the same as ``T.nnet.conv2d``, which it calls.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from symgraph.graph.basic import Variable
from symgraph.tensor.nnet import abstract_conv

__all__ = ["conv2d"]


def conv2d(
    input: Any,
    filters: Any,
    image_shape: Sequence[Any] | None = None,
    filter_shape: Sequence[Any] | None = None,
    border_mode: str = "valid",
    subsample: Sequence[int] = (1, 1),
    **kargs: Any,
) -> Variable:
    """Deprecated in Theano 1.0 (it warns, as Theano did): use ``T.nnet.conv2d``.

    ``kargs`` tuned Theano's C implementation (unrolling, OpenMP) and are ignored.
    """
    warnings.warn(
        "theano.tensor.nnet.conv.conv2d is deprecated; use theano.tensor.nnet.conv2d",
        stacklevel=2,
    )
    if border_mode not in ("valid", "full"):
        raise ValueError(f"conv.conv2d: border_mode must be 'valid' or 'full', got {border_mode!r}")
    return abstract_conv.conv2d(input, filters, image_shape, filter_shape, border_mode, subsample)
