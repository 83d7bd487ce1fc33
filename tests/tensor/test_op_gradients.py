"""Every op's pullback against central finite differences (float64, tight tolerance).

Elementwise rows come from the table itself; every other tensor op needs an
entry in ``CASES``, and ``test_every_tensor_op_has_a_gradient_case`` fails
when an op is added without one. Scalar rows are also checked against
``sympy.diff`` of the row's SymPy counterpart; piecewise-constant ops must
give zero gradients.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import numpy as np
import pytest
import sympy

import symgraph
import symgraph.tensor as T
from symgraph import gradient
from symgraph.gradient import NullTypeGradError, grad, verify_grad
from symgraph.graph.traversal import toposort
from symgraph.tensor import decompositions
from symgraph.tensor.elemwise import ELEMWISE_OPS, Elemwise
from symgraph.tensor.fused import Fused
from symgraph.tensor.nnet.abstract_conv import (
    Conv2d,
    Conv2dGradInputs,
    Conv2dGradWeights,
    Im2Col,
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
)
from symgraph.tensor.reduction import SumOverRows
from symgraph.tensor.shape import ShapeEntry
from symgraph.tensor.signal import pool
from symgraph.tensor.variable import TensorOp

TOLERANCE = {"abs_tol": 1e-7, "rel_tol": 1e-7}

#: where each elementwise row is smooth: (low, high) per input; (-2, 2) otherwise
DOMAINS = {
    "true_div": [(-2, 2), (0.5, 2)],
    "mod": [(2.2, 2.9), (1.02, 1.08)],  # x / y stays inside (2, 3): away from the jumps
    "pow": [(0.5, 2), (-2, 2)],
    "sqrt": [(0.5, 2)],
    "log": [(0.5, 2)],
    "log2": [(0.5, 2)],
    "log10": [(0.5, 2)],
    "log1p": [(-0.5, 2)],
    "tan": [(-1.2, 1.2)],
    "arcsin": [(-0.9, 0.9)],
    "arccos": [(-0.9, 0.9)],
    "arctanh": [(-0.9, 0.9)],
    "arccosh": [(1.2, 3)],
    "gamma": [(0.5, 3)],
    "gammaln": [(0.5, 3)],
    "psi": [(0.5, 3)],
    "trigamma": [(0.5, 3)],
    "clip": [(-2, 2), (-1.0, -0.6), (0.6, 1.0)],
    "xlogx": [(0.5, 2)],
    "xlogy0": [(-2, 2), (0.5, 2)],
}
#: broadcast shapes of the inputs of a row, by number of inputs
SHAPES = {1: [(2, 3)], 2: [(2, 3), (3,)], 3: [(2, 3), (1, 3), (2, 1)]}


def _points(row: Elemwise, shapes, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    domains = DOMAINS.get(row.name, [(-2, 2)] * row.nin)
    return [rng.uniform(lo, hi, size=shape) for (lo, hi), shape in zip(domains, shapes)]


def _check(fun: Callable, *points) -> None:
    verify_grad(
        fun, [np.asarray(p, dtype=float) for p in points], rng=np.random.default_rng(0), **TOLERANCE
    )


def _random(*shape, low=-2.0, high=2.0, seed=0) -> np.ndarray:
    return np.random.default_rng(seed + len(shape)).uniform(low, high, size=shape)


# -- elementwise rows --------------------------------------------------------------------------

NOT_DIFFERENTIABLE = {"trigamma"}


def _is_piecewise_constant(row: Elemwise) -> bool:
    return row.derivative is None


def _check_row(row: Elemwise) -> None:
    if row.name in NOT_DIFFERENTIABLE:
        x = T.dmatrix("x")
        with pytest.raises(NullTypeGradError, match=row.name):
            grad(row(x).sum(), x)
    elif _is_piecewise_constant(row):
        _check_piecewise_constant(row)
    else:
        _check(row, *_points(row, SHAPES[row.nin]))


def _check_piecewise_constant(row: Elemwise) -> None:
    """The pullback gives None for every input, and grad gives zeros."""
    integer = row.name in ("and_", "or_", "xor", "invert")
    inputs = [T.lmatrix(f"x{i}") if integer else T.dmatrix(f"x{i}") for i in range(row.nin)]
    out = row(*inputs)
    assert row.pullback(inputs, [out], [T.ones_like(out, dtype="float64")]) == [None] * row.nin
    grads = grad(T.cast(out, "float64").sum(), inputs)
    values = {x: np.ones((2, 3), dtype=x.dtype) for x in inputs}
    for g in grads:
        np.testing.assert_array_equal(g.eval(values), np.zeros((2, 3)))


def _sympy_derivatives(row: Elemwise, values: list[float]) -> list[float]:
    symbols = sympy.symbols(f"a0:{row.nin}", real=True)
    args = list(symbols)
    if row is T.switch:
        args[0] = sympy.Ne(symbols[0], 0)  # switch's condition is a truth value
    expr = row.sympy(*args).rewrite(sympy.floor)
    at = dict(zip(symbols, values))
    result = []
    for s in symbols:
        derivative = sympy.diff(expr, s).doit()
        derivative = derivative.replace(  # floor is piecewise constant: its derivative is 0
            lambda e: isinstance(e, sympy.Derivative) and e.expr.has(sympy.floor), lambda e: 0
        )
        result.append(float(derivative.doit().subs(at).evalf()))
    return result


SMOOTH_ROWS = [
    row
    for row in ELEMWISE_OPS
    if not _is_piecewise_constant(row) and row.name not in NOT_DIFFERENTIABLE
]


@pytest.mark.parametrize("row", SMOOTH_ROWS, ids=lambda row: row.name)
def test_elementwise_derivative_matches_sympy(row):
    inputs = [T.dscalar(f"a{i}") for i in range(row.nin)]
    symbolic = grad(row(*inputs), inputs)
    for seed in range(3):
        values = [float(p) for p in _points(row, [()] * row.nin, seed)]
        given = dict(zip(inputs, values))
        ours = [float(g.eval(given)) for g in symbolic]
        np.testing.assert_allclose(ours, _sympy_derivatives(row, values), rtol=1e-12, atol=1e-12)


def test_pow_derivative_at_zero_with_integer_exponents():
    x, y = T.dvector("x"), T.dvector("y")
    gx, gy = grad(T.pow(x, y).sum(), [x, y])
    zeros = np.zeros(4)
    exponents = np.array([0.0, 1.0, 2.0, 3.0])
    # np.where evaluates both branches: 0 ** -1 warns, and the guard discards it
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(gx.eval({x: zeros, y: exponents}), [0.0, 1.0, 0.0, 0.0])
        np.testing.assert_array_equal(gy.eval({x: zeros, y: exponents}), [0.0, 0.0, 0.0, 0.0])
    # negative bases with integer exponents are smooth too
    np.testing.assert_allclose(gx.eval({x: [-2.0] * 4, y: exponents}), [0.0, 1.0, -4.0, 12.0])


def test_pow_with_a_nonzero_constant_exponent_needs_no_guard():
    x = T.dvector("x")
    g = grad((x**2).sum(), x)
    assert not any(node.op is T.switch for node in toposort([g]))
    np.testing.assert_array_equal(g.eval({x: [0.0, -1.5]}), [0.0, -3.0])


# -- every other tensor op ---------------------------------------------------------------------


def fd(fun: Callable, *points: np.ndarray) -> Callable[[], None]:
    """A case: ``fun``'s gradient against finite differences at ``points``."""
    return lambda: _check(fun, *points)


