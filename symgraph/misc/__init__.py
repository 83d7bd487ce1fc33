"""``theano.misc``: ``pkl_utils`` (saving and loading with pickle)."""

from symgraph.misc import pkl_utils

__all__ = ["pkl_utils"]
