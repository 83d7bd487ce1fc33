"""The phases each optimizer runs, listed literally per mode.

Contract with ``compile``: ``optimize(graph, optimizer)`` returns the rewritten
Graph (same inputs, outputs of the same types) and the log of rule firings;
``check=True`` (DEBUG_MODE) evaluates every firing's before and after on random
inputs and raises ``RewriteCheckError`` naming the rule on a mismatch.

A phase is a function ``(graph, firings, check) -> Graph``: an engine ``Pass``
over some rule sets (each node is offered to them in the order listed), or a
whole-graph pass such as fusion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from symgraph.graph.fgraph import Graph
from symgraph.rewrite.check import NumericCheck
from symgraph.rewrite.engine import Firing, rewrite
from symgraph.rewrite.pattern import RuleSet
from symgraph.rewrite.rules.canonicalize import canonicalize
from symgraph.rewrite.rules.constant_fold import constant_fold
from symgraph.rewrite.rules.convolution import convolution
from symgraph.rewrite.rules.dead_code import dead_code
from symgraph.rewrite.rules.fusion import fuse_elementwise
from symgraph.rewrite.rules.specialize import scale_dot_operands, specialize
from symgraph.rewrite.rules.stabilize import stabilize

Check = Callable[[Firing], None] | None
Phase = Callable[[Graph, list, Check], Graph]


@dataclass(frozen=True)
class Pass:
    """One rebuild of the graph by the engine, to a fixed point of these rule sets."""

    name: str
    rulesets: tuple[RuleSet, ...]

    def __call__(self, graph: Graph, firings: list, check: Check) -> Graph:
        return rewrite(graph, self.rulesets, firings, check)


# Stabilize shares canonicalize's pass: the engine finishes a node before its readers, so
# ``1 / (1 + exp(-z))`` is a sigmoid before any product that reads it is flattened.
FAST_RUN: tuple[Phase, ...] = (
    Pass("canonicalize", (stabilize, canonicalize, dead_code, constant_fold)),
    Pass("specialize", (specialize, convolution, canonicalize, constant_fold)),
    scale_dot_operands,
    fuse_elementwise,
)
FAST_COMPILE: tuple[Phase, ...] = (Pass("merge", (constant_fold,)),)
NONE: tuple[Phase, ...] = ()

PHASES = {"fast_run": FAST_RUN, "fast_compile": FAST_COMPILE, "None": NONE}
OPTIMIZERS = tuple(PHASES)


def optimize(graph: Graph, optimizer: str, check: bool = False) -> tuple[Graph, list[Firing]]:
    """Rewrite ``graph`` with the phases of ``optimizer``; returns (graph, firings).

    Parameters
    ----------
    graph
        The graph to rewrite; it is not changed.
    optimizer
        'fast_run' (every phase), 'fast_compile' (merging and constant
        folding) or 'None' (the graph as it is).
    check
        Evaluate each firing's before and after on random inputs (DEBUG_MODE).

    Returns
    -------
    The rewritten graph, with the same inputs and outputs of the same types,
    and the list of ``Firing`` records in the order the rules fired.
    """
    if optimizer not in PHASES:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {OPTIMIZERS}")
    firings: list[Firing] = []
    checker = NumericCheck() if check else None
    for phase in PHASES[optimizer]:
        graph = phase(graph, firings, checker)
    return graph, firings