def _reduce_ties_split_evenly(kind: str) -> None:
    x = T.dmatrix("x")
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]) * (1 if kind == "max" else -1)
    g = grad(getattr(T, kind)(x, axis=1).sum(), x).eval({x: data})
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def _prod_with_zeros() -> None:
    x = T.dmatrix("x")
    data = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    g = grad(T.prod(x, axis=1).sum(), x).eval({x: data})
    np.testing.assert_array_equal(g, [[0, 24, 0, 0], [0, 0, 0, 0], [24, 12, 8, 6]])
    _check(lambda x: T.prod(x, axis=1), data)  # finite differences agree at zeros too


def _zero_gradient(fun: Callable, *points: np.ndarray) -> Callable[[], None]:
    """A case for an op whose output is piecewise constant or integer: zero gradients."""

    def case() -> None:
        inputs = [
            T.TensorType("float64", (None,) * np.ndim(p))(f"x{i}") for i, p in enumerate(points)
        ]
        cost = T.cast(fun(*inputs), "float64").sum()
        for g, p in zip(grad(cost, inputs), points):
            np.testing.assert_array_equal(g.eval(dict(zip(inputs, points))), np.zeros_like(p))

    return case


def _none_pullback(op_class: type, build: Callable[[], T.TensorVariable]) -> Callable[[], None]:
    """A case for an op with only integer or shape-like inputs: its pullback gives None."""

    def case() -> None:
        out = build()
        assert isinstance(out.owner.op, op_class)
        g = T.ones_like(out, dtype="float64")
        assert out.owner.op.pullback(out.owner.inputs, [out], [g]) == [None] * len(out.owner.inputs)

    return case


