"""The rewrite engine: a bottom-up functional rebuild of a graph to a fixed point.

Every node is rebuilt once its inputs are final. Rebuilding looks the node up
in a table keyed by (op, inputs), so equal nodes become one (common
subexpression elimination), and equal constants become one by their
``signature()``. A new node is offered to the rules of its root op; the first
replacement is itself resolved the same way, so what comes back is final too.
Nothing is mutated: the result is a new ``Graph`` sharing the untouched nodes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from symgraph.graph.basic import Apply, Constant, Variable, building_at
from symgraph.graph.fgraph import Graph
from symgraph.graph.syntax import brief
from symgraph.graph.traversal import postorder
from symgraph.rewrite.pattern import Rule, RuleSet, op_key

#: how deeply replacements may nest (a rule whose output makes it fire again)
MAX_NESTING = 64


@dataclass(frozen=True, eq=False)
class Firing:
    """One rule firing: which rule, at which node of the user's code, what became what."""

    rule: Rule
    where: str
    before: Variable
    after: Variable

    def __str__(self) -> str:
        return f"{self.rule.name} at {self.where}: {brief(self.before)} -> {brief(self.after)}"


def same_type(old: Variable, new: Variable) -> bool:
    """True when ``new`` has exactly ``old``'s type.

    Exact, not merely compatible: a replacement claiming a static size its
    original leaves unknown (1 for None, say) changes how every reader
    broadcasts, which is how wrong-shaped gradients once passed unnoticed.
    """
    return old.type == new.type


_active: list[Rewriter] = []


def resolved(var: Variable) -> Variable:
    """``var`` merged and rewritten by the pass under way, so rules can compare new
    expressions with existing ones by identity (outside a pass: ``var`` itself)."""
    return _active[-1].resolve(var) if _active else var


class RewriteLoopError(RuntimeError):
    """A rule keeps firing: its replacements never reach a fixed point."""


class Rewriter:
    """One pass of ``rulesets`` over a graph; ``check(firing)`` sees every firing (DEBUG_MODE)."""

    def __init__(
        self,
        rulesets: Sequence[RuleSet],
        firings: list[Firing] | None = None,
        check: Callable[[Firing], None] | None = None,
        max_firings: int = 10_000,
    ) -> None:
        self.rulesets = tuple(rulesets)
        self.firings = firings if firings is not None else []
        self.check = check
        self.max_firings = max_firings
        self.final: dict[Variable, Variable] = {}
        self.table: dict[tuple, Apply] = {}
        self.constants: dict[tuple, Constant] = {}
        self.counts: Counter[Rule] = Counter()
        self.fired = 0
        self.nesting = 0
        self._rules: dict = {}

    def rewrite(self, graph: Graph) -> Graph:
        """``graph`` rebuilt with merged nodes and every applicable rule applied."""
        for v in graph.inputs:  # an input stays as it is, even one with an owner
            self.final[v] = v
        _active.append(self)
        try:
            return Graph(graph.inputs, [self.resolve(v) for v in graph.outputs])
        finally:
            _active.pop()

    def resolve(self, root: Variable) -> Variable:
        """The final variable standing for ``root``: its graph rebuilt, merged and rewritten."""
        if root in self.final:
            return self.final[root]
        return postorder(root, self.final, self._root, self._visit)

    def _root(self, var: Variable) -> Variable:
        if isinstance(var, Constant):
            return self.constants.setdefault(var.signature(), var)
        return var

    def _visit(self, node: Apply) -> None:
        final = self.final
        inputs = [final[v] for v in node.inputs]
        key = (node.op, *inputs)
        if (
            len(inputs) == 2
            and getattr(node.op, "commutative", False)
            and id(inputs[0]) > id(inputs[1])
        ):
            key = (node.op, inputs[1], inputs[0])
        existing = self.table.get(key)
        if existing is not None:
            self._alias(node, existing)
            return
        if all(a is b for a, b in zip(inputs, node.inputs)):
            new = node
        else:
            with building_at(node.where):
                new = node.op.make_node(*inputs)
            for old, out in zip(node.outputs, new.outputs):
                out.name = old.name
        self.table[key] = new
        if len(new.outputs) == 1:
            replacement = self._apply_rules(new)
            if replacement is not None:
                final[new.outputs[0]] = final[node.outputs[0]] = replacement
                return
        for old, out in zip(node.outputs, new.outputs):
            final[out] = final[old] = out

    def _alias(self, node: Apply, existing: Apply) -> None:
        for old, out in zip(node.outputs, existing.outputs):
            if out not in self.final:
                rules = ", ".join(str(r) for r, _ in self.counts.most_common(3))
                raise RewriteLoopError(
                    f"a rewrite rebuilt the expression it replaces ({node.op} at {node.where}); "
                    f"recent rules: {rules}"
                )
            self.final[old] = self.final[out]

    def _rules_for(self, op) -> list[Rule]:
        key = op_key(op)
        found = self._rules.get(key)
        if found is None:
            found = [rule for rs in self.rulesets for rule in rs.rules_for(op)]
            self._rules[key] = found
        return found

    def _apply_rules(self, node: Apply) -> Variable | None:
        out = node.outputs[0]
        with building_at(node.where):
            for rule in self._rules_for(node.op):
                try:
                    replacement = rule.apply(node)
                except TypeError as err:
                    raise TypeError(f"rule {rule} failed at {node.where}: {err}") from err
                if replacement is None or replacement is out:
                    continue
                self._record(rule, node, out, replacement)
                self.nesting += 1
                try:
                    return self.resolve(replacement)
                finally:
                    self.nesting -= 1
        return None

    def _record(self, rule: Rule, node: Apply, out: Variable, replacement: Variable) -> None:
        if not isinstance(replacement, Variable) or not same_type(out, replacement):
            got = replacement.type if isinstance(replacement, Variable) else type(replacement)
            raise TypeError(
                f"rule {rule} replaced {brief(out)} of type {out.type} by {brief(replacement)} "
                f"of type {got}, at {node.where}"
            )
        firing = Firing(rule, node.where, out, replacement)
        self.firings.append(firing)
        self.counts[rule] += 1
        self.fired += 1
        if self.nesting >= MAX_NESTING or self.fired > self.max_firings:
            worst, times = self.counts.most_common(1)[0]
            raise RewriteLoopError(
                f"rule {worst} keeps firing ({times} times; last at {node.where}); its "
                f"replacement must not match again"
            )
        if self.check is not None:
            self.check(firing)


def rewrite(
    graph: Graph,
    rulesets: Sequence[RuleSet],
    firings: list[Firing] | None = None,
    check: Callable[[Firing], None] | None = None,
) -> Graph:
    """``graph`` after one rewriting pass of ``rulesets`` (an empty list: merging only)."""
    cap = 1000 + 50 * len(graph.apply_nodes)
    return Rewriter(rulesets, firings, check, cap).rewrite(graph)
