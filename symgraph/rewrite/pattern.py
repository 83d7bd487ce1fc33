"""Rewrite rules as data: patterns that look like the math they match.

A pattern is an ordinary graph built by calling the real ops on *pattern
variables*; a rule pairs a pattern with a *builder* that returns the
replacement, or None to decline. The grammar::

    pattern  ::= pvar                      any variable, bound to the pvar's name
               | pconst                    any constant, bound to its name
               | number or array           a constant whose every element equals it
               | op(pattern, ...)          a node of that op (ops with parameters: equal ones)
               | any_op(cls, **fields)(pattern, ...)
                                           a node whose op is a ``cls`` with those fields
               | bind(name, pattern)       the pattern, with the matched variable bound to name

    rule     ::= ruleset.add(pattern, builder, name=...)
               | @ruleset.node_rule(op_or_class, ...) def rule(node): ...

Matching rules of thumb:

* the same name binds the same node: ``x - x`` matches ``a - a``, not ``a - b``;
* ops whose table row says ``commutative`` match their operands in either order:
  ``1 + x`` matches both ``1 + a`` and ``a + 1``;
* a pattern variable matches regardless of its own dtype and shape; the
  builder decides, with plain ``if``s, whether the match is worth rewriting.

The builder receives the bindings as keyword arguments and builds the
replacement with the same ops users call. Worked examples (see
``rules/stabilize.py`` for the real ones)::

    >>> import symgraph.tensor as T
    >>> from symgraph.rewrite.pattern import RuleSet, pvars
    >>> x, y = pvars("x y")
    >>> demo = RuleSet("demo")
    >>> rule = demo.add(T.log(1 + x), lambda x: T.log1p(x), name="log1p_of_log_one_plus")
    >>> a = T.dvector("a")
    >>> rule.apply(T.log(a + 1).owner)
    log1p.0
    >>> rule.apply(T.log(a + 2).owner) is None
    True
    >>> same = demo.add(x - x, lambda x: T.zeros_like(x), name="difference_with_itself")
    >>> same.apply(T.sub(a, T.dvector("b")).owner) is None
    True

Each rule remembers its name and the ``file:line`` where it was added, so a
log of firings, a failed type check or a numeric mismatch names the rule.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symgraph.graph.basic import Apply, Constant, Op, Variable
from symgraph.graph.syntax import brief
from symgraph.tensor.elemwise import Elemwise
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorVariable, as_tensor_variable

Bindings = dict[str, Variable]


class PatternVariable(TensorVariable):
    """A named hole in a pattern: matches any variable, or any constant when ``only_constants``."""

    __slots__ = ("only_constants",)

    def __init__(self, type: TensorType, name: str, only_constants: bool = False) -> None:
        super().__init__(type, name=name)
        self.only_constants = only_constants


def pvars(names: str, ndim: int = 0, dtype: str = "float64", constant: bool = False) -> Any:
    """Pattern variables named by the words of ``names``: ``x, y = pvars("x y")``.

    One name gives one variable, several give a tuple. ``ndim`` and ``dtype``
    only serve to build the pattern (``dot`` needs 2-d operands); matching
    ignores them. ``constant=True`` makes variables that match constants only.
    """
    words = names.replace(",", " ").split()
    made = tuple(
        PatternVariable(TensorType(dtype, (None,) * ndim), word, constant) for word in words
    )
    return made[0] if len(made) == 1 else made


@dataclass(frozen=True)
class AnyOp(Op):
    """A pattern op that matches every op of ``op_class`` whose ``fields`` have those values."""

    op_class: type
    fields: tuple[tuple[str, Any], ...] = ()

    def prepare_inputs(self, inputs):
        return [as_tensor_variable(x) for x in inputs]

    def infer_type(self, *inputs: Variable) -> TensorType:
        return inputs[0].type if inputs else TensorType("float64", ())

    def matches(self, op: Op) -> bool:
        return isinstance(op, self.op_class) and all(
            getattr(op, name) == value for name, value in self.fields
        )

    def __str__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.fields)
        return f"any {self.op_class.__name__}" + (f"{{{params}}}" if params else "")


def any_op(op_class: type, **fields: Any) -> AnyOp:
    """A wildcard op: ``any_op(Reduce, kind="sum")(exp(x))`` matches a sum of any axes of exp."""
    return AnyOp(op_class, tuple(sorted(fields.items())))


def bind(name: str, pattern: Variable) -> Variable:
    """``pattern``, whose matched variable is also passed to the builder as ``name``."""
    if pattern.owner is None:
        raise TypeError(f"bind({name!r}, ...) needs an op pattern, got the variable {pattern!r}")
    pattern.name = name
    return pattern


# -- compiled patterns: a small tree the matcher walks -----------------------------------------


@dataclass(frozen=True)
class _Hole:
    name: str
    only_constants: bool


@dataclass(frozen=True)
class _Value:
    value: np.ndarray


@dataclass(frozen=True)
class _Node:
    op: Op
    args: tuple
    name: str | None
    commutative: bool


def _compile(pattern: Variable) -> Any:
    """The pattern graph as a tree of holes, values and nodes (a pattern is small: recursion is fine)."""
    if isinstance(pattern, PatternVariable):
        return _Hole(pattern.name, pattern.only_constants)
    if isinstance(pattern, Constant):
        return _Value(np.asarray(pattern.value))
    node = pattern.owner
    if node is None:
        raise TypeError(
            f"a pattern may hold pattern variables, constants and ops, not the variable {pattern!r}"
        )
    commutative = getattr(node.op, "commutative", False) and len(node.inputs) == 2
    args = tuple(_compile(v) for v in node.inputs)
    return _Node(node.op, args, pattern.name, commutative)


def _op_matches(pattern_op: Op, op: Op) -> bool:
    if isinstance(pattern_op, AnyOp):
        return pattern_op.matches(op)
    if isinstance(pattern_op, Elemwise):
        return op is pattern_op
    return op == pattern_op


def _match(pattern: Any, var: Variable, bound: Bindings) -> Bindings | None:
    """``bound`` extended by matching ``var`` against ``pattern``, or None (``bound`` is kept)."""
    if isinstance(pattern, _Hole):
        if pattern.only_constants and not isinstance(var, Constant):
            return None
        previous = bound.get(pattern.name)
        if previous is None:
            return {**bound, pattern.name: var}
        return bound if previous is var else None
    if isinstance(pattern, _Value):
        return bound if _constant_equals(var, pattern.value) else None
    node = var.owner
    if node is None or len(node.outputs) != 1 or not _op_matches(pattern.op, node.op):
        return None
    if len(node.inputs) != len(pattern.args):
        return None
    orders = [node.inputs]
    if pattern.commutative:
        orders.append(node.inputs[::-1])
    for inputs in orders:
        result = bound
        for sub, inp in zip(pattern.args, inputs):
            result = _match(sub, inp, result)
            if result is None:
                break
        else:
            return {**result, pattern.name: var} if pattern.name else result
    return None


def _constant_equals(var: Variable, value: np.ndarray) -> bool:
    if not isinstance(var, Constant):
        return False
    held = np.asarray(var.value)
    if held.size == 0 or held.dtype.kind not in "biufc":
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.all(held == value))


def _root_keys(pattern: Any) -> tuple:
    if not isinstance(pattern, _Node):
        raise TypeError("a rule's pattern must have an op at its root, not a variable or constant")
    op = pattern.op
    return (op.op_class,) if isinstance(op, AnyOp) else (op_key(op),)


def op_key(op: Op) -> Any:
    """The index key of an op: table-row ops by identity, parametrized ops by class."""
    return op if isinstance(op, Elemwise) else type(op)


def _caller_where(depth: int = 2) -> str:
    frame = sys._getframe(depth)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


@dataclass(eq=False)
class Rule:
    """A named rewrite: a pattern and its builder, or a function of the matched node."""

    name: str
    where: str
    keys: tuple
    builder: Callable[..., Variable | None]
    pattern: Any = None

    def apply(self, node: Apply) -> Variable | None:
        """The replacement for ``node``'s output, or None when the rule does not apply."""
        if self.pattern is None:
            return self.builder(node)
        bound = _match(self.pattern, node.outputs[0], {})
        if bound is None:
            return None
        return self.builder(**bound)

    def __str__(self) -> str:
        return f"{self.name} ({self.where})"

    def __repr__(self) -> str:
        return f"<Rule {self}>"


