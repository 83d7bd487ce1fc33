"""``pprint``: one line of infix math from each op's ``pretty`` text and ``print_form``.

Parentheses are placed by the forms' precedences (``graph.syntax``), the way
Python reads the text: an operand is wrapped only where leaving it bare would
change the meaning. Subexpressions used more than once are named once, ``let``-style.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.syntax import ATOM, UNARY
from symgraph.graph.traversal import toposort
from symgraph.printing.common import as_graph, variable_label

#: a repeated subexpression whose text is longer than this gets a name
LET_MIN_CHARS = 10


def _operand(text: str, precedence: int, node: Apply, i: int, child: Apply | None) -> str:
    """``text`` as operand ``i`` of ``node``'s printed form, parenthesized where needed.

    Beyond what Python needs, ``a + (b + c)`` prints as ``a + b + c``: for an
    associative operator the grouping does not change the math.
    """
    form = node.op.print_form
    if precedence >= form.operand(i):
        return text
    regrouped = (
        child is not None
        and child.op is node.op
        and getattr(node.op, "commutative", False)
        and precedence == form.precedence
    )
    return text if regrouped else f"({text})"


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
        self.counter = 0

    def root(self, var: Variable) -> tuple[str, int]:
        text = variable_label(var, math=True)
        return text, UNARY if isinstance(var, Constant) and text.startswith("-") else ATOM

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
        args = [_operand(*self.get(v), node, i, v.owner) for i, v in enumerate(node.inputs)]
        text = node.op.pretty(*args)
        prec = node.op.print_form.precedence
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
