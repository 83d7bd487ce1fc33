"""FAST_RUN on the seed program: Theano's logistic-regression tutorial, trained on X * 100."""

from __future__ import annotations

import numpy as np

import symgraph as theano
import symgraph.tensor as T
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.pipeline import optimize
from symgraph.tensor.fused import Fused

N, FEATS = 400, 784


def seed_program(rng):
    """The tutorial's graph: prediction, cross-entropy, and the two gradient updates."""
    x, y = T.matrix("x"), T.vector("y")
    w = theano.shared(rng.normal(size=FEATS), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    return (x, y, w, b), (prediction, xent), ((w, w - 0.1 * gw), (b, b - 0.1 * gb))


def test_the_seed_trains_on_large_inputs_with_finite_values():
    rng = np.random.default_rng(0)
    (x, y, w, b), outputs, updates = seed_program(rng)
    train = theano.function([x, y], list(outputs), updates=updates)
    data = rng.normal(size=(N, FEATS)) * 100, rng.integers(0, 2, N).astype("float64")
    for _ in range(3):
        with np.errstate(over="ignore"):
            prediction, xent = train(*data)
        assert np.isfinite(xent).all() and (xent >= 0).all()
        assert np.isfinite(w.get_value()).all() and np.isfinite(b.get_value())
    fired = {f.rule.name for f in train.rewrites}
    assert {"sigmoid_algebra", "log_sigmoid_as_softplus", "one_minus_sigmoid"} <= fired


def test_the_seed_graph_has_at_most_16_nodes():
    (x, y, w, b), outputs, updates = seed_program(np.random.default_rng(0))
    graph = Graph([x, y], [*outputs, *(new for _, new in updates)])
    optimized, _ = optimize(graph, "fast_run")
    assert len(graph.apply_nodes) > 50
    assert len(optimized.apply_nodes) <= 16
    assert sum(isinstance(n.op, Fused) for n in optimized.apply_nodes) >= 3


def test_the_seed_matches_its_unoptimized_values_where_those_are_finite():
    rng = np.random.default_rng(1)
    (x, y, w, b), outputs, updates = seed_program(rng)
    fast = theano.function([x, y], list(outputs), updates=updates)
    plain = theano.function(
        [x, y], list(outputs), updates=updates, mode=theano.Mode(optimizer=None)
    )
    data = rng.normal(size=(N, FEATS)) * 0.02, rng.integers(0, 2, N).astype("float64")
    start = w.get_value(), b.get_value()
    prediction, xent = fast(*data)
    after_fast = w.get_value(), b.get_value()
    w.set_value(start[0])
    b.set_value(start[1])
    expected_prediction, expected_xent = plain(*data)
    np.testing.assert_array_equal(prediction, expected_prediction)
    np.testing.assert_allclose(xent, expected_xent, rtol=1e-10)
    np.testing.assert_allclose(after_fast[0], w.get_value(), rtol=1e-10)
    np.testing.assert_allclose(after_fast[1], b.get_value(), rtol=1e-10)


