"""to_sympy and latex: equal to hand-built SymPy, and numerically equal to the graph."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import symgraph.tensor as T
from symgraph.printing import latex, to_sympy

X, Y = sympy.symbols("x y")


def size(name: str) -> sympy.Symbol:
    """The symbol to_sympy uses for a size unknown at build time."""
    return sympy.Symbol(name, integer=True, nonnegative=True)


def test_scalar_expression_equals_the_one_built_by_hand():
    x, y = T.dscalars("x", "y")
    assert to_sympy(T.exp(x) * y + 1) == sympy.exp(X) * Y + 1
    assert to_sympy(T.sigmoid(x) - T.log1p(y**2)) == 1 / (1 + sympy.exp(-X)) - sympy.log(1 + Y**2)
    assert to_sympy(x / 4 - 0.5) == X / 4 - sympy.Float(0.5)
    assert to_sympy(T.switch(x < y, x, y)) == sympy.Piecewise((X, X < Y), (Y, True))


def test_scalar_derivative_agrees_with_sympy():
    x = T.dscalar("x")
    f = T.tanh(x) * T.exp(-(x**2))
    expr = to_sympy(f)
    value = 0.3
    assert np.isclose(float(expr.subs(X, value)), f.eval({x: value}))
    assert (
        sympy.simplify(
            sympy.diff(expr, X) - (1 - sympy.tanh(X) ** 2) * sympy.exp(-(X**2)) + 2 * X * expr
        )
        == 0
    )


def test_reductions_are_sums_over_named_indices():
    v = T.dvector("v")
    i = sympy.Symbol("i", integer=True)
    n = size("n_v")
    V = sympy.IndexedBase("v")
    assert to_sympy((v**2).sum()) == sympy.Sum(V[i] ** 2, (i, 0, n - 1))
    assert to_sympy(v.mean()) == sympy.Sum(V[i], (i, 0, n - 1)) / n
    fixed = T.tensor("w", shape=(3,))
    W = sympy.IndexedBase("w")
    assert to_sympy(fixed.prod()).doit() == W[0] * W[1] * W[2]
    assert to_sympy(fixed.max()) == sympy.Max(W[0], W[1], W[2])


def test_linear_algebra_becomes_a_matrix_expression():
    a, b = T.dmatrices("a", "b")
    v = T.dvector("v")
    A = sympy.MatrixSymbol("a", size("n_a"), size("m_a"))
    B = sympy.MatrixSymbol("b", size("n_b"), size("m_b"))
    assert to_sympy(T.dot(a, b)) == A * B
    assert to_sympy(T.dot(a, b).T - 2 * b) == B.T * A.T - 2 * B
    assert isinstance(to_sympy(T.dot(a, v)), sympy.MatMul)
    assert not isinstance(to_sympy(T.exp(a)), sympy.MatrixExpr)  # elementwise: see below


def substitute(expr: sympy.Expr, values: dict[str, np.ndarray]) -> float:
    """Evaluate ``expr`` (finite sums expanded) with arrays bound to its matrices and symbols."""
    expr = expr.doit()
    replacements = {}
    for name, value in values.items():
        value = np.asarray(value)
        if value.ndim == 0:
            replacements[sympy.Symbol(name)] = value.item()
        elif value.ndim == 2:
            replacements[sympy.MatrixSymbol(name, *value.shape)] = sympy.Matrix(value)
        else:
            base = sympy.IndexedBase(name)
            replacements.update({base[k]: value[k] for k in range(value.shape[0])})
    return float(expr.subs(replacements).doit().evalf())


def seed_cost():
    x = T.tensor("x", shape=(4, 3))
    y = T.tensor("y", shape=(4,))
    w = T.tensor("w", shape=(3,))
    b = T.dscalar("b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    return (x, y, w, b), xent.mean() + 0.01 * (w**2).sum()


def test_seed_cost_evaluates_like_the_graph():
    (x, y, w, b), cost = seed_cost()
    rng = np.random.default_rng(0)
    values = {
        "x": rng.normal(size=(4, 3)),
        "y": np.array([0.0, 1, 1, 0]),
        "w": rng.normal(size=3),
        "b": 0.3,
    }
    expected = cost.eval({x: values["x"], y: values["y"], w: values["w"], b: values["b"]})
    assert np.isclose(substitute(to_sympy(cost), values), expected)


@pytest.mark.parametrize(
    "build",
    [
        lambda m, v: T.nnet.softmax(m)[1, 2],
        lambda m, v: T.nnet.log_softmax(m, axis=0)[2, 1],
        lambda m, v: (m[1:, ::2] * v[0]).sum(),
        lambda m, v: m[-1, 1] + m.T[2, 0],
        lambda m, v: (T.dot(m, T.dimshuffle(v, (0, "x"))) / m.shape[0]).sum(),
        lambda m, v: T.tensordot(m, m, [[0], [0]])[1, 2],
        lambda m, v: T.sum(T.ones_like(m) * v[1], axis=1, keepdims=True)[0, 0],
        lambda m, v: T.mean(m, axis=1)[2],
    ],
)
def test_other_ops_evaluate_like_the_graph(build):
    m = T.tensor("m", shape=(3, 3))
    v = T.tensor("v", shape=(3,))
    rng = np.random.default_rng(1)
    values = {"m": rng.normal(size=(3, 3)), "v": rng.normal(size=3)}
    out = build(m, v)
    expected = out.eval({m: values["m"], v: values["v"]})
    assert np.isclose(substitute(to_sympy(out), values), expected)


def test_a_non_scalar_is_its_generic_element():
    m = T.dmatrix("m")
    i, j = sympy.symbols("i j", integer=True)
    M = sympy.MatrixSymbol("m", size("n_m"), size("m_m"))
    assert to_sympy(T.exp(m) + 1) == sympy.exp(M[i, j]) + 1
    s = T.dscalar("i")  # a variable named like an index: indices step around it
    assert to_sympy(T.exp(m) + s).free_symbols >= {sympy.Symbol("i")}


def test_latex_renders():
    x, y = T.dscalars("x", "y")
    assert latex(x**2 / y) == r"\frac{x^{2}}{y}"
    _, cost = seed_cost()
    text = latex(cost)
    assert r"\sum_{i=0}^{3}" in text and r"\log{" in text and text.count("{") == text.count("}")


def test_ops_without_a_sympy_form_are_named():
    v = T.dvector("v")
    with pytest.raises(NotImplementedError, match="argmax.*node built at .*test_sympy_form.py"):
        to_sympy(T.argmax(v))
    with pytest.raises(NotImplementedError, match="isnan has no SymPy counterpart"):
        to_sympy(T.isnan(v).sum())
    with pytest.raises(TypeError, match="one variable"):
        to_sympy([v])


def test_sums_and_products_of_any_length_stay_matrix_algebra():
    x = T.dmatrix("x")
    X_ = sympy.MatrixSymbol("x", size("n_x"), size("m_x"))
    assert to_sympy(T.add(x, x, x.T)) == 2 * X_ + X_.T
    assert to_sympy(T.mul(2.0, x, 3.0)) == 6 * X_


def test_each_op_states_its_own_form():
    """printing keeps no table of op classes: a new op gets a form by defining sympy_form."""
    from dataclasses import dataclass

    from symgraph.tensor.sympy_elements import Elements
    from symgraph.tensor.variable import TensorOp

    @dataclass(frozen=True)
    class Twice(TensorOp):
        def infer_type(self, x):
            return x.type

        def sympy_form(self, node, args, bound):
            (a,) = args
            return Elements(a.sizes, lambda index: 2 * a.at(index), a.explicit)

    x = T.dscalar("x")
    assert to_sympy(Twice()(x) + 1) == 2 * X + 1
