"""How an op's text nests in Python: one precedence table for printing and generated code.

An op's text has a ``Form``: an infix operator (``a + b``, n-ary ``a + b + c``), a prefix
operator (``-a``), or an atom: a call ``np.exp(a)``, or a *receiver* form whose first
operand comes first (``a.sum()``, ``a[1:]``, ``a.T``). The form says how tightly the text
binds and how tightly each operand must bind to stand bare, so ``pprint``, fused
expressions and in-place code all parenthesize by the same facts. Nothing parses text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: names, literals, calls, attributes and subscripts
ATOM = 100
#: ``-a``, ``~a``
UNARY = 11
COMPARE = 5
#: Python's binding strength of each operator symbol (higher binds tighter)
PRECEDENCE = {
    "<": COMPARE,
    "<=": COMPARE,
    ">": COMPARE,
    ">=": COMPARE,
    "==": COMPARE,
    "!=": COMPARE,
    "|": 6,
    "^": 7,
    "&": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "//": 10,
    "%": 10,
    "@": 10,
    "**": 12,
}
#: operators with an augmented assignment (``a += b`` computes ``a + b`` into ``a``)
AUGMENTED = frozenset({"+", "-", "*", "/", "//", "%", "**", "&", "|", "^"})


@dataclass(frozen=True)
class Form:
    """The shape of an op's text: ``symbol`` for operators, ``receiver`` for ``a.f()`` forms."""

    symbol: str | None = None
    prefix: bool = False
    receiver: bool = False

    @property
    def precedence(self) -> int:
        if self.symbol is None:
            return ATOM
        return UNARY if self.prefix else PRECEDENCE[self.symbol]

    def operand(self, i: int) -> int:
        """The least precedence operand ``i`` may have and stand without parentheses.

        Operators group to the left except ``**``; comparisons would chain, so their
        operands bind tighter; ``-(-a)`` and ``a ** (-b)`` read better than ``--a`` and
        ``a ** -b``.
        """
        if self.symbol is None:
            return ATOM if self.receiver and i == 0 else 0
        own = self.precedence
        if self.prefix:
            return UNARY + 1
        if own == COMPARE:
            return own + 1
        if self.symbol == "**":
            return own + 1 if i == 0 else UNARY + 1
        return own if i == 0 else own + 1

    def join(self, args: Sequence[str]) -> str:
        """The operator applied to already parenthesized operands."""
        if self.prefix:
            return f"{self.symbol}{args[0]}"
        return f" {self.symbol} ".join(args)


CALL = Form()
RECEIVER = Form(receiver=True)


def infix(symbol: str) -> Form:
    return Form(symbol)


def prefix(symbol: str) -> Form:
    return Form(symbol, prefix=True)


def nest(text: str, precedence: int, least: int) -> str:
    """``text`` (binding with ``precedence``) where at least ``least`` is needed."""
    return text if precedence >= least else f"({text})"


def brief(var, depth: int = 3) -> str:
    """A short text of ``var`` for logs and errors: names, constants, and ``depth`` levels of
    ops, each operator expression in parentheses. Iterative: any depth of graph is fine."""
    results: list[str] = []
    stack = [(var, 0, False)]
    while stack:
        v, level, ready = stack.pop()
        node = v.owner
        if not ready:
            if node is None or v.name is not None:
                results.append(repr(v))
            elif level == depth:
                results.append("...")
            else:
                stack.append((v, level, True))
                stack.extend((u, level + 1, False) for u in reversed(node.inputs))
            continue
        args = results[len(results) - len(node.inputs) :]
        del results[len(results) - len(node.inputs) :]
        text = node.op.pretty(*args)
        results.append(f"({text})" if node.op.print_form.precedence < ATOM else text)
    return results[0]
