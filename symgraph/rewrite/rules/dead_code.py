"""dead_code: computations whose results cannot matter are not built.

The engine rebuilds a graph from its outputs, so a node no output depends on,
and a shared variable only such nodes read, is gone from the result by
construction (``Graph.roots`` then lists only the shared variables still
read). The rules here remove what is reachable but unused: the branch a
constant condition never takes, a choice between two equal branches.
"""

from __future__ import annotations

import numpy as np

from symgraph.rewrite.pattern import RuleSet, bind, pvars
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
