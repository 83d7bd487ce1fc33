"""inline: nodes whose op stands for a graph it asks to inline become that graph.

A whole-graph pass, run first, so every later rewrite sees through the node:
an op with an ``expand(inputs)`` fact returning variables (an
``OpFromGraph(..., inline=True)``) is replaced by them; ``expand`` returning
None keeps the node. Expansions may contain such nodes again (nested graphs),
so the pass repeats until none is left.
"""

from __future__ import annotations

from symgraph.graph.basic import Variable, building_at
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.engine import Firing, Session
from symgraph.rewrite.pattern import graph_rule


def inline_graphs(graph: Graph, session: Session | None = None) -> Graph:
    """``graph`` with every node whose op's ``expand`` gives a graph replaced by that graph."""
    expanded = any(getattr(node.op, "expand", None) is not None for node in graph.apply_nodes)
    while expanded:
        expanded = False
        memo: dict[Variable, Variable] = {}
        for node in graph.apply_nodes:
            inputs = [memo.get(v, v) for v in node.inputs]
            expand = getattr(node.op, "expand", None)
            with building_at(node.where):
                outputs = None if expand is None else expand(inputs)
                if outputs is None:
                    if all(a is b for a, b in zip(inputs, node.inputs)):
                        continue
                    outputs = node.op.make_node(*inputs).outputs
                else:
                    expanded = True
                    if session is not None:
                        session.record(Firing(INLINE, node.where, node.outputs[0], outputs[0]))
            for old, new in zip(node.outputs, outputs):
                if new.owner is not None and new.name is None:
                    new.name = old.name
                memo[old] = new
        graph = Graph(graph.inputs, [memo.get(v, v) for v in graph.outputs])
    return graph


INLINE = graph_rule("inline_graph", inline_graphs)
