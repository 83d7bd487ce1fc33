"""Pickling compiled functions: the optimized graph and the settings travel, the code does not.

A ``Function`` pickles as its inputs (with their defaults), its optimized
graph (shared variables inside, with their current values), which outputs are
borrowed, the shared variables its updates write, its mode and name. Loading
generates and compiles the code again, without rewriting (unless
``config.reoptimize_unpickled_function``), so the loaded function computes
exactly what the pickled one did and continues from the shared variables'
values. Functions pickled together keep sharing their shared variables.
The log of rewrites comes back as the text of each firing. ``function_dump``
pickles the arguments of a ``function()`` call instead.
"""

from __future__ import annotations

import inspect
import pickle
from typing import Any

from symgraph.compile.function import Function, function
from symgraph.compile.io import Out
from symgraph.compile.profile import Profile
from symgraph.config import config


def function_state(f: Function) -> dict[str, Any]:
    """What ``pickle`` stores of ``f``: data, and symgraph's objects (no code)."""
    return {
        "inputs": f.inputs,
        "borrow": [out.borrow for out in f.outputs],
        "single": f._single,
        "shared": [var for var, _ in f.updates],
        "graph": f.graph,
        "rewrites": [str(firing) for firing in f.rewrites],
        "mode": f.mode,
        "name": f.name,
        "allow_downcast": f._allow_downcast,
        "profile": f.profile is not None,
    }


def restore_function(state: dict[str, Any]) -> Function:
    """The ``Function`` a ``function_state`` describes, its code generated again."""
    graph = state["graph"]
    rewrites = state["rewrites"]
    if config.reoptimize_unpickled_function:
        from symgraph.rewrite.pipeline import optimize

        graph, rewrites = optimize(graph, state["mode"].optimizer_name)
    outputs = [Out(v, borrow) for v, borrow in zip(graph.outputs, state["borrow"])]
    return Function(
        state["inputs"],
        outputs,
        state["single"],
        state["shared"],
        graph,
        rewrites,
        state["mode"],
        state["name"],
        state["allow_downcast"],
        Profile(state["name"]) if state["profile"] else None,
        0.0,
    )


def function_dump(filename: str, inputs: Any, outputs: Any = None, **kwargs: Any) -> None:
    """Pickle the arguments of a ``function()`` call to ``filename``, to rebuild it elsewhere.

    Theano's ``theano.function_dump``, for reporting a problem: whoever loads the
    file calls ``theano.function(**pickle.load(f))``.
    """
    accepted = inspect.signature(function).parameters
    for name in kwargs:
        if name not in accepted:
            raise TypeError(f"function_dump: function() has no argument {name!r}")
    with open(filename, "wb") as f:
        pickle.dump({"inputs": inputs, "outputs": outputs, **kwargs}, f, pickle.HIGHEST_PROTOCOL)