def _cast_gradients() -> None:
    x = T.dvector("x")
    g = grad(T.cast(x, "float32").sum(), x)
    assert g.dtype == "float64"
    np.testing.assert_array_equal(g.eval({x: [1.0, 2.0]}), [1.0, 1.0])
    i = T.lvector("i")
    g = grad((T.cast(i, "float64") * x).sum(), i)  # an integer input: zero, as in Theano
    np.testing.assert_array_equal(g.eval({i: [1, 2], x: [3.0, 4.0]}), [0.0, 0.0])
    assert T.cast(x, "int64").owner.op.pullback([x], [T.lvector()], [T.lvector()]) == [None]


def _arange_gradients() -> None:
    start, step = T.dscalar("start"), T.dscalar("step")
    values = T.arange(start, 4.0, step)
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    gstart, gstep = grad((values * weights).sum(), [start, step])
    given = {start: 0.5, step: 0.9}  # 0.5, 1.4, 2.3, 3.2
    assert values.eval(given).shape == (4,)
    assert float(gstart.eval(given)) == pytest.approx(weights.sum())
    assert float(gstep.eval(given)) == pytest.approx((weights * np.arange(4)).sum())


def _identity_op(kind: str) -> Callable[[], None]:
    """Forward: the identity; backward: nothing flows through, only the direct path counts."""

    def case() -> None:
        x = T.dvector("x")
        y = getattr(gradient, kind)(x)
        assert y.owner.op.forward_identity and y.owner.op.code("x") == "x"
        np.testing.assert_array_equal(y.eval({x: [1.0, 2.0]}), [1.0, 2.0])
        g = grad((y * 3 + x).sum(), x)
        np.testing.assert_array_equal(g.eval({x: [1.0, 2.0]}), [1.0, 1.0])

    return case


def _grad_clip() -> None:
    x = T.dvector("x")
    g = grad((gradient.grad_clip(x, -1.0, 2.0) * [5.0, -5.0, 0.5]).sum(), x)
    np.testing.assert_array_equal(g.eval({x: [1.0, 1.0, 1.0]}), [2.0, -1.0, 0.5])


def _grad_scale() -> None:
    x = T.dvector("x")
    g = grad((gradient.grad_scale(x, 3.0) * x).sum(), x)
    np.testing.assert_array_equal(g.eval({x: [1.0, 2.0]}), [4.0, 8.0])


def _undefined_grad() -> None:
    x, y = T.dvectors("x", "y")
    cost = (gradient.undefined_grad(x) * y).sum()
    np.testing.assert_array_equal(grad(cost, y).eval({x: [1.0, 2.0], y: [0.0, 0.0]}), [1.0, 2.0])
    with pytest.raises(NullTypeGradError, match="undefined"):
        grad(cost, x)


def _fused_has_no_pullback() -> None:
    """Fusion runs after differentiation, so a fused node only needs a clear error."""
    x, y = T.dvector("x"), T.dvector("y")
    fused = Fused(((T.exp, (0,)), (T.mul, (("member", 0), 1))), 2)(x, y)
    np.testing.assert_allclose(fused.eval({x: [0.0, 1.0], y: [2.0, 3.0]}), [2.0, 3 * np.e])
    with pytest.raises(NullTypeGradError, match="Fused"):
        grad(fused.sum(), x)


def _im2col_has_no_pullback() -> None:
    """The convolution rewrites make Im2Col after differentiation: it needs only a clear error."""
    x = T.dtensor4("x")
    with pytest.raises(NullTypeGradError, match="Im2Col"):
        grad(Im2Col(kshp=(None, None, 2, 2))(x).sum(), x)


