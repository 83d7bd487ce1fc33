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
from symgraph.rewrite.engine import Firing
from symgraph.rewrite.pattern import Rule
from symgraph.rewrite.rules.algebra import canonical
from symgraph.rewrite.rules.forms import (
    Product,
    Sum,
    numeric_constant,
    product_ops,
    sum_ops,
)
from symgraph.tensor.elemwise import add, mul, neg, sub, true_div


def _kinds(graph: Graph, uses: Counter) -> dict[Apply, type]:
    """The kind of chain (Sum or Product) each add/sub/mul/true_div/neg node belongs to.

    A negation belongs to its reader's chain when that reader is a chain node
    (``a * -b`` is a product), else it starts a sum of its own (``-(a + b)``).
    """
    kinds: dict[Apply, type] = {}
    reader: dict[Variable, Apply] = {}
    for node in graph.apply_nodes:
        for v in node.inputs:
            reader[v] = node
    for node in reversed(graph.apply_nodes):
        if node.op in (add, sub):
            kinds[node] = Sum
        elif node.op in (mul, true_div):
            kinds[node] = Product
        elif node.op is neg:
            out = node.outputs[0]
            outer = reader.get(out) if uses[out] == 1 else None
            kinds[node] = kinds.get(outer, Sum) if outer is not None else Sum
    return kinds


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


def flatten_chains(graph: Graph, firings: list | None = None, check=None) -> Graph:
    """``graph`` with every sum and product chain as its n-ary canonical form.

    A chain node joins its reader's chain when the reader is the only one, reads it
    as the same kind of chain, and has the same dtype; the others are roots.
    """
    uses: Counter[Variable] = Counter(v for node in graph.apply_nodes for v in node.inputs)
    uses.update(graph.outputs)
    kinds = _kinds(graph, uses)
    reader = {v: node for node in graph.apply_nodes for v in node.inputs}
    interior = set()
    for node, kind in kinds.items():
        out = node.outputs[0]
        outer = reader.get(out)
        if (
            uses[out] == 1
            and outer is not None
            and kinds.get(outer) is kind
            and outer.outputs[0].dtype == out.dtype
            and node.op in _ops(kind, out.dtype)
            and outer.op in _ops(kind, out.dtype)
        ):
            interior.add(node)
    memo: dict[Variable, Variable] = {v: v for v in graph.inputs}
    for node in graph.apply_nodes:
        inputs = [memo.get(v, v) for v in node.inputs]
        with building_at(node.where):
            if any(a is not b for a, b in zip(inputs, node.inputs)):
                new = node.op.make_node(*inputs)
                for old, out in zip(node.outputs, new.outputs):
                    out.name = old.name
                    memo[old] = out
            kind = kinds.get(node)
            out = node.outputs[0]
            if kind is None or node in interior or node.op not in _ops(kind, out.dtype):
                continue
            if not any(v.owner in interior for v in node.inputs):
                continue  # a single node: canonicalize's rules see it whole
            replacement = canonical(_read(node, kind, interior, memo), memo.get(out, out))
        if replacement is None:
            continue
        firing = Firing(FLATTEN, node.where, out, replacement)
        if check is not None:
            check(firing)
        if firings is not None:
            firings.append(firing)
        memo[out] = replacement
    return Graph(graph.inputs, [memo.get(v, v) for v in graph.outputs])


FLATTEN = Rule(
    "flatten_chains",
    f"{__file__}:{flatten_chains.__code__.co_firstlineno}",
    (),
    flatten_chains,
)
