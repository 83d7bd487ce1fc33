"""The IR: immutable apply nodes with the user's line, traversal, Graph, rebuild."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph.graph import Graph, ancestors, clients, graph_inputs, rebuild, toposort
from symgraph.graph.basic import Constant


def test_apply_records_the_users_line():
    x = T.dvector("x")
    y = T.exp(x)  # this line
    assert y.owner.where.endswith(f"test_ir.py:{_line_of('y = T.exp(x)  # this line')}")
    assert y.where == y.owner.where


def _line_of(text: str) -> int:
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if text in line and "_line_of" not in line)


def test_ill_typed_graph_names_op_operands_and_line():
    a = T.tensor("a", dtype="float64", shape=(3, 4))
    b = T.tensor("b", dtype="float64", shape=(5,))
    with pytest.raises(TypeError) as err:
        T.dot(a, b)
    message = str(err.value)
    assert "dot" in message and "(3, 4)" in message and "(5,)" in message
    assert f"test_ir.py:{err.traceback[0].lineno + 1}" in message


def test_broadcast_mismatch_is_a_build_time_error():
    a = T.tensor("a", shape=(2, 3))
    b = T.tensor("b", shape=(4,))
    with pytest.raises(TypeError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        a + b


def test_unknown_shapes_fail_at_run_time_with_a_value_error():
    a, b = T.dvector("a"), T.dvector("b")
    with pytest.raises(ValueError):
        (a + b).eval({a: np.ones(2), b: np.ones(3)})


def test_toposort_is_iterative_and_ordered():
    x = T.dscalar("x")
    y = x
    for _ in range(5000):  # deeper than Python's recursion limit
        y = y + 1
    order = toposort([y])
    assert len(order) == 5000
    position = {node: k for k, node in enumerate(order)}
    for node in order:
        for inp in node.inputs:
            if inp.owner is not None:
                assert position[inp.owner] < position[node]
    assert y.eval({x: 0.0}) == 5000


def test_ancestors_inputs_and_clients():
    x, w = T.dvector("x"), T.dvector("w")
    e = T.exp(x)
    out = e * w + e
    assert set(graph_inputs([out])) == {x, w}
    assert ancestors([out])[-1] is out
    readers = clients(toposort([out]))
    assert len(readers[e]) == 2


def test_rebuild_substitutes_and_shares_untouched_nodes():
    x, w, z = T.dvector("x"), T.dvector("w"), T.dvector("z")
    e = T.exp(w)
    out = x * e
    (new,) = rebuild([out], {x: z})
    assert new is not out and new.owner.inputs[1] is e
    np.testing.assert_allclose(new.eval({z: np.ones(2), w: np.zeros(2)}), np.ones(2))
    assert new.owner.where == out.owner.where


def test_graph_caches_schedule_and_replace_returns_new_graph():
    x = T.dvector("x")
    out = T.sin(x) + 1
    g = Graph([x], [out])
    assert g.apply_nodes is g.apply_nodes
    assert len(g) == 2
    g2 = g.replace({x: T.cos(x)})
    assert len(g2) == 3 and len(g) == 2
    assert all(isinstance(r, Constant) for r in g.roots)


def test_variables_compare_by_identity():
    x = T.dvector("x")
    assert (x == x) is True
    assert (x == T.dvector("x")) is False
    assert len({x, T.dvector("x")}) == 2


def test_symbolic_truth_and_iteration_are_errors():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="truth value"):
        bool(x > 0)
    with pytest.raises(TypeError):
        iter(x)
