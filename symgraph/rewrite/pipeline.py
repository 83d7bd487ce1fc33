"""The phases each optimizer runs, listed literally per mode.

Contract with ``compile``: ``optimize(graph, optimizer)`` returns the rewritten
Graph (same inputs, outputs of the same types) and the log of rule firings;
``check=True`` (DEBUG_MODE) evaluates every firing's before and after on random
inputs and raises ``RewriteCheckError`` naming the rule on a mismatch.

A phase is a function ``(graph, session) -> Graph``: an engine ``Pass`` over
some rule sets (each node is offered to them in the order listed), or a
whole-graph pass such as fusion. The ``Session`` carries the firing log, the
DEBUG check and what the rules declined, from phase to phase. ``InnerGraphs``
rewrites the graphs that ops hold inside them (scan steps, ifelse branches)
with the same phases, in the same session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from symgraph.graph.basic import Op
from symgraph.graph.fgraph import Graph
from symgraph.graph.traversal import rebuild
from symgraph.rewrite.check import NumericCheck
from symgraph.rewrite.engine import RewriteLog, Session, rewrite
from symgraph.rewrite.pattern import RuleSet
from symgraph.rewrite.rules.canonicalize import canonicalize
from symgraph.rewrite.rules.constant_fold import constant_fold
from symgraph.rewrite.rules.convolution import convolution
from symgraph.rewrite.rules.dead_code import dead_code, unused_outputs
from symgraph.rewrite.rules.flatten import flatten_chains
from symgraph.rewrite.rules.fusion import fuse_elementwise
from symgraph.rewrite.rules.inline import inline_graphs
from symgraph.rewrite.rules.linalg import linalg
from symgraph.rewrite.rules.specialize import (
    blas_sums,
    scale_dot_operands,
    share_softmax_parts,
    specialize,
)
from symgraph.rewrite.rules.stabilize import stabilize

Phase = Callable[[Graph, Session], Graph]


@dataclass(frozen=True)
class Pass:
    """One rebuild of the graph by the engine, to a fixed point of these rule sets."""

    name: str
    rulesets: tuple[RuleSet, ...]

    def __call__(self, graph: Graph, session: Session) -> Graph:
        return rewrite(graph, self.rulesets, session=session)


@dataclass(frozen=True)
class InnerGraphs:
    """Every inner graph (a scan's step, an ifelse's branches) rewritten by ``optimizer``.

    Each op holding inner graphs is rebuilt around the rewritten ones
    (``op.with_inner_graphs``); they are rewritten in the same session (one firing
    log, one DEBUG_MODE check), and graphs nested deeper are reached by the same phase.
    """

    optimizer: str

    def __call__(self, graph: Graph, session: Session) -> Graph:
        ops: dict[Op, Op] = {}
        for node in graph.apply_nodes:
            op = node.op
            if op.inner_graphs and op not in ops:
                inner = {
                    name: run_phases(g, self.optimizer, session)
                    for name, g in op.inner_graphs.items()
                }
                ops[op] = op.with_inner_graphs(inner)
        return Graph(graph.inputs, rebuild(graph.outputs, {}, ops)) if ops else graph


# Inner graphs are rewritten, and graphs asked to be inlined are, first. Chains are flattened
# before the rules see them, and again after: the rules read and build sums and products as
# n-ary nodes, and may leave nested ones behind.
FAST_RUN: tuple[Phase, ...] = (
    InnerGraphs("fast_run"),
    inline_graphs,
    flatten_chains,
    Pass(
        "canonicalize",
        (stabilize, linalg, canonicalize, dead_code, constant_fold, specialize, convolution),
    ),
    flatten_chains,
    scale_dot_operands,
    share_softmax_parts,
    unused_outputs,
    blas_sums,
    fuse_elementwise,
)
FAST_COMPILE: tuple[Phase, ...] = (
    InnerGraphs("fast_compile"),
    inline_graphs,
    Pass("merge", (constant_fold,)),
)
NONE: tuple[Phase, ...] = ()

PHASES = {"fast_run": FAST_RUN, "fast_compile": FAST_COMPILE, "None": NONE}
OPTIMIZERS = tuple(PHASES)


def optimize(graph: Graph, optimizer: str, check: bool = False) -> tuple[Graph, RewriteLog]:
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
    and the ``Firing`` records in the order the rules fired (a ``RewriteLog``,
    a list that prints as a table).
    """
    if optimizer not in PHASES:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {OPTIMIZERS}")
    session = Session(RewriteLog(), NumericCheck() if check else None, strict=check)
    return run_phases(graph, optimizer, session), session.firings


def run_phases(graph: Graph, optimizer: str, session: Session) -> Graph:
    """``graph`` after each phase of ``optimizer``, in ``session``."""
    for phase in PHASES[optimizer]:
        graph = phase(graph, session)
    return graph
