"""Compiling graphs: ``function``, shared variables, ``In``/``Out``, modes, code generation."""

from symgraph.compile.shared import SharedVariable, TensorSharedVariable, shared  # noqa: I001
from symgraph.compile.io import In, Out
from symgraph.compile.mode import DEBUG_MODE, FAST_COMPILE, FAST_RUN, Mode, get_mode
from symgraph.compile.function import Function, MissingInputError, UnusedInputError, function

__all__ = [
    "DEBUG_MODE",
    "FAST_COMPILE",
    "FAST_RUN",
    "Function",
    "In",
    "MissingInputError",
    "Mode",
    "Out",
    "SharedVariable",
    "TensorSharedVariable",
    "UnusedInputError",
    "function",
    "get_mode",
    "shared",
]
