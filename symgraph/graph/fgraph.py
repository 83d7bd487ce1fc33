"""``Graph``: a fixed set of outputs over a fixed set of inputs, with cached facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property

from symgraph.graph.basic import Apply, Variable
from symgraph.graph.serialize import flatten, restore
from symgraph.graph.traversal import ancestors, clients, rebuild, toposort


class Graph:
    """Inputs and outputs of a computation; immutable, so its schedule is computed once.

    ``replace`` returns a new Graph; nothing here changes a node.
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)

    @cached_property
    def apply_nodes(self) -> list[Apply]:
        """The nodes in a valid execution order."""
        return toposort(self.outputs, stop=self.inputs)

    @cached_property
    def variables(self) -> list[Variable]:
        return ancestors(self.outputs, stop=self.inputs)

    @cached_property
    def clients(self) -> dict[Variable, list[tuple[Apply, int]]]:
        return clients(self.apply_nodes)

    @cached_property
    def roots(self) -> list[Variable]:
        """Ownerless variables that are not inputs: constants and shared variables."""
        inputs = set(self.inputs)
        return [v for v in self.variables if v.owner is None and v not in inputs]

    def replace(self, mapping: Mapping[Variable, Variable]) -> Graph:
        """A new Graph with each key of ``mapping`` replaced by its value."""
        return Graph(self.inputs, rebuild(self.outputs, mapping))

    def __reduce__(self) -> tuple:
        """Pickled as its inputs and a flat table of its nodes (no recursion on depth)."""
        return _restore_graph, (self.inputs, *flatten(self.outputs, self.inputs))

    def __len__(self) -> int:
        return len(self.apply_nodes)

    def __repr__(self) -> str:
        return f"Graph({len(self.inputs)} inputs, {len(self.outputs)} outputs, {len(self)} nodes)"


def _restore_graph(inputs: Sequence[Variable], roots, records, outputs) -> Graph:
    """How a Graph is unpickled."""
    return Graph(inputs, restore(roots, records, outputs))
