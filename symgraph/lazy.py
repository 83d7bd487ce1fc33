"""Functions of heavy optional modules (SymPy, SciPy), imported on first call; names of
later stages served by a lower module (``T.grad``), imported on first use.

``import symgraph`` stays fast: SymPy is needed only to print or check with
SymPy, SciPy only when a graph uses erf or gamma.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


class LazyFunction:
    """``module.name``, looked up when first called and kept: later calls cost one indirection.

    Generated code calls these per array operation (``special.erf(x)``), so
    the import machinery must not run on every call.
    """

    __slots__ = ("_module", "_name", "_install", "_target", "__name__", "__qualname__")

    def __init__(self, module: str, name: str, install: str | None = None) -> None:
        self._module = module
        self._name = name
        self._install = install
        self._target: Callable[..., Any] | None = None
        self.__name__ = self.__qualname__ = name

    def resolve(self) -> Callable[..., Any]:
        """The function itself, importing its module if that has not happened yet."""
        if self._target is None:
            try:
                module = importlib.import_module(self._module)
            except ImportError as err:
                if self._install is None:
                    raise
                raise ImportError(
                    f"{self._module}.{self._name} is needed here, and {err.name} is not "
                    f"installed: {self._install}"
                ) from err
            self._target = getattr(module, self._name)
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        target = self._target
        if target is None:
            target = self.resolve()
        return target(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<lazy {self._module}.{self._name}>"


class LazyFunctions:
    """``LazyFunctions("sympy").exp`` is a function that imports SymPy when it is called.

    ``install`` is the advice an ImportError gives when the module is missing
    (``"pip install scipy"``), for modules symgraph does not depend on.
    """

    def __init__(self, module: str, install: str | None = None) -> None:
        self._module = module
        self._install = install

    def __getattr__(self, name: str) -> LazyFunction:
        if name.startswith("__"):  # copy, pickle and friends probe for dunders
            raise AttributeError(name)
        function = LazyFunction(self._module, name, self._install)
        setattr(self, name, function)  # the next lookup finds it without __getattr__
        return function


def lazy_names(module: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving each name of ``table`` (name -> module defining it,
    or the submodule of that name itself).

    The defining module is imported when the name is first used, and the name is
    then kept in ``module``, so later lookups are plain attribute reads. Lower
    layers serve Theano's flat names of later stages this way (``T.grad``):
    importing those stages would be an import loop.
    """

    def __getattr__(name: str) -> Any:
        home = table.get(name)
        if home is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        found = importlib.import_module(home)
        value = found if home == f"{module}.{name}" else getattr(found, name)
        setattr(sys.modules[module], name, value)
        return value

    return __getattr__
