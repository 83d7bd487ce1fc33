"""fusion: which nodes join one expression, and that the expression computes what they did."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symgraph.tensor as T
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.rules.fusion import MAX_MEMBERS, fuse_elementwise
from symgraph.tensor import special_functions
from symgraph.tensor.evaluate import evaluate_all
from symgraph.tensor.fused import Fused

rng = np.random.default_rng(9)
a, b = T.dvectors("a", "b")
m = T.dmatrix("m")
f = T.fvector("f")
GIVENS = {
    a: rng.uniform(0.5, 2.0, 5),
    b: rng.normal(size=5),
    m: rng.normal(size=(4, 5)),
    f: rng.normal(size=5).astype("float32"),
}


def run_code(var, givens):
    """Execute ``var``'s node as generated code would: its ``code`` on named inputs."""
    node = var.owner
    names = [f"in{i}" for i in range(len(node.inputs))]
    namespace = {"np": np, "special": special_functions}
    for name, v in zip(names, node.inputs):
        namespace[name] = givens[v] if v in givens else evaluate_all([v], givens)[0]
    with np.errstate(all="ignore"):
        return eval(node.op.code(*names), namespace)


def fused(outputs, inputs=(a, b, m, f)):
    return fuse_elementwise(Graph(list(inputs), outputs))


def check_fused(expr, givens=GIVENS):
    """Fuse ``expr``: its code and its impl must both equal the unfused values."""
    graph = fused([expr])
    (out,) = graph.outputs
    with np.errstate(all="ignore"):
        (want,) = evaluate_all([expr], givens)
        (got,) = evaluate_all([out], givens)
    code = run_code(out, givens) if isinstance(out.owner.op, Fused) else got
    for value in (got, np.asarray(code)):
        assert value.dtype == want.dtype and value.shape == want.shape
        np.testing.assert_array_equal(value, want)
    return graph


def test_a_chain_becomes_one_node_with_one_expression():
    graph = check_fused(T.tanh(a * b + 1.0) - T.exp(-a))
    assert len(graph.apply_nodes) == 1
    (node,) = graph.apply_nodes
    assert node.op.code("a", "b") == "np.tanh(a * b + 1.0) - np.exp(-a)"
    assert str(node.op) == "Fused{mul, add, tanh, neg, exp, sub}"


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda: (a + b) * (a - b), "(a + b) * (a - b)"),
        (lambda: a - (b - a), "a - (b - a)"),
        (lambda: (a - b) - a, "a - b - a"),
        (lambda: a / (b * a), "a / (b * a)"),
        (lambda: (-a) ** b, "(-a) ** b"),
        (lambda: a ** (b**a), "a ** b ** a"),
        (lambda: (a**b) ** a, "(a ** b) ** a"),
        (lambda: -(a**b), "-a ** b"),
        (lambda: T.neg(T.neg(a * b)), "-(-(a * b))"),
        (lambda: (a < b) < (b < a), "(a < b) < (b < a)"),
        (lambda: T.sigmoid(a + b) * 2.0, "special.expit(a + b) * 2.0"),
        (lambda: T.sigmoid(a) ** 2.0, "special.expit(a) ** 2.0"),
        (lambda: T.cast(a + b, "float32") * 2, "(a + b).astype(np.float32) * 2.0"),
    ],
)
def test_parentheses_follow_python_precedence(build, expected):
    graph = check_fused(build())
    (node,) = graph.apply_nodes
    assert node.op.code("a", "b") == expected


def test_a_value_read_twice_is_computed_once():
    shared = T.exp(a)
    graph = check_fused(shared * 2.0 + shared)
    ops = [str(n.op) for n in graph.apply_nodes]
    assert ops == ["exp", "Fused{mul, add}"]


def test_outputs_stay_named_values():
    inner = T.exp(a)
    graph = fused([inner + 1.0, inner])
    assert graph.outputs[1] is inner
    assert [str(n.op) for n in graph.apply_nodes] == ["exp", "add"]


def test_reductions_and_dots_stay_outside():
    graph = check_fused(T.sum(T.exp(m), axis=0) + 1.0)
    assert [str(n.op) for n in graph.apply_nodes] == ["exp", "sum{axes=(0,)}", "add"]


def test_axis_moves_join_the_expression():
    graph = check_fused(T.exp(m.T) * 2.0)
    (node,) = graph.apply_nodes
    assert node.op.code("m") == "np.exp(m.T) * 2.0"


def test_literals_only_where_the_dtype_is_the_same():
    graph = check_fused(T.exp(f) * 0.1 + T.constant(np.float64(1.5)))
    (node,) = graph.apply_nodes
    assert node.op.code("f", "c") == "np.exp(f) * 0.1 + c"
    assert graph.outputs[0].dtype == "float64"


def test_expressions_are_bounded():
    expr = a
    for _ in range(2 * MAX_MEMBERS):
        expr = T.tanh(expr)
    graph = check_fused(expr)
    assert len(graph.apply_nodes) == 2
    assert all(len(n.op.members) <= MAX_MEMBERS for n in graph.apply_nodes)


UNARY = [T.neg, T.exp, T.tanh, T.sigmoid, T.softplus, T.abs, T.sqrt, T.log1p, T.square]
BINARY = [T.add, T.sub, T.mul, T.true_div, T.pow, T.maximum, T.lt, T.arctan2]


def _tree(depth):
    leaf = st.sampled_from(["a", "b", 0.5, -2.0])
    if depth == 0:
        return leaf
    sub = _tree(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(range(len(UNARY))), sub),
        st.tuples(st.sampled_from(range(len(BINARY))), sub, sub),
    )


def _build(tree):
    if isinstance(tree, str):
        return {"a": a, "b": b}[tree]
    if isinstance(tree, float):
        return T.constant(tree)
    if len(tree) == 2:
        return UNARY[tree[0]](_build(tree[1]))
    op = BINARY[tree[0]]
    left, right = _build(tree[1]), _build(tree[2])
    if op is T.lt:
        return T.cast(op(left, right), "float64")
    return op(left, right)


@settings(max_examples=80, deadline=None)
@given(_tree(4))
def test_random_expressions_compute_what_their_nodes_did(tree):
    expr = _build(tree) + a
    graph = fused([expr], (a, b))
    (out,) = graph.outputs
    with np.errstate(all="ignore"):
        (want,) = evaluate_all([expr], GIVENS)
    if isinstance(out.owner.op, Fused):
        got = np.asarray(run_code(out, GIVENS))
        assert got.dtype == want.dtype
        # NumPy scalars and 0-d arrays may round a power differently in the last bit
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=0, equal_nan=True)


def test_a_fused_switch_of_two_constants_keeps_their_dtype():
    """``np.where(c, 2, -4)`` is int64 whatever dtype the constants had: inside a fused
    expression they stay arrays of their own dtype (differential test, seed 14)."""
    import symgraph as theano

    x = T.imatrix("x")
    expr = T.and_(T.where(x, T.constant(np.array(2, dtype="int32")), -4), x)
    f = theano.function([x], expr)
    assert "Fused" in f.source
    value = np.array([[2, -4], [0, -2]], dtype="int32")
    got = f(value)
    assert got.dtype == expr.dtype == "int32"
    np.testing.assert_array_equal(got, np.where(value, 2, -4) & value)
