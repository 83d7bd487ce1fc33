"""The pattern DSL: holes, same-name binding, commutative matching, constants, wildcards."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph.rewrite.pattern import EVERY_OP, RuleSet, any_op, bind, pvars
from symgraph.tensor.reduction import Reduce

x, y = pvars("x y")
c = pvars("c", constant=True)
a, b = T.dvector("a"), T.dvector("b")


def rule_for(pattern, builder=lambda **bound: T.constant(0.0)):
    return RuleSet("test").add(pattern, builder, name="test_rule")


def bindings(pattern, var):
    """What the builder receives when ``var`` matches ``pattern``, or None."""
    seen = {}

    def builder(**bound):
        seen.update(bound)
        return var

    return seen if RuleSet("t").add(pattern, builder).apply(var.owner) is not None else None


def test_pvars_gives_one_variable_or_a_tuple():
    one = pvars("z")
    two = pvars("p, q")
    assert one.name == "z"
    assert [v.name for v in two] == ["p", "q"]


def test_a_hole_binds_what_it_matches():
    assert bindings(T.exp(x), T.exp(a)) == {"x": a}
    assert bindings(T.exp(x), T.log(a)) is None


def test_the_same_name_binds_the_same_node():
    assert bindings(x - x, a - a) == {"x": a}
    assert bindings(x - x, a - b) is None
    assert bindings(x - y, a - b) == {"x": a, "y": b}


def test_commutative_ops_match_in_either_order():
    assert bindings(1 + x, a + 1) == {"x": a}
    assert bindings(1 + x, 1 + a) == {"x": a}
    assert bindings(T.exp(x) * y, b * T.exp(a)) == {"x": a, "y": b}


def test_non_commutative_ops_keep_their_order():
    assert bindings(x - 1, a - 1) == {"x": a}
    assert bindings(x - 1, 1 - a) is None


def test_a_constant_matches_any_dtype_and_broadcast_shape_with_that_value():
    assert bindings(x * 2, a * T.constant(np.array([2, 2]), dtype="int64")) == {"x": a}
    assert bindings(x * 2, a * T.constant(np.float32(2))) == {"x": a}
    assert bindings(x * 2, a * 3) is None
    assert bindings(x * 2, a * b) is None


def test_a_constant_hole_matches_only_constants():
    assert bindings(x**c, a**3)["c"].value == 3
    assert bindings(x**c, a**b) is None


def test_any_op_matches_a_class_with_given_fields():
    pattern = T.log(bind("total", any_op(Reduce, kind="sum")(T.exp(x))))
    m = T.dmatrix("m")
    found = bindings(pattern, T.log(T.sum(T.exp(m), axis=1)))
    assert found["x"] is m and found["total"].owner.op.axes == (1,)
    assert bindings(pattern, T.log(T.max(T.exp(m), axis=1))) is None


def test_a_builder_declines_with_none():
    rule = rule_for(T.exp(x), lambda x: None)
    assert rule.apply(T.exp(a).owner) is None


def test_a_rule_remembers_its_name_and_where_it_was_added():
    line = sys._getframe().f_lineno + 1
    rule = RuleSet("test").add(T.exp(x), lambda x: x, name="exp_is_identity")
    assert rule.name == "exp_is_identity"
    assert rule.where == f"{__file__}:{line}"
    assert str(rule) == f"exp_is_identity ({rule.where})"


def test_a_node_rule_remembers_its_function():
    rules = RuleSet("test")
    line = sys._getframe().f_lineno + 2

    @rules.node_rule(T.exp)
    def exp_of_anything(node):
        return node.inputs[0]

    assert exp_of_anything.name == "exp_of_anything"
    assert exp_of_anything.where == f"{__file__}:{line}"
    assert exp_of_anything.apply(T.exp(a).owner) is a


def test_rules_are_indexed_by_root_op():
    rules = RuleSet("test")
    on_log = rules.add(T.log(x), lambda x: x)
    on_reduce = rules.add(any_op(Reduce)(x), lambda x: x)

    @rules.node_rule(EVERY_OP)
    def everywhere(node):
        return None

    assert rules.rules_for(T.log) == [on_log, everywhere]
    assert rules.rules_for(T.exp) == [everywhere]
    assert rules.rules_for(Reduce("sum", (0,))) == [on_reduce, everywhere]


def test_a_pattern_needs_an_op_at_its_root():
    with pytest.raises(TypeError, match="op at its root"):
        RuleSet("test").add(x, lambda x: x)
    with pytest.raises(TypeError, match="not the variable"):
        RuleSet("test").add(T.exp(a), lambda: a)
