"""Inner graphs (scan steps, ifelse branches) are rewritten by the pipeline, like the outer one."""

from __future__ import annotations

import numpy as np

import symgraph as theano
import symgraph.tensor as T
from symgraph.graph.fgraph import Graph
from symgraph.ifelse import IfElse, ifelse
from symgraph.rewrite import pipeline
from symgraph.rewrite.pipeline import optimize
from symgraph.scan import Scan
from symgraph.tensor.evaluate import evaluate_all

x, h0 = T.dvector("x"), T.dscalar("h0")
GIVENS = {x: np.linspace(-3.0, 3.0, 7), h0: np.float64(0.5)}


def softplus_scan():
    """A scan whose step computes ``log(1 + exp(x_t * h))``: FAST_RUN makes it a softplus."""
    hs, _ = theano.scan(lambda xt, h: T.log(1 + T.exp(xt * h)), sequences=x, outputs_info=h0)
    return hs


def ops_of(graph: Graph, kind: type) -> list:
    return [node.op for node in graph.apply_nodes if isinstance(node.op, kind)]


def names_in(graph: Graph) -> set[str]:
    return {str(node.op) for node in graph.apply_nodes}


def test_a_scan_step_is_rewritten_and_logged(same_values):
    hs = softplus_scan()
    (before,) = ops_of(Graph([x, h0], [hs]), Scan)
    graph, firings = optimize(Graph([x, h0], [hs]), "fast_run")
    (after,) = ops_of(graph, Scan)
    assert {"log", "exp"} <= names_in(before.step)  # the user's graph is left alone
    assert not {"log", "exp"} & names_in(after.step)
    assert {"log_one_plus_as_log1p", "log1p_exp_as_softplus"} <= {f.rule.name for f in firings}
    same_values([hs], list(graph.outputs), GIVENS)


def test_graphs_nested_deeper_are_rewritten_too(same_values):
    def step(xt, h):
        return ifelse(xt > 0, T.log(1 + T.exp(xt * h)), T.exp(xt) - 1)

    hs, _ = theano.scan(step, sequences=x, outputs_info=h0)
    graph, _ = optimize(Graph([x, h0], [hs]), "fast_run")
    (scan,) = ops_of(graph, Scan)
    (branches,) = ops_of(scan.step, IfElse)
    assert "softplus" in " ".join(names_in(branches.then))  # log(1 + exp(.)), fused
    assert "expm1" in " ".join(names_in(branches.else_))  # exp(.) - 1
    same_values([hs], list(graph.outputs), GIVENS)


def test_the_debug_check_sees_inner_firings(monkeypatch):
    checked = []

    class Recording:
        def __call__(self, firing):
            checked.append(firing.rule.name)

    monkeypatch.setattr(pipeline, "NumericCheck", Recording)
    optimize(Graph([x, h0], [softplus_scan()]), "fast_run", check=True)
    assert "log1p_exp_as_softplus" in checked


def test_compiled_scans_run_the_rewritten_step():
    hs = softplus_scan()
    fast = theano.function([x, h0], hs)
    assert "np.logaddexp(0, " in fast.source and "np.log(" not in fast.source
    assert any(f.rule.name == "log1p_exp_as_softplus" for f in fast.rewrites)
    plain = theano.function([x, h0], hs, mode=theano.Mode(optimizer=None))
    assert "np.log(" in plain.source
    np.testing.assert_allclose(fast(*GIVENS.values()), plain(*GIVENS.values()), rtol=1e-12)
    np.testing.assert_allclose(fast(*GIVENS.values()), evaluate_all([hs], GIVENS)[0], rtol=1e-12)
