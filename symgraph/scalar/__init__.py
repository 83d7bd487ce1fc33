"""``theano.scalar``: the dtype rules of scalars, as Theano's op authors import them.

symgraph has no separate scalar graph: elementwise ops are table rows over
tensors (see docs/ops.md). What op authors need from here is ``upcast``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["upcast"]


def upcast(dtype: Any, *dtypes: Any) -> str:
    """The dtype NumPy gives when values of all these dtypes are combined, as a string.

    Theano's ``theano.scalar.upcast`` (with its default ``cast_policy='custom'``).

    Examples
    --------
    >>> upcast("int8", "float32"), upcast("int32", "float32"), upcast("float32")
    ('float32', 'float64', 'float32')
    """
    return str(np.result_type(*(np.dtype(d) for d in (dtype, *dtypes))))
