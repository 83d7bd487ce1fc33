"""``Fused``: a chain of elementwise ops run as one node, emitted as one NumPy expression.

The fusion pass (``rewrite/rules/fusion.py``) builds these from groups of
elementwise nodes whose intermediate results nobody else reads. The generated
line is the members' own ``code`` texts nested into each other, parenthesized
by the members' forms (``graph.syntax``) exactly where Python needs it, so the fused node
computes what the separate nodes computed, in the same order and dtypes.

Measured (``benchmarks/fusion_forms.py``): writing the same chain as ufunc
calls into one buffer with ``out=`` is 7% slower at 100 elements and 5-9%
faster from 10^4 on, because NumPy already reuses the temporaries of
``a * b + c`` for large arrays. The code generator's memory plan writes the
outermost op of an expression into a dead input buffer, which takes part of
that gain, so a fused node keeps one form: the expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from symgraph.graph.basic import Op, Variable
from symgraph.graph.syntax import ATOM, CALL, UNARY, Form, nest
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, TensorVariable, constant


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
    shapes_from_shapes = True

    @property
    def raises_on_values(self) -> bool:
        return any(op.raises_on_values for op, _ in self.members)

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

    def _text(self, names: Sequence[str], pretty: bool, buffer: str | None = None) -> str | None:
        """The members' texts nested by their forms: ``code`` (or ``pretty``) of each member
        with its operands parenthesized where the member's form needs it; with ``buffer``,
        the root member written into it (None when it cannot be)."""
        texts: list[tuple[str, int]] = []
        for j, (op, refs) in enumerate(self.members):
            into = buffer is not None and j == len(self.members) - 1
            form = op.print_form if pretty else CALL if into else op.form
            args = []
            for i, ref in enumerate(refs):
                if isinstance(ref, int):
                    text, precedence = names[ref], ATOM
                elif ref[0] == "member":
                    text, precedence = texts[ref[1]]
                else:
                    text = literal_text(ref[1])
                    precedence = UNARY if text.startswith("-") else ATOM
                args.append(nest(text, precedence, form.operand(i)))
            if into:
                return op.code_into(args, buffer)
            text = op.pretty(*args) if pretty else op.code(*args)
            texts.append((text, form.precedence))
        return texts[-1][0]

    def code(self, *names: str) -> str:
        return self._text(names, pretty=False)

    def code_into(self, names: Sequence[str], buffer: str) -> str | None:
        """``np.tanh(t1 + b, out=buffer)``: the root member's ufunc writes the result."""
        return self._text(names, pretty=False, buffer=buffer)

    def pretty(self, *args: str) -> str:
        return self._text(args, pretty=True)

    @cached_property
    def binary_members(self) -> tuple[tuple[Op, tuple], ...]:
        """The members with n-ary sums and products as two-operand steps (see
        ``binary_members``), computed once per op."""
        return binary_members(self.members)

    @property
    def form(self) -> Form:
        return self.members[-1][0].form

    @property
    def print_form(self) -> Form:
        return self.members[-1][0].print_form

    def __str__(self) -> str:
        return "Fused{" + ", ".join(str(op) for op, _ in self.members) + "}"


def binary_members(members: Sequence[tuple[Op, tuple]]) -> tuple[tuple[Op, tuple], ...]:
    """``members`` with each n-ary ``a + b + c`` as ``(a + b) + c``: Python's own order, so
    the same computation, as members of at most two operands (one ufunc call each)."""
    result: list[tuple[Op, tuple]] = []
    index: dict[int, int] = {}  # old member -> new member
    for j, (op, refs) in enumerate(members):
        refs = tuple(("member", index[r[1]]) if _is_member(r) else r for r in refs)
        if getattr(op, "variadic", False):
            for ref in refs[2:]:
                result.append((op, refs[:2]))
                refs = (("member", len(result) - 1), ref)
        result.append((op, refs))
        index[j] = len(result) - 1
    return tuple(result)


def _is_member(ref: Any) -> bool:
    return not isinstance(ref, int) and ref[0] == "member"
