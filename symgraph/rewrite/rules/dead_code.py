"""dead_code: computations whose results cannot matter are not built.

The engine rebuilds a graph from its outputs, so a node no output depends on,
and a shared variable only such nodes read, is gone from the result by
construction (``Graph.roots`` then lists only the shared variables still
read). The rules here remove what is reachable but unused: the branch a
constant condition never takes, a choice between two equal branches; and
``unused_outputs``, a whole-graph pass, the outputs of a node nobody reads
where its op can leave them out (``Op.without_outputs``: a loop's rows).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from symgraph.graph.basic import building_at
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.engine import Firing, Session
from symgraph.rewrite.pattern import RuleSet, bind, graph_rule, pvars
from symgraph.rewrite.rules.forms import numeric_constant
from symgraph.tensor.elemwise import cast, switch

dead_code = RuleSet("dead_code")


def _branch(out, branch):
    """``branch`` standing for the switch's output, if it has the output's type."""
    branch = cast(branch, out.dtype)
    return branch if branch.type == out.type else None


def constant_condition(chosen, c, x, y):
    """``switch(True, x, y) -> x`` and ``switch(False, x, y) -> y``."""
    value = numeric_constant(c)
    if value is None or value.size == 0:
        return None
    if np.all(value):
        return _branch(chosen, x)
    return _branch(chosen, y) if not np.any(value) else None


c = pvars("c", constant=True)
x, y, z = pvars("x y z")
dead_code.add(bind("chosen", switch(c, x, y)), constant_condition)
dead_code.add(
    bind("chosen", switch(z, x, x)), lambda chosen, z, x: _branch(chosen, x), name="same_branches"
)


def unused_outputs(graph: Graph, session: Session | None = None) -> Graph:
    """Each node with outputs nobody reads, rebuilt by its op without them where it can."""
    uses = Counter(v for node in graph.apply_nodes for v in node.inputs)
    uses.update(graph.outputs)
    mapping = {}
    for node in graph.apply_nodes:
        unused = {k for k, out in enumerate(node.outputs) if not uses[out]}
        found = node.op.without_outputs(unused) if unused else None
        if found is None:
            continue
        op, kept = found
        with building_at(node.where):
            outputs = op.make_node(*node.inputs).outputs
        for k, out in zip(kept, outputs):
            mapping[node.outputs[k]] = out
        if session is not None:
            first = node.outputs[kept[0]]
            session.record(Firing(UNUSED_OUTPUTS, node.where, first, mapping[first]))
    return graph.replace(mapping) if mapping else graph


UNUSED_OUTPUTS = graph_rule("unused_outputs", unused_outputs)
