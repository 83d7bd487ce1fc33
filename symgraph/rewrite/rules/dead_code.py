"""dead_code: computations whose results cannot matter are not built.

The engine rebuilds a graph from its outputs, so a node no output depends on,
and a shared variable only such nodes read, is gone from the result by
construction (``Graph.roots`` then lists only the shared variables still
read). The rules here remove what is reachable but unused: the branch a
constant condition never takes, a choice between two equal branches.
"""

from __future__ import annotations

import numpy as np

from symgraph.rewrite.pattern import RuleSet
from symgraph.rewrite.rules.forms import numeric_constant
from symgraph.tensor.elemwise import cast, switch

dead_code = RuleSet("dead_code")


def _branch(out, branch):
    """``branch`` standing for the switch's output, if it has the output's type."""
    branch = cast(branch, out.dtype)
    return branch if branch.type == out.type else None


@dead_code.node_rule(switch)
def constant_condition(node):
    """``switch(True, x, y) -> x`` and ``switch(False, x, y) -> y``."""
    condition, then, other = node.inputs
    value = numeric_constant(condition)
    if value is None or value.size == 0:
        return None
    if np.all(value):
        return _branch(node.outputs[0], then)
    if not np.any(value):
        return _branch(node.outputs[0], other)
    return None


@dead_code.node_rule(switch)
def same_branches(node):
    """``switch(c, x, x) -> x``."""
    _, then, other = node.inputs
    return _branch(node.outputs[0], then) if then is other else None
