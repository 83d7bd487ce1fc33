"""Functions of heavy optional modules (SymPy, SciPy), imported on first call.

``import symgraph`` stays fast: SymPy is needed only to print or check with
SymPy, SciPy only when a graph uses erf or gamma.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


class LazyFunctions:
    """``LazyFunctions("sympy").exp`` is a function that imports SymPy when it is called."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Callable[..., Any]:
        module = self._module

        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(importlib.import_module(module), name)(*args, **kwargs)

        call.__name__ = call.__qualname__ = name
        return call
