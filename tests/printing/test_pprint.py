"""pprint: minimal parentheses that keep the meaning, and let-names for repeated subexpressions."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph.printing import pprint

x, y, z = T.dscalars("x", "y", "z")
VALUES = {"x": 0.7, "y": 1.3, "z": 2.1}


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ((x + y) * z, "(x + y) * z"),
        (x + y * z, "x + y * z"),
        (x - (y - z), "x - (y - z)"),
        ((x - y) - z, "x - y - z"),
        (x + (y + z), "x + y + z"),
        (x * (y * z), "x * y * z"),
        (x / (y * z), "x / (y * z)"),
        (x * y / z, "x * y / z"),
        (x * (y / z), "x * (y / z)"),
        ((x**y) ** z, "(x ** y) ** z"),
        (x ** (y**z), "x ** y ** z"),
        (-(x + y), "-(x + y)"),
        ((-x) ** 2, "(-x) ** 2"),
        (-(x**2), "-x ** 2"),
        (T.neg(-x), "-(-x)"),
        (x**-y, "x ** (-y)"),
        (T.exp(x + y) / 2, "exp(x + y) / 2"),
        (T.maximum(x - y, z * 2), "maximum(x - y, z * 2)"),
        ((x < y) | (y < z), "(x < y) | (y < z)"),
        ((x < y) < z, "(x < y) < z"),
        (x * -2.5, "x * -2.5"),
    ],
)
def test_parentheses_appear_only_where_python_needs_them(expr, text):
    assert pprint(expr) == text
    namespace = {"exp": np.exp, "maximum": np.maximum, **VALUES}
    expected = expr.eval({v: VALUES[v.name] for v in (x, y, z)})
    assert np.allclose(eval(text, namespace), expected)  # the text means what the graph computes


def test_postfix_forms_wrap_compound_operands():
    a, b = T.dmatrices("a", "b")
    assert pprint((a + b).T) == "(a + b).T"
    assert pprint((a + b)[1:, 0]) == "(a + b)[1:, 0]"
    assert pprint(a.T[0]) == "a.T[0]"
    assert pprint((a * b).shape) == "(a * b).shape"
    assert pprint(a @ (b + a)) == "a @ (b + a)"
    assert pprint(a * (b @ a)) == "a * (b @ a)"
    assert pprint((a * b) @ a) == "a * b @ a"


def test_calls_show_parameters_and_constants_their_values():
    v = T.dvector("v")
    assert pprint(T.sum(v**2)) == "sum(v ** 2, axis=0)"
    assert pprint(T.cast(v, "float32")) == "cast<float32>(v)"
    assert pprint(v + np.arange(3.0)) == "v + [0., 1., 2.]"
    assert pprint(v + np.zeros(20)) == "v + array<float64, 20>"


def test_a_repeated_subexpression_is_named_once():
    s = T.exp(x) + T.exp(y)
    assert pprint(T.log(s) / s) == "let t1 = exp(x) + exp(y) in log(t1) / t1"
    assert pprint(T.exp(x) * T.exp(x)) == "exp(x) * exp(x)"  # two different nodes
    e = T.exp(x)
    assert pprint(e * e) == "exp(x) * exp(x)"  # too short to be worth a name
    s.name = "s"
    assert pprint(T.log(s) / s) == "let s = exp(x) + exp(y) in log(s) / s"
    other = T.dscalar("s")
    assert pprint(T.log(s) / s + other) == "let t1 = exp(x) + exp(y) in log(t1) / t1 + s"


def test_several_outputs_share_their_names():
    s = T.exp(x) + T.exp(y)
    assert pprint([s * 2, s * 3]) == "let t1 = exp(x) + exp(y) in t1 * 2, t1 * 3"


def test_seed_cost_prints_short_with_the_sigmoid_once():
    xm, yv, w, b = T.dmatrix("x"), T.dvector("y"), T.dvector("w"), T.dscalar("b")
    p_1 = 1 / (1 + T.exp(-T.dot(xm, w) - b))
    xent = -yv * T.log(p_1) - (1 - yv) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    text = pprint(cost)
    assert text.startswith("let t1 = 1 / (1 + exp(-(x @ w) - b)); t2 = -y * log(t1) - (1 - y)")
    assert text.count("exp(") == 1 and len(text) < 200  # PyTensor: 400 characters
    assert text.endswith(" + 0.01 * sum(w ** 2, axis=0)")


def test_a_compiled_gradient_prints_as_its_math():
    """A fused node prints with its root member's precedence: ``(1 - sqr(t)) @ x``, not
    ``1 - sqr(t) @ x`` (which would be another computation)."""
    import symgraph as theano

    x, w = T.dmatrix("x"), T.dvector("w")
    f = theano.function([x, w], T.grad(T.tanh(x @ w).sum(), w))
    assert pprint(f.graph.outputs[0]) == "(1.0 - sqr(tanh(x @ w))) @ x"
