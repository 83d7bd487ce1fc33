"""Lazy ifelse: values, laziness (the untaken branch never runs), types and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph.gradient import grad, verify_grad
from symgraph.graph.traversal import toposort
from symgraph.ifelse import IfElse, ifelse
from symgraph.scan import scan

rng = np.random.default_rng(3)


def test_single_and_list_branches():
    a, b = T.dscalars("a", "b")
    x, y = T.dvectors("x", "y")
    smaller = ifelse(a < b, a, b)
    assert float(smaller.eval({a: 1.0, b: 2.0})) == 1.0
    assert float(smaller.eval({a: 3.0, b: 2.0})) == 2.0
    first, second = ifelse(a < b, [x * 2, y], [y, x.sum() + y])
    xv, yv = np.array([1.0, 2.0]), np.array([5.0, 7.0])
    np.testing.assert_allclose(first.eval({a: 0.0, b: 1.0, x: xv, y: yv}), 2 * xv)
    np.testing.assert_allclose(second.eval({a: 1.0, b: 0.0, x: xv, y: yv}), 3.0 + yv)


def test_untaken_branch_does_not_run():
    """A branch that would raise IndexError is harmless as long as it is not taken."""
    c = T.iscalar("c")
    x = T.dvector("x")
    out = ifelse(c, x[10] * 2, x.sum())
    xv = np.arange(3.0)
    assert float(out.eval({c: 0, x: xv})) == 3.0
    with pytest.raises(IndexError):
        out.eval({c: 1, x: xv})
    other = ifelse(c, x.sum(), x[10])
    assert float(other.eval({c: 1, x: xv})) == 3.0


def test_branch_work_stays_inside_the_branch():
    """The node's inputs are the condition and the values the branches read, not their results."""
    c, x = T.dscalar("c"), T.dmatrix("x")
    out = ifelse(c > 0, T.exp(x).sum(), T.log(x).mean())
    outer_ops = [type(n.op).__name__ for n in toposort([out])]
    assert outer_ops == ["Elemwise", "IfElse"]
    node = out.owner
    assert node.inputs[1:] == (x,)
    assert set(node.op.inner_graphs) == {"then", "else"}


def test_values_the_condition_needs_are_computed_once_outside():
    x = T.dvector("x")
    total = x.sum()
    out = ifelse(total > 0, total * 2, -total)
    assert total in out.owner.inputs
    assert float(out.eval({x: np.array([1.0, 2.0])})) == 6.0
    assert float(out.eval({x: np.array([-1.0, -2.0])})) == 3.0


def test_branch_types_must_match():
    c, x = T.dscalar("c"), T.dvector("x")
    with pytest.raises(TypeError, match="same type"):
        ifelse(c, x, T.cast(x, "float32"))
    with pytest.raises(TypeError, match="same type"):
        ifelse(c, x, x.sum())
    with pytest.raises(TypeError, match="scalar"):
        ifelse(x, x, x)
    with pytest.raises(TypeError, match="both"):
        ifelse(c, [x], x)
    with pytest.raises(TypeError, match="must match"):
        ifelse(c, [x, x], [x])


def test_static_shapes_that_differ_become_unknown():
    c = T.dscalar("c")
    v = T.tensor("v", dtype="float64", shape=(3,))
    out = ifelse(c, v, T.dvector("w"))
    assert out.type.shape == (None,)


@pytest.mark.parametrize("c", [1.0, -1.0])
def test_gradient_on_both_sides(c):
    def f(x, y):
        return ifelse(x.sum() * 0 + c > 0, T.exp(x) * y.sum(), T.sin(y).sum() * x)

    verify_grad(f, [rng.normal(size=3), rng.normal(size=2)])


def test_gradient_flows_through_the_taken_branch_only():
    c = T.iscalar("c")
    x, y = T.dvectors("x", "y")
    out = ifelse(c, (x * y).sum(), (x**2).sum())
    gx, gy = grad(out, [x, y])
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    np.testing.assert_allclose(gx.eval({c: 1, x: xv, y: yv}), yv)
    np.testing.assert_allclose(gy.eval({c: 1, x: xv, y: yv}), xv)
    np.testing.assert_allclose(gx.eval({c: 0, x: xv, y: yv}), 2 * xv)
    np.testing.assert_allclose(gy.eval({c: 0, x: xv, y: yv}), [0.0, 0.0])


def test_gradient_is_lazy_too():
    c = T.iscalar("c")
    x = T.dvector("x")
    out = ifelse(c, x[10] * 2, (x**2).sum())
    gx = grad(out, x)
    assert any(isinstance(n.op, IfElse) for n in toposort([gx]))
    np.testing.assert_allclose(gx.eval({c: 0, x: np.arange(3.0)}), [0.0, 2.0, 4.0])


def test_nested_and_inside_scan():
    x = T.dvector("x")
    sign, _ = scan(
        lambda v: ifelse(v > 0, T.constant(1.0), ifelse(v < 0, T.constant(-1.0), T.constant(0.0))),
        sequences=x,
    )
    np.testing.assert_allclose(sign.eval({x: np.array([2.0, -3.0, 0.0])}), [1.0, -1.0, 0.0])


def test_theano_spellings():
    assert symgraph.ifelse.ifelse is ifelse