def _check_static(fun: Callable, *points: np.ndarray) -> None:
    """Like ``fd``, with every input's shape static, so ops take their static-shape paths."""
    inputs = [T.TensorType("float64", p.shape)(f"x{i}") for i, p in enumerate(points)]
    out = fun(*inputs)
    weights = np.random.default_rng(0).uniform(0.5, 1.5, size=out.type.shape)
    cost = (out * weights).sum()
    numeric = gradient.numeric_grad(lambda *a: cost.eval(dict(zip(inputs, a))), list(points))
    for g, expected in zip(grad(cost, inputs), numeric.gf):
        assert g.type.shape == expected.shape
        np.testing.assert_allclose(g.eval(dict(zip(inputs, points))), expected, atol=1e-7)


def static(fun: Callable, *points: np.ndarray) -> Callable[[], None]:
    return lambda: _check_static(fun, *points)


A = _random(3, 4)
B = _random(4, 5)
V = _random(4)
BATCH = _random(2, 3, 4)
POSITIVE = _random(2, 3, low=0.5, high=1.5)

# linear algebra, sorting and extra ops
SQUARE = _random(4, 4) + 4 * np.eye(4)
NEGATIVE_DET = SQUARE[[1, 0, 2, 3]]
SPD = SQUARE @ SQUARE.T
TALL = _random(5, 3, seed=1)
WITH_ZEROS = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
nlinalg, slinalg, extra_ops = T.nlinalg, T.slinalg, T.extra_ops


def _no_gradient(cost: Callable[[T.TensorVariable], T.TensorVariable]) -> Callable[[], None]:
    """A case for an op without a derivative rule: ``grad`` raises NullTypeGradError."""

    def check() -> None:
        x = T.dmatrix("x")
        with pytest.raises(NullTypeGradError):
            grad(cost(x), x)

    return check


def _cumprod_with_zeros() -> None:
    """The gradient of cumprod is exact at zeros: no division by them."""
    x = T.dmatrix("x")
    g = grad(T.cumprod(x, axis=1).sum(), x).eval({x: WITH_ZEROS})
    expected = [[1 + 0 + 0 + 0, 2 + 6 + 24, 0, 0], [1 + 5, 0, 0, 0], [33, 16, 10.0, 6.0]]
    np.testing.assert_array_equal(g, expected)
    for axis in (0, 1):
        _check(lambda x: T.cumprod(x, axis=axis), WITH_ZEROS)


IMAGE = _random(1, 2, 5, 4)
FILTER = _random(2, 2, 3, 2, seed=1)
OUT_GRAD = _random(1, 2, 2, 3, seed=2)
MAXIMA = IMAGE[..., :4, :4].reshape(1, 2, 2, 2, 2, 2).max(axis=(3, 5))
POOLED = _random(1, 2, 2, 2, seed=3)
POOLED_ALL = _random(1, 2, 3, 2, seed=4)  # ignore_border=False: the last row is a partial window


def case(check: Callable[[], None], name: str):
    return pytest.param(check, id=name)