#: the key of rules that look at every node, whatever its op
EVERY_OP = object()


def graph_rule(name: str, fn: Callable) -> Rule:
    """The record a whole-graph pass ``fn`` files its firings under: its name, and where
    ``fn`` is written."""
    return Rule(name, _where(fn), (), fn)


def _where(fn: Callable) -> str:
    return f"{fn.__code__.co_filename}:{fn.__code__.co_firstlineno}"


@dataclass(eq=False)
class RuleSet:
    """A phase's rules, looked up by the op at a node's root."""

    name: str
    rules: list[Rule] = field(default_factory=list)
    _by_key: dict = field(default_factory=dict, repr=False)

    def add(
        self, pattern: Variable, builder: Callable[..., Variable | None], name: str | None = None
    ) -> Rule:
        """Register ``pattern -> builder(**bindings)``; returns the rule.

        ``name`` defaults to the builder's name, or for a lambda to the pattern's text.
        """
        compiled = _compile(pattern)
        if name is None:
            name = builder.__name__ if builder.__name__ != "<lambda>" else brief(pattern, depth=100)
        rule = Rule(
            name,
            _caller_where(),
            _root_keys(compiled),
            builder,
            compiled,
        )
        return self._register(rule)

    def node_rule(self, *ops: Any) -> Callable[[Callable], Rule]:
        """Decorator registering ``fn(node) -> replacement | None`` for nodes of ``ops``.

        An entry is an op (table rows by identity), an op class, or ``EVERY_OP``.
        """
        keys = tuple(k if isinstance(k, type) or k is EVERY_OP else op_key(k) for k in ops)

        def register(fn: Callable) -> Rule:
            return self._register(Rule(fn.__name__, _where(fn), keys, fn))

        return register

    def _register(self, rule: Rule) -> Rule:
        self.rules.append(rule)
        self._by_key.clear()
        return rule

    def rules_for(self, op: Op) -> list[Rule]:
        """The rules that may apply at a node of ``op``, in the order they were added."""
        key = op_key(op)
        found = self._by_key.get(key)
        if found is None:
            classes = type(op).__mro__
            found = [
                r
                for r in self.rules
                if key in r.keys or EVERY_OP in r.keys or any(c in r.keys for c in classes)
            ]
            self._by_key[key] = found
        return found

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<RuleSet {self.name}: {len(self.rules)} rules>"
