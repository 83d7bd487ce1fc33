"""constant_fold: a node whose inputs are all constants becomes the constant it computes.

Each op's ``impl`` computes the value, so folding needs no rules of its own. A
fold that would make a constant larger than ``FOLD_LIMIT`` elements, or larger
than its largest input (an ``alloc`` of a scalar), is left to run time.
"""

from __future__ import annotations

import numpy as np

from symgraph.graph.basic import Constant
from symgraph.rewrite.pattern import EVERY_OP, RuleSet
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import constant

#: the most elements a folded constant may have
FOLD_LIMIT = 4096
#: outputs this small are folded even when they are larger than their inputs
SMALL = 16

constant_fold = RuleSet("constant_fold")


@constant_fold.node_rule(EVERY_OP)
def fold_constants(node):
    """``op(c1, c2) -> c`` with ``c = op.impl(c1, c2)``, for small results."""
    if not node.inputs or not all(isinstance(v, Constant) for v in node.inputs):
        return None
    allowed = getattr(node.op, "do_constant_folding", None)  # Theano's opt-out (Print)
    if allowed is not None and not allowed(node):
        return None
    (out,) = node.outputs
    if not isinstance(out.type, TensorType) or None in out.type.shape:
        return None
    size = int(np.prod(out.type.shape, dtype=np.int64))
    largest = max(np.size(v.value) for v in node.inputs)
    if size > FOLD_LIMIT or (size > SMALL and size > largest):
        return None
    with np.errstate(all="ignore"):
        try:
            value = np.asarray(node.op.impl(*(v.value for v in node.inputs)), dtype=out.dtype)
        except Exception:  # noqa: BLE001 (a failing op raises at run time, with its message)
            return None
    return constant(value, dtype=out.dtype)
