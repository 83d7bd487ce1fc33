"""``theano.misc.pkl_utils``: ``dump`` and ``load`` of symgraph objects (compiled functions,
graphs, shared variables), as plain pickle files.

Theano wrote a zip archive with the arrays apart; symgraph's objects pickle
compactly as they are (see docs/compile.md, "Saving and loading"), so these
are ``pickle.dump`` and ``pickle.load``. Files written by Theano do not load.
"""

from __future__ import annotations

import pickle
from typing import IO, Any

__all__ = ["dump", "load"]


def dump(obj: Any, file_handler: IO[bytes], protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
    """Write ``obj`` to the open binary file ``file_handler``."""
    pickle.dump(obj, file_handler, protocol)


def load(f: IO[bytes]) -> Any:
    """The object ``dump`` wrote to the open binary file ``f``."""
    return pickle.load(f)
