"""grad, jacobian, hessian, Lop and Rop against analytic results; Theano's semantics of grad."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph import gradient
from symgraph.compile.shared import shared
from symgraph.gradient import (
    DisconnectedInputError,
    GradientError,
    Lop,
    NullTypeGradError,
    Rop,
    disconnected_grad,
    grad,
    hessian,
    jacobian,
    numeric_grad,
    verify_grad,
    zero_grad,
)
from symgraph.graph.traversal import graph_inputs, toposort
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp

RNG = np.random.default_rng(7)


def vector(name: str, n: int) -> T.TensorVariable:
    """A float64 vector of static length ``n``."""
    return T.tensor(name, dtype="float64", shape=(n,))


# -- the PyTorch tutorial, symbolically --------------------------------------------------------


def test_two_x_dot_x_gives_four_x():
    x = T.dvector("x")
    g = grad(2 * T.dot(x, x), x)
    value = np.array([0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(g.eval({x: value}), 4 * value)
    assert isinstance(symgraph.printing.debugprint(g, file="str"), str)  # a graph, printable


def test_sum_gives_ones_and_x_times_x_gives_two_x():
    x = T.dmatrix("x")
    value = RNG.normal(size=(2, 3))
    np.testing.assert_array_equal(grad(x.sum(), x).eval({x: value}), np.ones((2, 3)))
    np.testing.assert_allclose(grad((x * x).sum(), x).eval({x: value}), 2 * value)


def test_detach_with_disconnected_grad():
    x = T.dvector("x")
    y = x * x
    u = disconnected_grad(y)
    value = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad((u * x).sum(), x).eval({x: value}), value**2)
    with pytest.raises(DisconnectedInputError, match="x"):
        grad(u.sum(), x)


@pytest.mark.parametrize("total, expected", [(1.0, 2.0), (-1.0, 100.0)])
def test_gradient_through_the_branch_chosen_by_switch(total, expected):
    a = T.dvector("a")
    f = T.switch(a.sum() > 0, 2 * a, 100 * a)
    value = np.array([total, 0.0])
    np.testing.assert_array_equal(grad(f.sum(), a).eval({a: value}), [expected, expected])


def test_logistic_regression_gradient_is_the_hand_derived_one():
    n, feats = 400, 784
    data = RNG.normal(size=(n, feats))
    labels = RNG.integers(0, 2, size=n).astype(np.float64)
    x, y = T.dmatrix("x"), T.dvector("y")
    w, b = T.dvector("w"), T.dscalar("b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])

    w_value, b_value = RNG.normal(size=feats) * 0.01, 0.3
    given = {x: data, y: labels, w: w_value, b: b_value}
    p = 1 / (1 + np.exp(-data @ w_value - b_value))
    np.testing.assert_allclose(
        gw.eval(given), data.T @ (p - labels) / n + 0.02 * w_value, rtol=0, atol=1e-12
    )
    assert abs(float(gb.eval(given)) - np.mean(p - labels)) < 1e-12
    # no gradient is built for the data: only nodes between the cost and (w, b)
    assert len(toposort([gw, gb])) < 60


# -- grad's semantics --------------------------------------------------------------------------


def test_cost_must_be_scalar():
    x = T.dvector("x")
    with pytest.raises(TypeError, match=r"scalar.*Lop"):
        grad(x * 2, x)


def test_wrt_structure_is_kept():
    x, y = T.dscalar("x"), T.dscalar("y")
    cost = x * y
    assert isinstance(grad(cost, x), T.TensorVariable)
    assert isinstance(grad(cost, [x, y]), list)
    assert isinstance(grad(cost, (x, y)), tuple)
    gx, gy = grad(cost, [x, y])
    assert float(gx.eval({x: 2.0, y: 5.0})) == 5.0 and float(gy.eval({x: 2.0, y: 5.0})) == 2.0
    with pytest.raises(TypeError, match="Variable"):
        grad(cost, "x")


def test_gradient_has_the_type_of_the_variable():
    x = T.fvector("x")
    g = grad((T.cast(x, "float64") ** 2).sum(), x)
    assert g.type == x.type
    row = T.row("r")  # broadcast against a matrix: summed back to one row
    m = T.dmatrix("m")
    g = grad((row * m).sum(), row)
    assert g.type.shape == (1, None)
    np.testing.assert_array_equal(g.eval({row: [[1.0, 2.0]], m: np.ones((3, 2))}), [[3.0, 3.0]])


def test_integer_inputs_get_zero_gradients():
    x, i = T.dvector("x"), T.lvector("i")
    g = grad((x * i).sum() + x[i].sum(), i)
    assert g.dtype == "float64"
    np.testing.assert_array_equal(g.eval({x: [1.0, 2.0], i: [0, 1]}), [0.0, 0.0])


def test_disconnected_inputs():
    x, z = T.dvector("x"), T.dvector("z")
    cost = (x * 2).sum()
    with pytest.raises(DisconnectedInputError) as err:
        grad(cost, z)
    assert "z" in str(err.value) and "test_gradient.py" in str(err.value)  # name and file:line
    assert isinstance(err.value, ValueError)
    with pytest.warns(UserWarning, match="z"):
        g = grad(cost, z, disconnected_inputs="warn")
    np.testing.assert_array_equal(g.eval({z: [1.0, 2.0]}), [0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            grad(cost, [x, z], disconnected_inputs="ignore", return_disconnected="None")[1] is None
        )
    disconnected = grad(cost, z, disconnected_inputs="ignore", return_disconnected="Disconnected")
    assert isinstance(disconnected.type, gradient.DisconnectedType)
    with pytest.raises(ValueError, match="disconnected_inputs"):
        grad(cost, x, disconnected_inputs="maybe")


def test_a_cost_reached_only_through_disconnected_grad_is_disconnected():
    x = T.dscalar("x")
    with pytest.raises(DisconnectedInputError, match=r"x \(created at .*test_gradient.py:\d+\)"):
        grad(disconnected_grad(x) * 2, x)
    v = T.dvector("v")
    with pytest.raises(ValueError, match="v"):  # DisconnectedInputError is a ValueError
        grad((disconnected_grad(v) * 2).sum() + disconnected_grad(v * v).max(), v)


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "DEBUG_MODE"])
def test_every_input_of_the_cost_is_an_input_of_its_gradients(mode):
    """Theano seeds the walk with ``second(cost, 1)``: a gradient that does not read an
    input of its cost (that of a linear map, or one cut by disconnected_grad) still uses it."""
    x, w = T.dvectors("x", "w")
    linear = symgraph.function([x, w], grad(T.dot(x, w), w), mode=mode)
    np.testing.assert_array_equal(linear([1.0, 2.0], [5.0, 6.0]), [1.0, 2.0])
    s = T.dscalar("s")
    detached = symgraph.function([s], grad(disconnected_grad(s) * 2 + s, s), mode=mode)
    assert detached(3.0) == 1.0
    b = T.dvector("b")
    bias = symgraph.function([x, b], grad((x + b).sum(), b), mode=mode)
    np.testing.assert_array_equal(bias([1.0, 2.0], [0.0, 0.0]), [1.0, 1.0])


def test_the_seed_costs_nothing_once_optimized():
    x, w = T.dvectors("x", "w")
    f = symgraph.function([x, w], grad(T.dot(x, w) ** 2, w))
    assert [str(node.op) for node in f.graph.apply_nodes].count("Dot") == 1


def test_consider_constant_argument_cuts_the_walk():
    x = T.dvector("x")
    y = x * 2
    cost = (x * y).sum()
    value = np.array([1.0, 3.0])
    np.testing.assert_allclose(grad(cost, x, consider_constant=[y]).eval({x: value}), 2 * value)
    with pytest.raises(DisconnectedInputError):
        grad(y.sum(), x, consider_constant=[y])


def test_zero_grad_keeps_the_input_connected():
    x = T.dvector("x")
    g = grad(zero_grad(x * 3).sum(), x)  # no error: connected, with a zero gradient
    np.testing.assert_array_equal(g.eval({x: [1.0, 2.0]}), [0.0, 0.0])
    g = grad(gradient.consider_constant(x * 3).sum() + x.sum(), x)
    np.testing.assert_array_equal(g.eval({x: [1.0, 2.0]}), [1.0, 1.0])


def test_piecewise_constant_ops_are_connected_with_zero_gradient():
    x = T.dvector("x")
    g = grad(T.floor(x).sum() + T.argmax(x).astype("float64"), x)
    np.testing.assert_array_equal(g.eval({x: [0.5, 1.5]}), [0.0, 0.0])


def test_shared_variables_and_intermediate_variables():
    w = shared(np.array([1.0, -2.0]), name="w")
    x = T.dvector("x")
    hidden = x * w
    cost = (hidden**2).sum()
    g_w, g_hidden = grad(cost, [w, hidden])
    value = np.array([3.0, 0.5])
    np.testing.assert_allclose(g_w.eval({x: value}), 2 * value**2 * w.get_value())
    np.testing.assert_allclose(g_hidden.eval({x: value}), 2 * value * w.get_value())


def test_known_grads_seed_the_walk():
    x = T.dvector("x")
    y = T.exp(x)
    seed = np.array([1.0, 10.0])
    g = grad(None, x, known_grads={y: seed})
    np.testing.assert_allclose(g.eval({x: [0.0, 1.0]}), seed * np.exp([0.0, 1.0]))
    both = grad(y.sum(), x, known_grads={y: seed})  # added to the cost's gradient
    np.testing.assert_allclose(both.eval({x: [0.0, 1.0]}), (seed + 1) * np.exp([0.0, 1.0]))


@dataclass(frozen=True)
class NoGradient(TensorOp):
    """An op without a pullback, as a new op would be."""

    def infer_type(self, x):
        return x.type

    def impl(self, x):
        return x

    def code(self, x):
        return x


def test_an_op_without_gradient_is_a_clear_error():
    x = T.dvector("x")
    with pytest.raises(NullTypeGradError, match=r"NoGradient.*test_gradient.py"):
        grad(NoGradient()(x).sum(), x)
    y = T.dvector("y")  # a gradient that does not pass through the op needs no pullback of it
    g = grad(NoGradient()(x).sum() + (y * y).sum(), y)
    np.testing.assert_array_equal(g.eval({x: [0.0], y: [1.0, 2.0]}), [2.0, 4.0])


# -- higher derivatives ------------------------------------------------------------------------


def test_grad_of_grad():
    x = T.dvector("x")
    g = grad((x**4).sum(), x)
    gg = grad(g.sum(), x)
    ggg = grad(gg.sum(), x)
    value = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(gg.eval({x: value}), 12 * value**2)
    np.testing.assert_allclose(ggg.eval({x: value}), 24 * value)


def test_hessian_vector_product_by_grad_of_grad_matches_finite_differences():
    x = T.dvector("x")
    m = RNG.normal(size=(3, 4))
    cost = T.nnet.log_softmax(T.dot(m, T.tanh(x))).max() + T.prod(T.sin(x)) + T.sqrt(x @ x)
    v = RNG.normal(size=4)
    hv = grad((grad(cost, x) * v).sum(), x)
    point = RNG.normal(size=4)
    gradient_at = lambda p: grad(cost, x).eval({x: p})  # noqa: E731
    step = 1e-6
    numeric = (gradient_at(point + step * v) - gradient_at(point - step * v)) / (2 * step)
    np.testing.assert_allclose(hv.eval({x: point}), numeric, rtol=1e-6, atol=1e-7)


# -- jacobian and hessian ----------------------------------------------------------------------


def test_jacobian_of_elementwise_and_linear_maps():
    x = vector("x", 3)
    value = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(jacobian(x**2, x).eval({x: value}), np.diag(2 * value))
    a = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(jacobian(T.dot(a, x), x).eval({x: value}), a)
    jx, jw = jacobian(T.exp(x) * T.sum(x), [x, x])
    expected = np.diag(np.exp(value) * value.sum()) + np.exp(value)[:, None]
    np.testing.assert_allclose(jx.eval({x: value}), expected)
    np.testing.assert_allclose(jacobian(x.sum(), x).eval({x: value}), np.ones(3))


def test_jacobian_with_respect_to_a_matrix():
    w = T.tensor("w", dtype="float64", shape=(2, 3))
    v = np.array([1.0, 2.0, 3.0])
    jac = jacobian(T.dot(w, v), w).eval({w: np.zeros((2, 3))})
    assert jac.shape == (2, 2, 3)
    np.testing.assert_array_equal(jac[0], [v, [0, 0, 0]])
    np.testing.assert_array_equal(jac[1], [[0, 0, 0], v])


def test_jacobian_of_a_symbolic_length_loops_with_scan():
    x = T.dvector("x")
    value = np.array([0.1, -0.2, 0.3, 0.5])
    y = T.exp(x) * x.sum()
    expected = np.diag(np.exp(value) * value.sum()) + np.exp(value)[:, None]
    np.testing.assert_allclose(jacobian(y, x).eval({x: value}), expected, rtol=1e-12)
    assert any(type(n.op).__name__ == "Scan" for n in toposort([jacobian(y, x)]))
    h = hessian((x**3).sum() * x.sum(), x).eval({x: value})
    expected_h = (
        np.diag(6 * value * value.sum()) + 3 * value[:, None] ** 2 + 3 * value[None, :] ** 2
    )
    np.testing.assert_allclose(h, expected_h, rtol=1e-12)
    with pytest.raises(TypeError, match="vector"):
        jacobian(T.outer(x, x), x)


def test_hessian():
    x = vector("x", 3)
    value = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(hessian((x**3).sum(), x).eval({x: value}), np.diag(6 * value))
    a = RNG.normal(size=(3, 3))
    np.testing.assert_allclose(hessian(T.dot(x, T.dot(a, x)), x).eval({x: value}), a + a.T)
    y = vector("y", 2)
    hx, hy = hessian((x**2).sum() * (y**2).sum(), [x, y])
    y_value = np.array([1.0, 2.0])
    np.testing.assert_allclose(hx.eval({x: value, y: y_value}), 2 * np.eye(3) * 5.0)
    np.testing.assert_allclose(hy.eval({x: value, y: y_value}), 2 * np.eye(2) * 5.25)
    np.testing.assert_array_equal(hessian(x.sum(), x).eval({x: value}), np.zeros((3, 3)))


# -- Lop and Rop -------------------------------------------------------------------------------

EXPRESSIONS = {
    # name: (f of x (length 4), Jacobian as a NumPy function of x)
    "elementwise": (
        lambda x: T.exp(x) * T.sin(x),
        lambda x: np.diag(np.exp(x) * (np.sin(x) + np.cos(x))),
    ),
    "linear": (lambda x: T.dot(MATRIX, x), lambda x: MATRIX),
    "softmax": (lambda x: T.special.softmax(x), lambda x: _softmax_jacobian(x)),
    "shapes": (
        lambda x: T.concatenate([x[::-1], x.reshape((2, 2)).T.flatten()[:1] ** 2]),
        lambda x: np.vstack([np.eye(4)[::-1], [2 * x[0], 0, 0, 0]]),
    ),
    "reduction": (
        lambda x: T.stack([x.max(), x.prod(), T.sum(x * x)]),
        lambda x: np.vstack([np.eye(4)[np.argmax(x)], np.prod(x) / x, 2 * x]),
    ),
}
MATRIX = RNG.normal(size=(3, 4))


def _softmax_jacobian(x):
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    return np.diag(s) - np.outer(s, s)


@pytest.mark.parametrize("name", EXPRESSIONS)
def test_lop_and_rop_match_the_analytic_jacobian(name):
    build, analytic = EXPRESSIONS[name]
    x = T.dvector("x")
    f = build(x)
    point = np.array([0.3, -1.2, 0.8, 1.5])
    jac = analytic(point)
    u = RNG.normal(size=jac.shape[0])
    v = RNG.normal(size=4)
    np.testing.assert_allclose(Lop(f, x, u).eval({x: point}), u @ jac, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Rop(f, x, v).eval({x: point}), jac @ v, rtol=1e-12, atol=1e-12)
    # symbolic directions give graphs too
    sym_v = T.dvector("v")
    rop = Rop(f, x, sym_v)
    np.testing.assert_allclose(rop.eval({x: point, sym_v: v}), jac @ v, rtol=1e-12, atol=1e-12)


def test_rop_uses_pushforward_where_an_op_has_one():
    x = T.dmatrix("x")
    v = T.dmatrix("v")
    r = Rop(T.dot(x, MATRIX.T).T[1:], x, v)
    compiled = symgraph.function([x, v], r)
    ops = {type(node.op).__name__ for node in compiled.graph.apply_nodes}
    assert ops <= {"Dot", "DimShuffle", "Subtensor"}  # no pullback was needed
    point, direction = RNG.normal(size=(2, 4)), RNG.normal(size=(2, 4))
    np.testing.assert_allclose(
        r.eval({x: point, v: direction}), (direction @ MATRIX.T).T[1:], rtol=1e-12
    )


def test_rop_without_pushforward_is_as_small_as_the_pullback():
    x, v = T.dvector("x"), T.dvector("v")
    f = T.exp(x) * T.sin(x)
    assert len(toposort([Rop(f, x, v)])) <= len(toposort([Lop(f, x, v)]))


def test_rop_and_lop_with_several_inputs_and_outputs():
    x, y = T.dvector("x"), T.dvector("y")
    f, g = x * y, T.exp(x)
    px, py = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    vx, vy = np.array([0.5, 1.0]), np.array([2.0, 0.0])
    rf, rg = Rop([f, g], [x, y], [vx, vy])
    np.testing.assert_allclose(rf.eval({x: px, y: py}), vx * py + px * vy)
    np.testing.assert_allclose(rg.eval({x: px}), np.exp(px) * vx)
    lx, ly = Lop([f, g], [x, y], [vx, vy])
    np.testing.assert_allclose(lx.eval({x: px, y: py}), vx * py + vy * np.exp(px))
    np.testing.assert_allclose(ly.eval({x: px, y: py}), vx * px)
    assert Rop(x, x, vx).eval().tolist() == vx.tolist()
    with pytest.raises(DisconnectedInputError):
        Rop(T.exp(y), x, vx)
    cotangents = [v for v in graph_inputs([rf, rg]) if v.name and "cotangent" in v.name]
    assert not cotangents  # the pullback trick leaves no dummy variable behind


# -- numeric_grad and verify_grad --------------------------------------------------------------


def test_numeric_grad_is_a_central_difference():
    numeric = numeric_grad(lambda a: np.sum(a**3), np.array([1.0, 2.0]))
    np.testing.assert_allclose(numeric.gf, [3.0, 12.0], rtol=1e-7)
    both = numeric_grad(lambda a, b: float(a @ b), [np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    np.testing.assert_allclose(both.gf[0], [3.0, 4.0], rtol=1e-7)
    np.testing.assert_allclose(both.gf[1], [1.0, 2.0], rtol=1e-7)


@dataclass(frozen=True)
class WrongSquare(TensorOp):
    """x ** 2 with the derivative 3x: verify_grad must notice."""

    def infer_type(self, x):
        return x.type

    def impl(self, x):
        return x**2

    def code(self, x):
        return f"{x} ** 2"

    def pullback(self, inputs, outputs, output_grads):
        return [output_grads[0] * 3 * inputs[0]]


def test_verify_grad_passes_and_reports_the_worst_mismatch():
    verify_grad(lambda a, b: T.tanh(a) @ b, [RNG.normal(size=(2, 3)), RNG.normal(size=3)])
    point = np.array([1e-3, 2.0, -1e-3])
    with pytest.raises(GradientError) as err:
        verify_grad(lambda a: WrongSquare()(a), [point], rng=np.random.default_rng(0))
    error = err.value
    assert (error.arg, error.err_pos, error.shape) == (0, 1, (3,))  # the only large error
    assert error.val1 == pytest.approx(1.5 * error.val2)  # 3x against 2x
    assert "position (1,)" in str(error) and repr(error.val1) in str(error)
    assert verify_grad.E_grad is GradientError
    with pytest.raises(TypeError, match="float"):
        verify_grad(lambda a: a, [np.array([1, 2])])


def test_grad_clip_rejects_inverted_bounds():
    with pytest.raises(TypeError, match="lower"):
        gradient.grad_clip(T.dvector(), 1.0, -1.0)


def test_exports():
    assert symgraph.grad is grad and T.grad is grad
    assert symgraph.gradient is gradient
    assert isinstance(T.dscalar().type, TensorType)


def test_rop_reads_every_input_of_f_as_in_theanos_tutorial():
    """``Rop(x @ W, W, V)`` is ``x @ V``; like Theano's, it still reads W (the other inputs
    get zero tangents), so ``function([W, V, x], JV)`` accepts W."""
    W, V, x = T.dmatrix("W"), T.dmatrix("V"), T.dvector("x")
    JV = Rop(T.dot(x, W), W, V)
    f = symgraph.function([W, V, x], JV)
    np.testing.assert_array_equal(f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2.0, 2.0])
    assert [type(n.op).__name__ for n in f.graph.apply_nodes] == ["Dot"]
