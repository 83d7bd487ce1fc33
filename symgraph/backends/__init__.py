"""What generated code runs on: a backend is a small record the one code generator reads.

The code generator (``symgraph/compile/codegen.py``) writes NumPy-style lines,
one per node. A backend says what those lines run on: the globals of the
generated module, the array class the input fast path accepts, whether results
may be computed in place and into ``out=`` buffers, per-op code overrides, a
compile-time check that refuses what the engine cannot run, and optionally the
function that computes every result at once at the end of a call.

``numpy`` (the default) runs the lines eagerly; ``dask`` (``mode="DASK"``) runs
the same lines over dask arrays and computes all outputs and updates in one
``dask.compute``. The ``dask`` record imports Dask, so it is loaded only when a
function asks for it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from symgraph.graph.basic import Apply, Variable

#: backend name -> (module defining it as ``BACKEND``, what to install when it is missing)
BACKENDS = {
    "numpy": ("symgraph.backends.numpy", None),
    "dask": ("symgraph.backends.dask", 'pip install "symgraph[dask]"'),
}

#: ``override(node, outs, names)``: the lines computing ``node`` on this backend
Override = Callable[[Apply, Sequence[str], Sequence[str]], list[str]]


class UnsupportedError(NotImplementedError):
    """A graph the chosen backend cannot run: raised at compile time, naming the op and line."""


@dataclass(frozen=True)
class Backend:
    """The facts the code generator needs about the arrays generated code runs on.

    Attributes
    ----------
    name : str
    globals : mapping
        Names bound in the generated module beside ``np``, ``special`` and
        ``asarray`` (``da`` and ``compute`` for Dask).
    array_type : str
        The global naming the array class the input fast path accepts as is.
    inplace : bool
        Whether the memory plan may compute results in place and into
        ``out=`` buffers (NumPy) or every node makes a new value (Dask).
    overrides : mapping
        Op class -> ``override(node, outs, names)``, the node's lines on this
        backend instead of the op's own ``emit``.
    check : callable
        ``check(nodes, inputs, shared_values)`` raises ``UnsupportedError``
        for a node the backend cannot run; ``shared_values`` maps each shared
        variable the function reads to its value at compile time.
    accept : callable, optional
        ``accept(convert, type, what, allow_downcast)``: the slow path of an
        input check, given NumPy's (``convert``); None keeps NumPy's.
    compute : str, optional
        A global called once on every output and update value, whose results
        replace them (``dask.compute``); None when values are ready as computed.
    """

    name: str
    globals: Mapping[str, Any]
    array_type: str
    inplace: bool
    check: Callable[[Sequence[Apply], Sequence[Variable], Mapping[Variable, Any]], None]
    overrides: Mapping[type, Override] = field(default_factory=dict)
    accept: Callable[..., Callable[[Any], Any]] | None = None
    compute: str | None = None

    def emit(self, node: Apply, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        """The lines computing ``node``: the backend's override, else the op's own."""
        override = self.overrides.get(type(node.op))
        if override is not None:
            return override(node, outs, names)
        return node.op.emit(outs, names)


def get_backend(name: str) -> Backend:
    """The backend record called ``name``, importing its module (and engine) on first use."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {sorted(BACKENDS)}")
    module, install = BACKENDS[name]
    try:
        return importlib.import_module(module).BACKEND
    except ImportError as err:
        if install is None or err.name is None or err.name.startswith("symgraph"):
            raise
        raise ImportError(
            f"the {name} backend (mode={name.upper()!r}) needs {err.name}, which is not "
            f"installed: {install}"
        ) from err


def is_dask_array(value: Any) -> bool:
    """True for a ``dask.array.Array``; never imports Dask (no Dask loaded, no dask array)."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(value, module.Array)


def unsupported(backend: str, node: Apply, reason: str) -> UnsupportedError:
    """The error refusing ``node``: the mode, the op, the user's line and why."""
    return UnsupportedError(
        f"mode={backend.upper()!r} cannot run {node.op} (built at {node.where}): {reason}"
    )
