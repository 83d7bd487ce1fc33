"""``Fused``: a chain of elementwise ops run as one node, emitted as one NumPy expression.

The fusion pass (``rewrite/rules/fusion.py``) builds these from groups of
elementwise nodes whose intermediate results nobody else reads. The generated
line is the members' own ``code`` templates nested into each other, with
parentheses exactly where Python's precedence needs them, so the fused node
computes what the separate nodes computed, in the same order and dtypes.

Measured (``benchmarks/fusion_forms.py``): writing the same chain as ufunc
calls into one buffer with ``out=`` is 7% slower at 100 elements and 5-9%
faster from 10^4 on, because NumPy already reuses the temporaries of
``a * b + c`` for large arrays. The code generator's memory plan writes the
outermost op of an expression into a dead input buffer, which takes part of
that gain, so a fused node keeps one form: the expression.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symgraph.graph.basic import Op, Variable
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, TensorVariable, constant

#: Python's binding strength per AST node; names, calls, attributes and subscripts are atoms
_BINOP_PRECEDENCE = {
    ast.BitOr: 6,
    ast.BitXor: 7,
    ast.BitAnd: 8,
    ast.Add: 9,
    ast.Sub: 9,
    ast.Mult: 10,
    ast.Div: 10,
    ast.FloorDiv: 10,
    ast.Mod: 10,
    ast.MatMult: 10,
    ast.Pow: 12,
}
ATOM = 100
_UNARY, _COMPARE = 11, 5


def _precedence(node: ast.AST) -> int:
    if isinstance(node, ast.BinOp):
        return _BINOP_PRECEDENCE[type(node.op)]
    if isinstance(node, ast.UnaryOp):
        return _UNARY
    if isinstance(node, ast.Compare):
        return _COMPARE
    if isinstance(node, (ast.BoolOp, ast.IfExp, ast.Lambda, ast.NamedExpr)):
        return 0
    return ATOM


def _placeholder(i: int) -> str:
    return f"__arg{i}__"


def _thresholds(parent: ast.AST, child: ast.AST) -> int:
    """The least precedence ``child`` may have in ``parent`` without parentheses."""
    if isinstance(parent, ast.BinOp):
        own = _precedence(parent)
        left = child is parent.left
        if isinstance(parent.op, ast.Pow):
            return own + 1 if left else _UNARY
        return own if left else own + 1
    if isinstance(parent, ast.UnaryOp):
        return _UNARY + 1  # ``-(-x)`` reads better than ``--x``
    if isinstance(parent, ast.Compare):
        return _COMPARE + 1
    if isinstance(parent, (ast.Attribute, ast.Subscript)) and child is parent.value:
        return ATOM
    if isinstance(parent, ast.Call) and child is parent.func:
        return ATOM
    return 0


@dataclass(frozen=True)
class Template:
    """How an op's ``code`` text nests: its own precedence, and per argument the least
    precedence the argument may have unparenthesized and how often it appears."""

    precedence: int
    thresholds: tuple[int, ...]
    uses: tuple[int, ...]


@functools.cache
def template(op: Op, nin: int) -> Template | None:
    """The nesting facts of ``op.code`` with ``nin`` arguments; None when it has no code."""
    text = op.code(*(_placeholder(i) for i in range(nin)))
    if text is None:
        return None
    tree = ast.parse(text, mode="eval").body
    thresholds, uses = [0] * nin, [0] * nin
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            if isinstance(child, ast.Name) and child.id.startswith("__arg"):
                i = int(child.id[5:-2])
                thresholds[i] = max(thresholds[i], _thresholds(parent, child))
                uses[i] += 1
    if isinstance(tree, ast.Name) and tree.id.startswith("__arg"):
        uses[int(tree.id[5:-2])] += 1
    return Template(_precedence(tree), tuple(thresholds), tuple(uses))


def literal_text(value: Any) -> str:
    """Python source for a number, as generated code writes it."""
    if isinstance(value, float) and not np.isfinite(value):
        return "np.nan" if np.isnan(value) else ("np.inf" if value > 0 else "-np.inf")
    return repr(value)


#: a member's argument: an input index, ("member", j), or ("literal", value, dtype)
Ref = Any


@dataclass(frozen=True)
class Fused(TensorOp):
    """Elementwise ops run as one expression. ``members`` lists ``(op, refs)`` in
    evaluation order; the last member's result is the output."""

    members: tuple[tuple[Op, tuple[Ref, ...]], ...]
    nin: int

    elementwise = True

    def infer_type(self, *inputs: Variable) -> TensorType:
        if len(inputs) != self.nin:
            raise TypeError(f"{self}: takes {self.nin} inputs, got {len(inputs)}")
        results: list[Variable] = []
        for op, refs in self.members:
            args = [self._variable(r, inputs, results) for r in refs]
            results.append(TensorVariable(op.infer_type(*args), name="member"))
        return results[-1].type

    @staticmethod
    def _variable(ref: Ref, inputs: Sequence[Variable], results: list[Variable]) -> Variable:
        if isinstance(ref, int):
            return inputs[ref]
        if ref[0] == "member":
            return results[ref[1]]
        return constant(ref[1], dtype=ref[2])

    def impl(self, *arrays: np.ndarray) -> np.ndarray:
        results: list[Any] = []
        for op, refs in self.members:
            args = [
                arrays[r] if isinstance(r, int) else results[r[1]] if r[0] == "member" else r[1]
                for r in refs
            ]
            results.append(op.impl(*args))
        return results[-1]

    def _texts(self, names: Sequence[str], pretty: bool) -> str:
        texts: list[tuple[str, int]] = []
        for op, refs in self.members:
            shape = template(op, len(refs))
            args = []
            for ref, threshold in zip(refs, shape.thresholds):
                if isinstance(ref, int):
                    text, precedence = names[ref], ATOM
                elif ref[0] == "member":
                    text, precedence = texts[ref[1]]
                else:
                    text = literal_text(ref[1])
                    precedence = _UNARY if text.startswith("-") else ATOM
                if pretty:
                    threshold = op.precedence + 1 if op.precedence < ATOM else 0
                args.append(f"({text})" if precedence < threshold else text)
            if pretty:
                texts.append((op.pretty(*args), op.precedence))
            else:
                texts.append((op.code(*args), shape.precedence))
        return texts[-1][0]

    def code(self, *names: str) -> str:
        return self._texts(names, pretty=False)

    def pretty(self, *args: str) -> str:
        return self._texts(args, pretty=True)

    def __str__(self) -> str:
        return "Fused{" + ", ".join(str(op) for op, _ in self.members) + "}"
