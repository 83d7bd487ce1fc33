"""``pprint``: one line of infix math from each op's ``pretty`` form and ``precedence``.

Parentheses are placed by comparing precedences, the way Python reads the
text: an operand is wrapped only where leaving it bare would change the
meaning. Subexpressions used more than once are named once, ``let``-style.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from symgraph.graph.basic import Apply, Constant, Op, Variable
from symgraph.graph.traversal import toposort
from symgraph.printing.common import as_graph, variable_label
from symgraph.tensor.elemwise import PREC_COMPARE, PREC_POW, PREC_UNARY

ATOM = 100
#: a repeated subexpression whose text is longer than this gets a name
LET_MIN_CHARS = 10

# an argument slot is "free" (needs no parentheses) when call or index punctuation surrounds it
_OPENERS = ("(", "[", ", ", ":")
_CLOSERS = (")", "]", ",", ":")


def _slot(i: int) -> str:
    return f"\x00{i}\x00"


def _wrap(text: str, child_prec: int, op: Op, template: str, i: int, child: Apply | None) -> str:
    """``text`` as argument ``i`` of ``op``, parenthesized if bare text would bind wrongly."""
    slot = _slot(i)
    at = template.find(slot)
    before, after = template[:at], template[at + len(slot) :]
    if at < 0 or before.endswith(_OPENERS) and after.startswith(_CLOSERS):
        return text
    prec = op.precedence
    if child_prec > prec:
        return text
    if child_prec == prec and prec != PREC_COMPARE:  # Python chains comparisons: a < b < c
        right_assoc = prec == PREC_POW
        if before == "" and not right_assoc:  # left operand of a left-associative operator
            return text
        if after == "" and right_assoc:
            return text
        same_associative_op = (
            child is not None and child.op is op and getattr(op, "commutative", False)
        )
        if after == "" and same_associative_op:
            return text
    return f"({text})"


class _Printer:
    """Text and precedence of each variable, computed bottom-up over the schedule."""

    def __init__(self, outputs: list[Variable]) -> None:
        self.nodes = toposort(outputs)
        self.uses: dict[Variable, int] = {}
        for node in self.nodes:
            for v in node.inputs:
                self.uses[v] = self.uses.get(v, 0) + 1
        variables = {v for node in self.nodes for v in node.inputs + node.outputs} | set(outputs)
        self.name_counts = Counter(v.name for v in variables if v.name)
        self.taken = set(self.name_counts)
        self.text: dict[Variable, tuple[str, int]] = {}
        self.bindings: list[tuple[str, str]] = []
        self.templates: dict[tuple[Op, int], str] = {}
        self.counter = 0

    def template(self, op: Op, nargs: int) -> str:
        key = (op, nargs)
        if key not in self.templates:
            self.templates[key] = op.pretty(*(_slot(i) for i in range(nargs)))
        return self.templates[key]

    def root(self, var: Variable) -> tuple[str, int]:
        text = variable_label(var, math=True)
        return text, PREC_UNARY if isinstance(var, Constant) and text.startswith("-") else ATOM

    def get(self, var: Variable) -> tuple[str, int]:
        if var not in self.text:
            self.text[var] = self.root(var)
        return self.text[var]

    def fresh_name(self, var: Variable) -> str:
        """The user's name when no other variable has it, else the next free ``t1``, ``t2``..."""
        if var.name and self.name_counts[var.name] == 1:
            return var.name
        while True:
            self.counter += 1
            name = f"t{self.counter}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def visit(self, node: Apply) -> None:
        template = self.template(node.op, len(node.inputs))
        args = []
        for i, v in enumerate(node.inputs):
            text, prec = self.get(v)
            args.append(_wrap(text, prec, node.op, template, i, v.owner))
        text = re.sub("\x00(\\d+)\x00", lambda m: args[int(m.group(1))], template)
        prec = node.op.precedence
        for out in node.outputs:
            out_text = text if len(node.outputs) == 1 else f"{_parens(text, prec)}[{out.index}]"
            self.text[out] = (out_text, prec if len(node.outputs) == 1 else ATOM)
            if self.uses.get(out, 0) > 1 and (len(out_text) > LET_MIN_CHARS or out.name):
                name = self.fresh_name(out)
                self.bindings.append((name, out_text))
                self.text[out] = (name, ATOM)

    def run(self, outputs: list[Variable]) -> str:
        for node in self.nodes:
            self.visit(node)
        body = ", ".join(self.get(v)[0] for v in outputs)
        if not self.bindings:
            return body
        lets = "; ".join(f"{name} = {text}" for name, text in self.bindings)
        return f"let {lets} in {body}"


def _parens(text: str, prec: int) -> str:
    return text if prec >= ATOM else f"({text})"


def pprint(obj: Any) -> str:
    """One line of infix math for a variable (or several, comma separated).

    Operators print as in Python (``+ - * / ** @``), other ops as calls.
    Parentheses appear only where precedence requires them. A subexpression
    used more than once and longer than a few characters is named once,
    ``let t1 = ... in ...``, using the variable's own name when it has one.

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> x, y = T.dscalars("x", "y")
    >>> pprint((x + y) * 2 - x ** -y)
    '(x + y) * 2 - x ** (-y)'
    >>> s = T.exp(x) + T.exp(y)
    >>> pprint(T.log(s) / s)
    'let t1 = exp(x) + exp(y) in log(t1) / t1'
    """
    graph, _ = as_graph(obj)
    outputs = list(graph.outputs)
    return _Printer(outputs).run(outputs)