CASES: dict[type, list] = {
    Elemwise: [case(lambda row=row: _check_row(row), row.name) for row in ELEMWISE_OPS],
    T.Cast: [case(_cast_gradients, "float-and-int")],
    T.Reduce: [
        case(fd(lambda x: x.sum(), A), "sum-all"),
        case(fd(lambda x: x.sum(axis=1, keepdims=True), A), "sum-keepdims"),
        case(fd(lambda x: x.sum(axis=(0, 2)), BATCH), "sum-axes"),
        case(fd(lambda x: x.prod(axis=1), A), "prod-axis"),
        case(fd(lambda x: x.prod(), POSITIVE), "prod-all"),
        case(_prod_with_zeros, "prod-zeros"),
        case(fd(lambda x: x.max(axis=0), A), "max-axis"),
        case(fd(lambda x: x.min(axis=(1, 2), keepdims=True), BATCH), "min-keepdims"),
        case(lambda: _reduce_ties_split_evenly("max"), "max-ties"),
        case(lambda: _reduce_ties_split_evenly("min"), "min-ties"),
        case(_zero_gradient(lambda x: T.any(x > 0, axis=1), A), "any"),
        case(_zero_gradient(lambda x: T.all(x > 0), A), "all"),
    ],
    SumOverRows: [case(fd(lambda x: SumOverRows()(x), A), "sum-over-rows")],
    T.ArgReduce: [case(_zero_gradient(lambda x: T.argmax(x, axis=1), A), "argmax")],
    T.Shape: [case(_zero_gradient(T.shape, A), "shape")],
    ShapeEntry: [case(_zero_gradient(lambda x: ShapeEntry(1, "float64")(x), A), "shape-entry")],
    T.DimShuffle: [
        case(fd(lambda x: x.dimshuffle(1, "x", 0), A), "transpose-insert"),
        case(fd(lambda x: x.dimshuffle(2, 0), _random(3, 1, 4)), "drop"),
        case(fd(lambda v, m: v.dimshuffle(0, "x") * m, V, B), "broadcast"),
    ],
    T.Reshape: [
        case(fd(lambda x: x.reshape((2, 6)), A), "constant-shape"),
        case(fd(lambda x: x.reshape((x.shape[1], -1)), A), "symbolic-shape"),
        case(fd(lambda x: x.flatten(2), BATCH), "flatten"),
    ],
    T.Alloc: [
        case(fd(lambda v: T.alloc(v, 3, 4), V), "vector"),
        case(fd(lambda v: T.alloc(v, 3, 4), _random(1, 4)), "broadcast-row"),
        case(fd(lambda s, x: T.fill(x, s) * x, np.array(1.5), A), "fill-scalar"),
    ],
    T.Join: [
        case(fd(lambda x, y: T.concatenate([x, y, x]), A, _random(2, 4)), "concatenate-0"),
        case(fd(lambda x, y: T.concatenate([x, y], axis=1), A, _random(3, 2)), "concatenate-1"),
        case(static(lambda x, y: T.concatenate([y, x], axis=1), A, _random(3, 2)), "static"),
        case(fd(lambda x, y: T.stack([x, y, x], axis=1), A, A + 1), "stack"),
        case(fd(lambda a, b: T.stack([a, b]), np.array(0.3), np.array(0.4)), "stack-scalars"),
    ],
    T.Repeat: [
        case(fd(lambda x: T.repeat(x, 2, axis=1), A), "scalar-repeats"),
        case(fd(lambda x: T.repeat(x, [1, 0, 3], axis=0), A), "vector-repeats"),
        case(fd(lambda x: T.repeat(x, 3), A), "flattened"),
        case(static(lambda x: T.repeat(x, 2, axis=0), A), "static"),
    ],
    T.Tile: [
        case(fd(lambda x: T.tile(x, (2, 3)), A), "same-ndim"),
        case(fd(lambda v: T.tile(v, (2, 1, 2)), V), "more-reps"),
        case(fd(lambda x: T.tile(x, (2,)), BATCH), "fewer-reps"),
        case(static(lambda x: T.tile(x, (3, 1)), A), "static"),
    ],
    T.Eye: [case(_none_pullback(T.Eye, lambda: T.eye(T.lscalar("n"), 4, 1)), "integer-params")],
    T.ARange: [
        case(_arange_gradients, "float-start-step"),
        case(_none_pullback(T.ARange, lambda: T.arange(T.lscalar("n"))), "integer"),
    ],
    T.AllocDiag: [
        case(fd(lambda v: T.diag(v), V), "vector"),
        case(fd(lambda v: T.diag(v, 2), V), "vector-k"),
        case(fd(lambda v: T.diag(v, -1), V), "vector-below"),
    ],
    T.Dot: [
        case(fd(T.dot, A, B), "matrix-matrix"),
        case(fd(T.dot, A, V), "matrix-vector"),
        case(fd(T.dot, V, B), "vector-matrix"),
        case(fd(T.dot, V, V + 1), "vector-vector"),
        case(fd(T.matmul, BATCH, B), "batch-matrix"),
        case(fd(T.matmul, A, _random(2, 5, 4).transpose(0, 2, 1)), "matrix-batch"),
        case(fd(T.matmul, BATCH, _random(2, 4, 2)), "batch-batch"),
        case(fd(T.matmul, _random(1, 3, 4), _random(2, 4, 5)), "broadcast-batch"),
        case(fd(T.matmul, V, _random(2, 4, 5)), "vector-batch"),
        case(fd(T.matmul, BATCH, V), "batch-vector"),
        case(static(T.matmul, BATCH, B), "static"),
    ],
    T.Tensordot: [
        case(fd(lambda a, b: T.tensordot(a, b, 1), A, B), "axes-1"),
        case(fd(lambda a, b: T.tensordot(a, b, [[1, 2], [0, 1]]), BATCH, _random(3, 4, 2)), "2"),
        case(
            fd(lambda a, b: T.tensordot(a, b, [[2, 1], [0, 1]]), BATCH, _random(4, 3, 5)), "crossed"
        ),
        case(fd(lambda a, b: T.tensordot(a, b, [[0], [1]]), A, _random(5, 3)), "left-axis"),
        case(fd(lambda a, b: T.tensordot(a, b, 0), V, A), "outer"),
    ],
    T.Subtensor: [
        case(fd(lambda x: x[1:3, ::2], A), "slices"),
        case(fd(lambda x: x[1], A), "int"),
        case(fd(lambda x: x[::-1, None, 2], A), "reverse-newaxis-int"),
        case(fd(lambda x: x[x.shape[0] - 2 :], A), "symbolic-bound"),
        case(fd(lambda x: x[[2, 0, 2, 1]], A), "advanced-repeated"),
        case(fd(lambda x: x[:, [3, 3, 0]], A), "advanced-axis1"),
        case(fd(lambda x: x[[0, 2], [1, 3]], A), "advanced-pairs"),
        case(fd(lambda x: x[[0, 1], :, [1, 3]], BATCH), "advanced-split"),
        case(fd(lambda x: x[T.constant(A > 0)], A), "bool-mask"),
    ],
    T.IncSubtensor: [
        case(fd(lambda x, y: T.set_subtensor(x[1:3], y), A, _random(2, 4)), "set-slice"),
        case(fd(lambda x, y: T.inc_subtensor(x[:, 1], y), A, np.array(0.7)), "inc-broadcast"),
        case(fd(lambda x, y: T.set_subtensor(x[1:], y), A, V), "set-broadcast-row"),
        case(fd(lambda x, y: T.inc_subtensor(x[[0, 0, 2]], y), A, _random(3, 4)), "inc-repeated"),
        case(fd(lambda x, y: T.set_subtensor(x[[2, 0]], y), A, _random(2, 4)), "set-advanced"),
    ],
    T.Softmax: [
        case(fd(T.nnet.softmax, A), "last-axis"),
        case(fd(lambda x: T.nnet.softmax(x, axis=0), A), "axis-0"),
        case(fd(lambda x: T.nnet.softmax(x, axis=1), BATCH), "3d"),
    ],
    T.LogSoftmax: [
        case(fd(T.nnet.log_softmax, A), "last-axis"),
        case(fd(lambda x: T.nnet.log_softmax(x, axis=0), BATCH), "3d"),
    ],
    gradient.DisconnectedGrad: [case(_identity_op("disconnected_grad"), "stop")],
    gradient.ZeroGrad: [case(_identity_op("zero_grad"), "zero")],
    gradient.ConsiderConstant: [case(_identity_op("consider_constant"), "constant")],
    gradient.GradClip: [case(_grad_clip, "clip")],
    Fused: [case(_fused_has_no_pullback, "clear-error")],
    T.ExtractDiag: [
        case(fd(lambda m: T.diag(m), A), "matrix"),
        case(fd(lambda m: T.diag(m, 1), A), "matrix-above"),
        case(fd(lambda m: T.diag(m, -2), A), "matrix-below"),
        case(fd(lambda m: T.diagonal(m, 1, 2, 0), BATCH), "axes"),
    ],
    nlinalg.MatrixInverse: [
        case(fd(nlinalg.matrix_inverse, SQUARE), "square"),
        case(static(nlinalg.matrix_inverse, SQUARE), "static"),
    ],
    nlinalg.MatrixPinv: [
        case(fd(nlinalg.pinv, A), "wide"),
        case(fd(nlinalg.pinv, TALL), "tall"),
        case(fd(lambda x: nlinalg.pinv(x + x.T, hermitian=True), SQUARE), "hermitian"),
    ],
    nlinalg.Det: [
        case(fd(nlinalg.det, SQUARE / 4), "positive"),
        case(fd(nlinalg.det, NEGATIVE_DET / 4), "negative"),
    ],
    nlinalg.SLogDet: [
        case(fd(lambda x: nlinalg.slogdet(x)[1], SQUARE), "positive"),
        case(fd(lambda x: nlinalg.slogdet(x)[1], NEGATIVE_DET), "negative"),
    ],
    decompositions.Eig: [case(_no_gradient(lambda x: abs(nlinalg.eig(x)[0]).sum()), "complex")],
    decompositions.Eigh: [
        case(fd(lambda x: nlinalg.eigh(x)[0], SQUARE), "values"),
        case(fd(lambda x: nlinalg.eigh(x)[1], SQUARE), "vectors"),
        case(fd(lambda x: nlinalg.eigh(x, "U")[1] * nlinalg.eigh(x, "U")[0], SQUARE), "upper"),
        case(fd(lambda a, b: slinalg.eigvalsh(a, b), SQUARE, SPD), "generalized"),
        case(fd(lambda a, b: slinalg.eigvalsh(a, b, lower=False), SQUARE, SPD), "generalized-U"),
    ],
    decompositions.SVD: [
        case(fd(lambda x: nlinalg.svd(x, compute_uv=False), A), "values"),
        case(fd(lambda x: nlinalg.svd(x)[1], TALL), "values-of-full"),
        case(fd(lambda x: nlinalg.svd(x, full_matrices=False)[0], A), "u-wide"),
        case(fd(lambda x: nlinalg.svd(x, full_matrices=False)[2], TALL), "vt-tall"),
        case(fd(lambda x: nlinalg.svd(x, full_matrices=False)[0], SQUARE), "u-square"),
        case(_no_gradient(lambda x: nlinalg.svd(x)[0].sum()), "full-u"),
    ],
    decompositions.QR: [
        case(fd(lambda x: nlinalg.qr(x)[0], TALL), "q"),
        case(fd(lambda x: nlinalg.qr(x)[1], SQUARE), "r"),
        case(_no_gradient(lambda x: nlinalg.qr(x, "complete")[0].sum()), "complete"),
    ],
    slinalg.Cholesky: [
        case(fd(slinalg.cholesky, SPD), "lower"),
        case(fd(lambda x: slinalg.cholesky(x, lower=False), SPD), "upper"),
        case(fd(lambda x: slinalg.cholesky(x, on_error="nan"), SPD), "nan-mode"),
        case(static(slinalg.cholesky, SPD), "static"),
    ],
    slinalg.Solve: [
        case(fd(slinalg.solve, SQUARE, TALL[:4]), "matrix-b"),
        case(fd(slinalg.solve, SQUARE, V), "vector-b"),
        case(fd(lambda a, b: slinalg.solve(a, b, assume_a="sym"), SPD, V), "symmetric"),
        case(fd(slinalg.solve_lower_triangular, SQUARE, TALL[:4]), "lower"),
        case(fd(slinalg.solve_upper_triangular, SQUARE, V), "upper"),
        case(fd(lambda a, b: slinalg.solve_triangular(a, b, trans="T"), SQUARE, V), "trans"),
    ],
    slinalg.Expm: [
        case(fd(slinalg.expm, SQUARE / 4), "square"),
        case(fd(lambda x: slinalg.expm(x - x.T), SQUARE / 4), "skew"),
    ],
    T.Sort: [
        case(fd(lambda x: T.sort(x, axis=0), A), "axis-0"),
        case(fd(T.sort, BATCH), "last-axis"),
        case(fd(lambda x: T.sort(x, axis=None), A), "flattened"),
    ],
    T.ArgSort: [case(_zero_gradient(T.argsort, A), "indices")],
    T.CumOp: [
        case(fd(lambda x: T.cumsum(x, axis=0), A), "cumsum-0"),
        case(fd(T.cumsum, BATCH), "cumsum-flat"),
        case(fd(lambda x: T.cumprod(x, axis=-1), A), "cumprod"),
        case(fd(T.cumprod, POSITIVE), "cumprod-flat"),
        case(_cumprod_with_zeros, "cumprod-zeros"),
    ],
    extra_ops.SearchsortedOp: [
        case(_zero_gradient(lambda x: extra_ops.searchsorted(T.sort(x[0]), x), A), "indices")
    ],
    extra_ops.Bincount: [
        case(fd(lambda w: T.bincount(T.constant([2, 0, 2, 5]), w, minlength=7), V), "weights")
    ],
    extra_ops.Unique: [case(_no_gradient(lambda x: extra_ops.unique(x).sum()), "values")],
    extra_ops.UnravelIndex: [
        case(
            _none_pullback(extra_ops.UnravelIndex, lambda: T.unravel_index(T.lvector(), (3, 4))[0]),
            "integer",
        )
    ],
    extra_ops.RavelMultiIndex: [
        case(
            _none_pullback(
                extra_ops.RavelMultiIndex, lambda: T.ravel_multi_index((T.lvector(), 1), (3, 4))
            ),
            "integer",
        )
    ],
    T.SpecifyShape: [
        case(fd(lambda x: T.specify_shape(x, (3, None)) * x, A), "declared"),
        case(static(lambda x: T.unbroadcast(x, 0) * _random(3, 1), _random(1, 4)), "unbroadcast"),
    ],
    gradient.GradScale: [case(_grad_scale, "scaled")],
    gradient.UndefinedGrad: [case(_undefined_grad, "raises-when-needed")],
    Conv2d: [
        case(fd(lambda x, w: T.nnet.conv2d(x, w), IMAGE, FILTER), "valid"),
        case(
            fd(
                lambda x, w: T.nnet.conv2d(x, w, border_mode="half", subsample=(2, 1)),
                IMAGE,
                FILTER,
            ),
            "half-strided",
        ),
        case(
            static(
                lambda x, w: T.nnet.conv2d(x, w, border_mode="full", filter_flip=False),
                IMAGE,
                FILTER,
            ),
            "static",
        ),
    ],
    Conv2dGradInputs: [
        case(
            fd(
                lambda w, g: conv2d_grad_wrt_inputs(g, w, (1, 2, 5, 4), subsample=(2, 1)),
                FILTER,
                OUT_GRAD,
            ),
            "strided",
        )
    ],
    Conv2dGradWeights: [
        case(
            fd(
                lambda x, g: conv2d_grad_wrt_weights(x, g, (2, 2, 3, 2), subsample=(2, 1)),
                IMAGE,
                OUT_GRAD,
            ),
            "strided",
        )
    ],
    pool.Pool: [
        case(fd(lambda x: pool.pool_2d(x, (2, 2), True, mode=mode), IMAGE), mode)
        for mode in pool.MODES
    ],
    pool.MaxPoolGrad: [
        case(
            fd(
                lambda g: pool.MaxPoolGrad((2, 2), (2, 2), ignore_border=True)(IMAGE, MAXIMA, g),
                POOLED,
            ),
            "gz",
        )
    ],
    pool.AveragePoolGrad: [
        case(
            fd(lambda g: pool.AveragePoolGrad((2, 2), (2, 2), mode=mode)(IMAGE, g), POOLED_ALL),
            mode,
        )
        for mode in pool.MODES[1:]
    ],
    pool.DownsampleFactorMaxGradGrad: [
        case(
            fd(
                lambda g: pool.DownsampleFactorMaxGradGrad((2, 2), (2, 2), ignore_border=True)(
                    IMAGE, MAXIMA, g
                ),
                IMAGE,
            ),
            "ggx",
        )
    ],
    Im2Col: [case(_im2col_has_no_pullback, "clear-error")],
}


@pytest.mark.parametrize(
    "check",
    [param for cases in CASES.values() for param in cases],
)
def test_op_gradient(check):
    check()


def _op_classes() -> set[type]:
    """Every op class of the package: the TensorOp subclasses declared as dataclasses."""
    for module in pkgutil.walk_packages(symgraph.__path__, "symgraph."):
        importlib.import_module(module.name)
    found, stack = set(), [TensorOp]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return {
        c
        for c in found
        if c.__module__.startswith("symgraph.") and "__dataclass_params__" in vars(c)
    }


def test_every_tensor_op_has_a_gradient_case():
    missing = sorted(c.__qualname__ for c in _op_classes() - set(CASES))
    assert not missing, f"add gradient cases to CASES for: {', '.join(missing)}"
