"""The rewrite engine: a worklist that rebuilds a graph bottom-up to a fixed point.

A node is rebuilt once its inputs are final. Rebuilding looks the node up in a
table keyed by (op, inputs), so equal nodes become one (common subexpression
elimination), and equal constants become one by their ``signature()``. A new
node is offered to the rules of its root op; a replacement goes on the same
worklist and is finished the same way, so what stands for a node is final too.
One explicit stack does all of it: no recursion, however deep the graph.

A rule whose replacement rebuilds the very node it replaces (directly or through
other rules: ``sin -> cos -> sin``) is caught when that node comes back while its
replacement is still being finished. A runaway rule that builds something new
forever is stopped by a cap on firings proportional to the graph.

Nothing is mutated: the result is a new ``Graph`` sharing the untouched nodes.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from symgraph.graph.basic import Apply, Constant, Variable, building_at
from symgraph.graph.fgraph import Graph
from symgraph.graph.syntax import brief
from symgraph.rewrite.pattern import Rule, RuleSet, op_key


@dataclass(frozen=True, eq=False)
class Firing:
    """One rule firing: which rule, at which node of the user's code, what became what."""

    rule: Rule
    where: str
    before: Variable
    after: Variable

    def __str__(self) -> str:
        return f"{self.rule.name} at {self.where}: {brief(self.before)} -> {brief(self.after)}"

    def __repr__(self) -> str:
        return f"<Firing {self}>"


def short_where(where: str) -> str:
    """``logreg.py:24`` for ``/home/me/logreg.py:24``."""
    path, sep, line = where.rpartition(":")
    return f"{os.path.basename(path)}:{line}" if sep and line.isdigit() else where


def same_type(old: Variable, new: Variable) -> bool:
    """True when ``new`` has exactly ``old``'s type.

    Exact, not merely compatible: a replacement claiming a static size its
    original leaves unknown (1 for None, say) changes how every reader
    broadcasts, which is how wrong-shaped gradients once passed unnoticed.
    """
    return old.type == new.type


class RewriteLog(list):
    """The firings of a compilation, in order; ``print`` shows them as a table.

    A row groups the firings of one rule at one line of the user's code: the
    rule, where it is defined, that line, the first firing's before -> after, and
    how many times it fired there.
    """

    def __str__(self) -> str:
        groups: dict[tuple, list[Firing]] = {}
        for firing in self:
            groups.setdefault((firing.rule.name, firing.where), []).append(firing)
        rows = [("rule", "defined at", "your line", "before -> after", "count")]
        for (name, where), firings in groups.items():
            first = firings[0]
            change = f"{brief(first.before)} -> {brief(first.after)}"
            rows.append(
                (name, short_where(first.rule.where), short_where(where), change, str(len(firings)))
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[4] for row in rows
        ]
        return "\n".join(line.rstrip() for line in lines)

    def __repr__(self) -> str:
        return f"<RewriteLog: {len(self)} firings>"


@dataclass
class Session:
    """What the phases of one ``optimize`` call share.

    ``firings`` logs every firing and ``check`` (DEBUG_MODE) sees each one;
    ``strict`` makes a faulty rule an error rather than a skipped rewrite.
    ``declined`` remembers the (rule, node) pairs whose rule declined: a node
    never changes, so its rule declines it again in every later pass.
    """

    firings: list = field(default_factory=RewriteLog)
    check: Callable[[Firing], None] | None = None
    declined: set = field(default_factory=set)
    #: a rule that fails or changes a type raises (True) or is skipped with a warning
    strict: bool = True

    def record(self, firing: Firing, checked: Firing | None = None) -> None:
        """Log ``firing``; the check sees ``checked`` when given (the same change written
        over the original graph's nodes), else ``firing``."""
        self.firings.append(firing)
        if self.check is not None:
            self.check(checked or firing)


class RewriteWarning(UserWarning):
    """A rewrite rule failed or would have changed a type, and was skipped."""


class RewriteLoopError(RuntimeError):
    """A rule keeps firing: its replacements never reach a fixed point."""


