"""Lazy ``ifelse``: only the taken branch runs.

``IfElse`` holds each branch as an inner Graph over the outer values the
branches read, so its node's inputs are the condition and those values, never
the branches' results. Rewrites of the outer graph cannot hoist a branch's work
out of its branch, and generated code is a real ``if``/``else`` block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import symgraph.tensor as T
from symgraph.compile.codegen import inline
from symgraph.graph.basic import Op, Variable
from symgraph.graph.fgraph import Graph
from symgraph.graph.traversal import ancestors, rebuild
from symgraph.scan.inner import close_over, is_free, vjp
from symgraph.tensor.evaluate import evaluate_all
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import as_tensor_variable

__all__ = ["IfElse", "ifelse"]


@dataclass(frozen=True)
class IfElse(Op):
    """``then`` if the condition is true, else ``else_``: two inner Graphs over the same inputs.

    Node inputs: the scalar condition, then one value per input of the branches.
    """

    then: Graph
    else_: Graph

    @property
    def view_map(self) -> dict[int, tuple[int, ...]]:
        """A branch may return one of its inputs as it is."""
        values = tuple(range(1, len(self.then.inputs) + 1))
        return dict.fromkeys(range(len(self.then.outputs)), values)

    @property
    def inner_graphs(self) -> dict[str, Graph]:
        return {"then": self.then, "else": self.else_}

    def with_inner_graphs(self, graphs: Mapping[str, Graph]) -> IfElse:
        return replace(self, then=graphs["then"], else_=graphs["else"])

    def infer_type(self, condition: Variable, *values: Variable) -> tuple[TensorType, ...]:
        if not isinstance(condition.type, TensorType) or condition.ndim != 0:
            raise TypeError(
                f"ifelse: the condition must be a scalar, got {condition!r} of type "
                f"{condition.type}; reduce it first (e.g. T.all(c)) or use T.switch elementwise"
            )
        if len(values) != len(self.then.inputs):
            raise TypeError(f"ifelse: expected {len(self.then.inputs)} values, got {len(values)}")
        for outer, inner in zip(values, self.then.inputs):
            if not isinstance(inner.type, TensorType):  # a generator a branch draws from
                if outer.type != inner.type:
                    raise TypeError(
                        f"ifelse: {outer!r} has type {outer.type}, expected {inner.type}"
                    )
            elif outer.type.dtype != inner.type.dtype or outer.type.ndim != inner.type.ndim:
                raise TypeError(f"ifelse: {outer!r} has type {outer.type}, expected {inner.type}")
        return tuple(
            branch_type(a, b, i)
            for i, (a, b) in enumerate(zip(self.then.outputs, self.else_.outputs))
        )

    def impl(self, condition: Any, *values: Any) -> Any:
        branch = self.then if condition else self.else_
        results = evaluate_all(branch.outputs, dict(zip(branch.inputs, values)))
        return tuple(results) if len(results) > 1 else results[0]

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        """A real ``if``/``else`` block, each branch's lines inlined: only the taken one runs."""
        lines = []
        for head, branch, prefix in zip(
            (f"if {names[0]}:", "else:"), (self.then, self.else_), ("then_", "else_")
        ):
            body, results = inline(branch, names[1:], f"{outs[0]}_{prefix}")
            body += [f"{out} = {result}" for out, result in zip(outs, results)]
            lines += [head] + ["    " + line for line in body]
        return lines

    def pullback(self, inputs, outputs, output_grads):
        """An ifelse too: each branch's vector-Jacobian product, over the same values."""
        condition, *values = inputs
        grads_by_branch = []
        for branch in (self.then, self.else_):
            grads = vjp(branch.outputs, output_grads, branch.inputs)
            # the branch's results are the node's outputs: read them instead of recomputing
            outer = dict(zip(branch.inputs, values)) | dict(zip(branch.outputs, outputs))
            grads_by_branch.append([None if g is None else rebuild([g], outer)[0] for g in grads])
        pairs = list(zip(*grads_by_branch))
        wanted = [i for i, (a, b) in enumerate(pairs) if a is not None or b is not None]
        if not wanted:
            return [None] * len(inputs)
        chosen = choose(
            condition,
            [_or_zeros(pairs[i][0], values[i]) for i in wanted],
            [_or_zeros(pairs[i][1], values[i]) for i in wanted],
            computed=outputs,
        )
        result: list[Variable | None] = [None] * len(inputs)
        for i, g in zip(wanted, chosen):
            result[1 + i] = g
        return result

    def pretty(self, condition: str, *values: str) -> str:
        return f"ifelse({condition}, ...)"

    def __str__(self) -> str:
        return "IfElse"


