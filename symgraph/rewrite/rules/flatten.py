"""flatten: chains of binary sums and products become n-ary canonical nodes, in one pass.

``a + b + c + d`` is built by users as three binary nodes deep on the left. A
whole-graph pass reads each chain once, from its root, through the chain nodes
only the chain reads (a node read elsewhere too is a leaf, computed once), and
writes the canonical form (``algebra``): constants combined, ``t - t`` and
``x / x`` cancelled, ``+ 0`` and ``* 1`` dropped. Every node is read once, so
a sum of n terms costs O(n), where rebuilding it node by node would cost O(n^2).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from symgraph.graph.basic import Apply, Variable, building_at
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.engine import Firing, Session
from symgraph.rewrite.pattern import graph_rule
from symgraph.rewrite.rules.algebra import canonical
from symgraph.rewrite.rules.forms import (
    Product,
    Sum,
    numeric_constant,
    product_ops,
    sum_ops,
)
from symgraph.tensor.elemwise import add, mul, neg, sub, true_div

#: the kind of chain each op makes; a negation joins its reader's
KINDS = {add: Sum, sub: Sum, mul: Product, true_div: Product, neg: None}


def _interior(graph: Graph) -> tuple[set[Apply], dict[Apply, type]]:
    """The chain nodes read only by the next node of the same chain (same kind and dtype),
    and the kind of chain each chain node belongs to.

    A chain is a sum (add, sub, neg) or a product (mul, true_div, neg). A negation
    belongs to its reader's chain when that reader is a chain node (``a * -b`` is a
    product), else it starts a sum of its own (``-(a + b)``).
    """
    uses: Counter[Variable] = Counter(v for node in graph.apply_nodes for v in node.inputs)
    uses.update(graph.outputs)
    reader: dict[Variable, Apply] = {}
    for node in graph.apply_nodes:
        for v in node.inputs:
            reader[v] = node
    kinds: dict[Apply, type] = {}
    interior: set[Apply] = set()
    for node in reversed(graph.apply_nodes):
        op = node.op
        if op not in KINDS:
            continue
        out = node.outputs[0]
        outer = reader.get(out) if uses[out] == 1 else None
        kind = kinds.get(outer) if outer is not None else None
        kinds[node] = KINDS[op] or kind or Sum
        if (
            kind is kinds[node]
            and outer.outputs[0].dtype == out.dtype
            and op in _ops(kind, out.dtype)
            and outer.op in _ops(kind, out.dtype)
        ):
            interior.add(node)
    return interior, kinds


def _ops(kind: type, dtype: str) -> tuple:
    return sum_ops(dtype) if kind is Sum else product_ops(dtype)


def _read(root: Apply, kind: type, interior, memo) -> Sum | Product:
    """The form of the chain ``root`` ends, read through its ``interior`` nodes."""
    out = root.outputs[0]
    form = Sum(out.dtype) if kind is Sum else Product(out.dtype)
    stack = [(out, 1)]
    while stack:
        v, sign = stack.pop()
        node = v.owner
        if v is out or (node is not None and node in interior):
            if node.op is neg and kind is Sum:
                stack.append((node.inputs[0], -sign))
            elif node.op is neg:
                form.add_constant(np.asarray(-1), 1)
                stack.append((node.inputs[0], sign))
            elif node.op in (sub, true_div):
                stack += [(node.inputs[1], -sign), (node.inputs[0], sign)]
            else:
                stack += [(u, sign) for u in reversed(node.inputs)]
            continue
        leaf = memo.get(v, v)
        value = numeric_constant(leaf)
        if kind is Sum:
            if value is not None:
                form.add_constant(value, sign)
            else:
                form.terms.append((leaf, sign))
        elif value is not None and form.absorbs(value, sign):
            form.add_constant(value, sign)
        else:
            (form.numerators if sign > 0 else form.denominators).append(leaf)
    return form


def flatten_chains(graph: Graph, session: Session | None = None) -> Graph:
    """``graph`` with every sum and product chain as its n-ary canonical form.

    A chain node joins its reader's chain when the reader is the only one, reads it
    as the same kind of chain, and has the same dtype; the others are roots. A root
    without such nodes below is one node, which canonicalize's rules see whole.
    """
    interior, kinds = _interior(graph)
    memo: dict[Variable, Variable] = {}
    for node in graph.apply_nodes:
        if any(v in memo for v in node.inputs):
            inputs = [memo.get(v, v) for v in node.inputs]
            memo.update(zip(node.outputs, node.rebuilt(inputs).outputs))
        if node in interior or not any(v.owner in interior for v in node.inputs):
            continue
        out = node.outputs[0]
        with building_at(node.where):
            replacement = canonical(_read(node, kinds[node], interior, memo), memo.get(out, out))
        if replacement is None:
            continue
        if session is not None:
            session.record(Firing(FLATTEN, node.where, out, replacement))
        memo[out] = replacement
    return Graph(graph.inputs, [memo.get(v, v) for v in graph.outputs])


FLATTEN = graph_rule("flatten_chains", flatten_chains)