class Rewriter:
    """One pass of ``rulesets`` over a graph; ``check(firing)`` sees every firing (DEBUG_MODE)."""

    def __init__(self, rulesets: Sequence[RuleSet], session: Session, max_firings: int) -> None:
        self.rulesets = tuple(rulesets)
        self.session = session
        self.declined = session.declined
        self.max_firings = max_firings
        self.final: dict[Variable, Variable] = {}
        #: a variable whose node a rule replaced -> the replacement, until that is final
        self.pending: dict[Variable, Variable] = {}
        #: the rule that made each pending replacement, to name it if it loops
        self.made_by: dict[Variable, Rule] = {}
        #: a pending variable -> its rebuilt twin, which becomes final with it
        self.twins: dict[Variable, Variable] = {}
        self.table: dict[tuple, Apply] = {}
        self.constants: dict[tuple, Constant] = {}
        self.counts: Counter[Rule] = Counter()
        self.fired = 0
        self._rules: dict = {}

    def rewrite(self, graph: Graph) -> Graph:
        """``graph`` rebuilt with merged nodes and every applicable rule applied."""
        for v in graph.inputs:  # an input stays as it is, even one with an owner
            self.final[v] = v
        return Graph(graph.inputs, [self.resolve(v) for v in graph.outputs])

    def resolve(self, root: Variable) -> Variable:
        """The final variable standing for ``root``: its graph rebuilt, merged and rewritten."""
        final, pending = self.final, self.pending
        stack = [root]
        while stack:
            var = stack[-1]
            if var in final:
                stack.pop()
                continue
            replacement = pending.get(var)
            if replacement is not None:
                if replacement in final:
                    final[var] = final[replacement]
                    twin = self.twins.pop(var, None)
                    if twin is not None:
                        final[twin] = final[var]
                    stack.pop()
                else:
                    stack.append(replacement)
                continue
            node = var.owner
            if node is None:
                final[var] = self._root(var)
                stack.pop()
                continue
            missing = [v for v in node.inputs if v not in final]
            if missing:
                stack.extend(missing)
                continue
            self._visit(node)
        return final[root]

    def _root(self, var: Variable) -> Variable:
        if isinstance(var, Constant):
            return self.constants.setdefault(var.signature(), var)
        return var

    def _visit(self, node: Apply) -> None:
        """Merge ``node`` (inputs final) with an equal node, or rebuild it and offer it to
        the rules; afterwards its outputs are final or pending a replacement."""
        final = self.final
        inputs = [final[v] for v in node.inputs]
        key = (node.op, *inputs)
        if getattr(node.op, "commutative", False) and len(inputs) == 2:
            if id(inputs[0]) > id(inputs[1]):
                key = (node.op, inputs[1], inputs[0])
        existing = self.table.get(key)
        if existing is not None:
            for old, out in zip(node.outputs, existing.outputs):
                if out not in final:  # pending: its replacement needs the node it replaces
                    raise self._loop(node, self.made_by[out])
                final[old] = final[out]
            return
        if all(a is b for a, b in zip(inputs, node.inputs)):
            new = node
        else:  # replacements keep types exactly, so the node's own types still hold
            new = node.rebuilt(inputs)
        self.table[key] = new
        replacement = self._apply_rules(new) if len(new.outputs) == 1 else None
        if replacement is None:
            for old, out in zip(node.outputs, new.outputs):
                final[out] = final[old] = out
            return
        out = node.outputs[0]
        self.pending[out] = replacement
        self.made_by[new.outputs[0]] = self.session.firings[-1].rule
        if new is not node:
            self.twins[out] = new.outputs[0]

    def _loop(self, node: Apply, rule: Rule) -> RewriteLoopError:
        return RewriteLoopError(
            f"rule {rule} rebuilt the expression it replaces ({node.op} at {node.where}): "
            f"its replacement must not match again"
        )

    def _rules_for(self, op) -> list[Rule]:
        key = op_key(op)
        found = self._rules.get(key)
        if found is None:
            found = [rule for rs in self.rulesets for rule in rs.rules_for(op)]
            self._rules[key] = found
        return found

    def _apply_rules(self, node: Apply) -> Variable | None:
        out = node.outputs[0]
        declined = self.declined
        with building_at(node.where):
            for rule in self._rules_for(node.op):
                if (rule, node) in declined:
                    continue
                try:
                    replacement = rule.apply(node)
                except TypeError as err:
                    replacement = self._faulty(rule, node, f"failed: {err}", err)
                if replacement is not None and replacement is not out:
                    if not isinstance(replacement, Variable) or not same_type(out, replacement):
                        got = getattr(replacement, "type", type(replacement))
                        replacement = self._faulty(
                            rule,
                            node,
                            f"replaced {brief(out)} of type {out.type} by "
                            f"{brief(replacement)} of type {got}",
                        )
                if replacement is None or replacement is out:
                    declined.add((rule, node))
                    continue
                self._record(rule, node, out, replacement)
                return replacement
        return None

    def _faulty(self, rule: Rule, node: Apply, what: str, cause: Exception | None = None) -> None:
        """A rule that failed or changed a type: an error in DEBUG_MODE; otherwise a warning,
        and the rule declines (a bug in one rule must not stop the user's program)."""
        message = f"rule {rule} {what}, at {node.where}"
        if self.session.strict:
            raise TypeError(message) from cause
        warnings.warn(f"{message}; the rewrite is skipped", RewriteWarning, stacklevel=2)

    def _record(self, rule: Rule, node: Apply, out: Variable, replacement: Variable) -> None:
        self.counts[rule] += 1
        self.fired += 1
        if self.fired > self.max_firings:
            worst, times = self.counts.most_common(1)[0]
            raise RewriteLoopError(
                f"rule {worst} keeps firing ({times} times; last at {node.where}); its "
                f"replacement must not match again"
            )
        self.session.record(Firing(rule, node.where, out, replacement))


def rewrite(
    graph: Graph,
    rulesets: Sequence[RuleSet],
    firings: list[Firing] | None = None,
    check: Callable[[Firing], None] | None = None,
    session: Session | None = None,
) -> Graph:
    """``graph`` after one rewriting pass of ``rulesets`` (an empty list: merging only);
    firings go to ``firings`` and ``check``, or to the ``session`` of a pipeline."""
    if session is None:
        session = Session(RewriteLog() if firings is None else firings, check)
    cap = 1000 + 50 * len(graph.apply_nodes)
    return Rewriter(rulesets, session, cap).rewrite(graph)
