"""The phases each optimizer runs, listed literally per mode.

Contract with ``compile``: ``optimize(graph, optimizer)`` returns the rewritten
Graph (same inputs, outputs of the same types) and the log of rule firings.
"""

from __future__ import annotations

from symgraph.graph.fgraph import Graph

OPTIMIZERS = ("fast_run", "fast_compile", "None")


def optimize(graph: Graph, optimizer: str) -> tuple[Graph, list]:
    """Rewrite ``graph`` with the phases of ``optimizer``; returns (graph, firings)."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {OPTIMIZERS}")
    return graph, []
