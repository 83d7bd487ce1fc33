"""The engine: merging, fixed points, the firing cap, type checks, the log, DEBUG checks."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.check import NumericCheck, RewriteCheckError
from symgraph.rewrite.engine import RewriteLoopError, rewrite
from symgraph.rewrite.pattern import RuleSet, pvars
from symgraph.rewrite.pipeline import optimize
from symgraph.rewrite.rules.canonicalize import canonicalize

x = pvars("x")
a, b = T.dvector("a"), T.dvector("b")


def test_equal_nodes_and_equal_constants_merge(rewritten):
    first = T.exp(a) * T.constant(2.0)
    second = T.exp(a) * T.constant(np.float64(2.0))
    out1, out2 = rewritten([a], [first, second])
    assert out1 is out2
    assert len(Graph([a], [out1, out2]).apply_nodes) == 2


def test_commutative_nodes_merge_whatever_the_operand_order(rewritten):
    out1, out2 = rewritten([a, b], [a * b, b * a])
    assert out1 is out2


def test_an_untouched_graph_keeps_its_nodes(rewritten):
    out = T.exp(a) + b
    (same,) = rewritten([a, b], [out])
    assert same is out


def test_rules_apply_to_a_fixed_point(rewritten):
    chain = RuleSet("chain")
    chain.add(T.sin(x), lambda x: T.cos(x))
    chain.add(T.cos(x), lambda x: T.tanh(x))
    (out,) = rewritten([a], [T.exp(T.sin(a))], chain)
    assert out.owner.op is T.exp and out.owner.inputs[0].owner.op is T.tanh


def test_replacements_are_rewritten_too(rewritten, text):
    (out,) = rewritten([a], [T.log(a * 1.0 + 0.0)], canonicalize)
    assert text(out) == "log(a)"


def test_new_nodes_keep_the_users_line(rewritten):
    expr = T.log(T.sigmoid(a))
    (out,) = rewritten([a], [expr], *_stabilize_rules())
    assert out.owner.op is T.neg
    assert all(node.where == expr.owner.where for node in Graph([a], [out]).apply_nodes)


def _stabilize_rules():
    from symgraph.rewrite.rules.stabilize import stabilize

    return (stabilize, canonicalize)


def test_a_rule_that_keeps_firing_is_named():
    loop = RuleSet("loop")
    loop.add(T.exp(x), lambda x: T.exp(x * 1.0), name="exp_grows_forever")
    with pytest.raises(RewriteLoopError, match="exp_grows_forever"):
        rewrite(Graph([a], [T.exp(a)]), [loop])


def test_rules_that_undo_each_other_are_reported():
    loop = RuleSet("loop")
    loop.add(T.sin(x), lambda x: T.cos(x), name="sin_to_cos")
    loop.add(T.cos(x), lambda x: T.sin(x), name="cos_to_sin")
    with pytest.raises(RewriteLoopError, match="sin_to_cos|cos_to_sin"):
        rewrite(Graph([a], [T.sin(a)]), [loop])


def test_an_ill_typed_replacement_names_the_rule():
    bad = RuleSet("bad")
    line = sys._getframe().f_lineno + 1
    bad.add(T.exp(x), lambda x: T.cast(x, "float32"), name="exp_to_float32")
    with pytest.raises(TypeError, match=f"exp_to_float32 .*test_engine.py:{line}.*float32"):
        rewrite(Graph([a], [T.exp(a)]), [bad])


def test_every_firing_is_logged_with_the_users_line():
    firings = []
    expr = T.log(1 + a)
    rewrite(Graph([a], [expr]), _stabilize_rules(), firings)
    assert [f.rule.name for f in firings] == ["log_one_plus_as_log1p"]
    assert firings[0].where == expr.owner.where
    assert str(firings[0]).startswith(f"log_one_plus_as_log1p at {expr.owner.where}: ")


def test_unreachable_nodes_and_unused_shared_reads_are_dropped():
    s = theano.shared(np.float64(3.0), name="s")
    out = b + 0 * s
    graph, _ = optimize(Graph([b], [out]), "fast_run")
    assert graph.outputs[0] is b
    assert s not in graph.roots


def test_the_numeric_check_names_a_wrong_rule():
    wrong = RuleSet("wrong")
    line = sys._getframe().f_lineno + 1
    wrong.add(T.exp(x), lambda x: x * 2.0, name="exp_is_twice")
    with pytest.raises(RewriteCheckError, match=f"exp_is_twice .*test_engine.py:{line}"):
        rewrite(Graph([a], [T.exp(a) + b]), [wrong], check=NumericCheck())


def test_the_numeric_check_accepts_the_pipeline_and_counts():
    check = NumericCheck()
    cost = -T.log(T.sigmoid(a)).sum() + T.sqr(b).sum()
    rewrite(Graph([a, b], [cost, T.grad(cost, a)]), _stabilize_rules(), check=check)
    assert check.checked > 0 and check.skipped == 0


def test_optimize_with_check_runs_every_phase():
    x_ = T.dmatrix("x")
    w = theano.shared(np.ones(3), name="w")
    cost = T.log(1 + T.exp(T.dot(x_, w))).mean()
    graph, firings = optimize(Graph([x_], [cost, T.grad(cost, w)]), "fast_run", check=True)
    assert any(f.rule.name == "fuse_elementwise" for f in firings)
    assert any(f.rule.name == "log1p_exp_as_softplus" for f in firings)


def test_unknown_optimizer_is_an_error():
    with pytest.raises(ValueError, match="unknown optimizer"):
        optimize(Graph([a], [a]), "fast")


def test_none_leaves_the_graph_alone_and_fast_compile_only_merges_and_folds(rewritten):
    graph = Graph([a], [T.exp(a) * (T.constant(2.0) + 3.0) + T.exp(a) * 0])
    same, firings = optimize(graph, "None")
    assert same is graph and firings == []
    merged, firings = optimize(graph, "fast_compile")
    assert {f.rule.name for f in firings} == {"fold_constants"}
    ops = [str(n.op) for n in merged.apply_nodes]
    assert ops.count("exp") == 1 and "sub" not in ops


def test_an_input_with_an_owner_stays_an_input(rewritten):
    inner = a * 1.0
    (out,) = rewritten([inner, b], [T.exp(inner) + b], canonicalize)
    assert out.owner.inputs[0].owner.inputs[0] is inner
