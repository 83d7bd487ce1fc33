"""Compiling graphs: ``function``, shared variables, ``In``/``Out``, modes, code generation."""

from symgraph.compile.shared import SharedVariable, TensorSharedVariable, shared  # noqa: I001
from symgraph.compile.io import In, Out
from symgraph.compile.mode import (
    DEBUG_MODE,
    FAST_COMPILE,
    FAST_RUN,
    Mode,
    get_default_mode,
    get_mode,
)
from symgraph.compile.function import Function, MissingInputError, UnusedInputError, function
from symgraph.compile import builders, function_module, mode, ops, sharedvalue
from symgraph.compile.pickling import function_dump
from symgraph.compile.builders import OpFromGraph
from symgraph.compile.ops import as_op

__all__ = [
    "DEBUG_MODE",
    "FAST_COMPILE",
    "FAST_RUN",
    "Function",
    "In",
    "MissingInputError",
    "Mode",
    "OpFromGraph",
    "Out",
    "SharedVariable",
    "TensorSharedVariable",
    "UnusedInputError",
    "as_op",
    "builders",
    "function",
    "function_dump",
    "function_module",
    "get_default_mode",
    "get_mode",
    "mode",
    "ops",
    "shared",
    "sharedvalue",
]