def branch_type(a: Variable, b: Variable, i: int) -> TensorType:
    """The type both branches' ``i``-th results share; static sizes that differ become unknown."""
    if not isinstance(a.type, TensorType) or a.dtype != b.dtype or a.ndim != b.ndim:
        raise TypeError(
            f"ifelse: both branches must have the same type, but output {i} is {a!r} of type "
            f"{a.type} in the then-branch and {b!r} of type {b.type} in the else-branch "
            f"(cast one of them)"
        )
    shape = tuple(x if x == y else None for x, y in zip(a.type.shape, b.type.shape))
    return TensorType(a.dtype, shape)


def ifelse(condition: Any, then_branch: Any, else_branch: Any, name: str | None = None) -> Any:
    """``then_branch`` if ``condition`` is true, else ``else_branch``; only one of them is computed.

    Parameters
    ----------
    condition
        A scalar; nonzero means true.
    then_branch, else_branch
        A variable each, or lists of the same length; the i-th entries must have
        the same dtype and number of dimensions.
    name
        A name for the result (a single one), for printing.

    Returns
    -------
    A variable, or a list when the branches are lists. Work that only a branch
    needs runs only when that branch is taken; values the condition needs (and
    the graph's inputs) are computed before the choice.

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> from symgraph.ifelse import ifelse
    >>> a, b = T.dscalars("a", "b")
    >>> float(ifelse(a < b, a, b).eval({a: 1.0, b: 2.0}))
    1.0
    """
    as_list = isinstance(then_branch, (list, tuple))
    if as_list != isinstance(else_branch, (list, tuple)):
        raise TypeError("ifelse: give both branches as single variables or both as lists")
    then_list = [as_tensor_variable(v) for v in (then_branch if as_list else [then_branch])]
    else_list = [as_tensor_variable(v) for v in (else_branch if as_list else [else_branch])]
    if len(then_list) != len(else_list):
        raise TypeError(
            f"ifelse: the then-branch has {len(then_list)} outputs, the else-branch "
            f"{len(else_list)}; they must match"
        )
    for i, (a, b) in enumerate(zip(then_list, else_list)):
        branch_type(a, b, i)
    outputs = choose(as_tensor_variable(condition), then_list, else_list)
    if name is not None and not as_list:
        outputs[0].name = name
    return outputs if as_list else outputs[0]


def choose(
    condition: Variable,
    then_list: Sequence[Variable],
    else_list: Sequence[Variable],
    computed: Sequence[Variable] = (),
) -> list[Variable]:
    """The outputs of a new IfElse node; each branch holds all the work only it needs.

    The walk up from the branches stops at graph inputs, shared variables, the
    condition's ancestors and ``computed``: values computed before the choice anyway.
    """
    computed_anyway = set(ancestors([condition])) | set(computed)

    def outer(v: Variable) -> bool:
        return is_free(v) or v in computed_anyway

    both, values = close_over([*then_list, *else_list], [], outer)
    n = len(then_list)
    op = IfElse(Graph(both.inputs, both.outputs[:n]), Graph(both.inputs, both.outputs[n:]))
    return list(op.make_node(condition, *values).outputs)


def _or_zeros(grad: Variable | None, like: Variable) -> Variable:
    return T.zeros_like(like) if grad is None else grad
