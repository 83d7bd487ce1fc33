"""OpFromGraph: Theano's examples, gradients (default and overridden), Rop, inlining, memory."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph import OpFromGraph, function, grad
from symgraph.gradient import Rop, verify_grad

rng = np.random.default_rng(5)


def ops_in(f) -> list[str]:
    return [type(node.op).__name__ for node in f.graph.apply_nodes]


def test_theano_example_1_applies_the_op_twice():
    x, y, z = T.scalars("xyz")
    e = x + y * z
    op = OpFromGraph([x, y, z], [e])
    e2 = op(x, y, z) + op(z, y, x)
    fn = function([x, y, z], [e2])
    np.testing.assert_allclose(fn(1.0, 2.0, 3.0)[0], (1 + 2 * 3) + (3 + 2 * 1))
    assert ops_in(fn).count("OpFromGraph") == 2


def test_theano_example_2_reads_a_shared_variable():
    x, y, z = T.scalars("xyz")
    s = theano.shared(rng.random((2, 2)).astype(theano.config.floatX))
    e = x + y * z + s
    op = OpFromGraph([x, y, z], [e])
    e2 = op(x, y, z) + op(z, y, x)
    fn = function([x, y, z], [e2])
    np.testing.assert_allclose(fn(1.0, 2.0, 3.0)[0], 12 + 2 * s.get_value())
    s.set_value(np.zeros((2, 2)))
    np.testing.assert_allclose(fn(1.0, 2.0, 3.0)[0], np.full((2, 2), 12.0))
    (gs,) = grad(e2.sum(), [s])  # the shared variable is an input of the node: gradients reach it
    np.testing.assert_allclose(gs.eval({x: 1.0, y: 2.0, z: 3.0}), np.full((2, 2), 2.0))


def test_theano_example_3_overrides_one_gradient():
    x, y, z = T.scalars("xyz")
    e = x + y * z

    def rescale_dy(inps, grads):
        x, y, z = inps
        (g,) = grads
        return z * 2

    op = OpFromGraph([x, y, z], [e], grad_overrides=["default", rescale_dy, "default"])
    e2 = op(x, y, z)
    dx, dy, dz = grad(e2, [x, y, z])
    fn = function([x, y, z], [dx, dy, dz])
    np.testing.assert_allclose(fn(2.0, 3.0, 4.0), [1.0, 8.0, 3.0])


def test_default_gradient_matches_finite_differences_and_nests():
    a, b = T.dvectors("a", "b")
    inner = OpFromGraph([a, b], [T.tanh(a) * b, (a * b).sum()], name="pair")
    u, v = T.dvectors("u", "v")
    first, total = inner(u, v)
    outer = OpFromGraph([u, v], [first * total])
    verify_grad(lambda p, q: outer(p, q), [rng.random(4), rng.random(4)])
    verify_grad(lambda p, q: inner(p, q)[1], [rng.random(3), rng.random(3)])


def test_grad_and_lop_overrides_as_callables_and_ops():
    x = T.dvector("x")
    square = OpFromGraph([x], [x**2], grad_overrides=lambda inps, grads: [grads[0] * 10.0])
    assert grad(square(x).sum(), x).eval({x: [1.0, 2.0]}).tolist() == [10.0, 10.0]
    g = T.dvector("g")
    times_three = OpFromGraph([x, g], [g * 3.0])
    by_op = OpFromGraph([x], [x**2], grad_overrides=times_three)
    assert grad(by_op(x).sum(), x).eval({x: [1.0, 2.0]}).tolist() == [3.0, 3.0]
    lop = OpFromGraph([x], [x**2], lop_overrides=lambda i, o, g: [g[0] * o[0]])
    assert grad(lop(x).sum(), x).eval({x: [2.0, 3.0]}).tolist() == [4.0, 9.0]
    with pytest.raises(ValueError, match="mutually exclusive"):
        OpFromGraph([x], [x], grad_overrides=lambda i, g: g, lop_overrides=lambda i, o, g: g)


def test_rop_through_the_op_and_overridden():
    x, v = T.dvectors("x", "v")
    X, V = rng.random(3), rng.random(3)
    op = OpFromGraph([x], [T.sin(x) * x])
    np.testing.assert_allclose(Rop(op(x), x, v).eval({x: X, v: V}), (np.cos(X) * X + np.sin(X)) * V)
    fixed = OpFromGraph([x], [T.sin(x)], rop_overrides=lambda inps, pts: [pts[0] * 0.5])
    np.testing.assert_allclose(Rop(fixed(x), x, v).eval({x: X, v: V}), 0.5 * V)
    listed = OpFromGraph([x], [T.sin(x)], rop_overrides=["default"])
    np.testing.assert_allclose(Rop(listed(x), x, v).eval({x: X, v: V}), np.cos(X) * V)


def test_generated_code_inlines_the_graph_under_the_nodes_name():
    a = T.dvector("a")
    op = OpFromGraph([a], [T.exp(a) + 1.0], name="softish")  # the inner line
    x = T.dvector("x")
    f = function([x], op(x) * 2.0, mode="FAST_COMPILE")
    assert "OpFromGraph" in ops_in(f)
    inner = next(line for line in f.source.splitlines() if "np.exp" in line)
    assert inner.startswith("    t1 = np.exp(x) + 1.0  ") and "test_builders.py:" in inner
    assert inner.index("#") == next(line for line in f.source.splitlines() if "mul" in line).index(
        "#"
    )
    np.testing.assert_allclose(f(np.zeros(2)), [4.0, 4.0])


def test_inline_replaces_the_node_by_its_graph_before_rewriting():
    a, b = T.dvectors("a", "b")
    for inline in (False, True):
        op = OpFromGraph([a, b], [T.log(1 + T.exp(a)) * b], inline=inline)
        x, y = T.dvectors("x", "y")
        f = function([x, y], op(x, y))
        assert ("OpFromGraph" in ops_in(f)) is not inline
        np.testing.assert_allclose(f(np.array([800.0]), np.array([2.0])), [1600.0])
        assert ("inline_graph" in [r.rule.name for r in f.rewrites]) is inline


def test_an_output_that_is_an_input_or_a_constant_is_never_overwritten():
    a = T.dvector("a")
    passthrough = OpFromGraph([a], [a, T.constant(np.ones(2)), a.T])
    x = T.dvector("x")
    first, ones, view = passthrough(x)
    f = function([x], [(first + 1.0) * 2.0, (ones + 1.0) * 3.0, view * 5.0])
    X = np.array([1.0, 2.0])
    for _ in range(2):
        results = f(X)
        np.testing.assert_array_equal(results[0], [4.0, 6.0])
        np.testing.assert_array_equal(results[1], [6.0, 6.0])
    np.testing.assert_array_equal(X, [1.0, 2.0])
    assert passthrough.view_map == {0: (0,), 2: (0,)}


def test_infer_shape_gives_the_shape_without_the_op():
    a, b = T.dmatrices("a", "b")
    op = OpFromGraph([a, b], [T.tanh(a) * b])
    x, y = T.dmatrices("x", "y")
    f = function([x, y], op(x, y).shape, on_unused_input="ignore")
    assert "OpFromGraph" not in ops_in(f)
    assert f(np.ones((2, 3)), np.ones((2, 3))).tolist() == [2, 3]


def test_bad_uses_fail_clearly():
    a, b = T.dvectors("a", "b")
    with pytest.raises(TypeError, match="not among the inputs"):
        OpFromGraph([a], [a + b])
    with pytest.raises(TypeError, match="outputs must be a list"):
        OpFromGraph([a], a)
    op = OpFromGraph([a], [a * 2.0])
    with pytest.raises(TypeError, match="takes 1 inputs, got 2"):
        op(a, b)
    with pytest.raises(TypeError, match="expected Vector"):
        op(T.dmatrix())
    assert str(op) == "OpFromGraph{inline=False}" and op != OpFromGraph([a], [a * 2.0])
