"""The registry-driven op test: every op's values against NumPy, its code against its impl.

Every ``TensorOp`` subclass must appear in ``CASES`` (or be an Elemwise row,
walked from the table), so an op added without a test fails here.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph.graph.basic import Constant
from symgraph.graph.traversal import graph_inputs, toposort
from symgraph.tensor import special_functions
from symgraph.tensor.elemwise import ELEMWISE_OPS
from symgraph.tensor.fused import Fused
from symgraph.tensor.linalg_base import scipy_linalg
from symgraph.tensor.nnet.abstract_conv import Im2Col
from symgraph.tensor.reduction import SumOverRows, ones_for_rows
from symgraph.tensor.shape import ShapeEntry
from symgraph.tensor.signal import pool
from symgraph.tensor.variable import TensorOp

rng = np.random.default_rng(20261121)


def check_node_code(node, values):
    """Run the op's generated lines on the input values; they must match ``impl``."""
    names = [f"in{i}" for i in range(len(node.inputs))]
    outs = [f"out{i}" for i in range(len(node.outputs))]
    namespace = {
        "np": np,
        "special": special_functions,
        "scipy_linalg": scipy_linalg,
        "ones_for_rows": ones_for_rows,
    }
    namespace.update(zip(names, values))
    for out, (position, *_) in node.op.destroy_map.items():
        # an output that overwrites its input is named as the input, as codegen names it
        namespace[names[position]] = copy.deepcopy(values[position])
        outs[out] = names[position]
    exec("\n".join(node.op.emit(outs, names)), namespace)
    expected = node.op.impl(*values)
    expected = expected if len(node.outputs) > 1 else (expected,)
    for out, want in zip(outs, expected):
        np.testing.assert_array_equal(np.asarray(namespace[out]), np.asarray(want))


def check(expr, inputs, expected, rtol=1e-12):
    """Evaluate ``expr``; compare with ``expected``; check types and every node's code."""
    result = expr.eval(inputs)
    expected = np.asarray(expected)
    assert result.dtype == expr.dtype, f"{expr.owner.op}: declared {expr.dtype}, got {result.dtype}"
    assert result.ndim == expr.ndim
    for want, got in zip(expr.type.shape, result.shape):
        assert want is None or want == got, f"static shape {expr.type.shape} vs {result.shape}"
    np.testing.assert_allclose(result, expected, rtol=rtol, atol=1e-12)
    values = {v: np.asarray(x) for v, x in inputs.items()}
    for node in toposort([expr]):
        args = []
        for v in node.inputs:
            if v not in values:
                values[v] = v.value if isinstance(v, Constant) else None
            args.append(values[v])
        check_node_code(node, args)
        outs = node.op.impl(*args)
        for v, r in zip(node.outputs, outs if len(node.outputs) > 1 else (outs,)):
            values[v] = np.asarray(r)


# -- elementwise rows --------------------------------------------------------------------------

#: independent references (NumPy, math) and input domains per row
REFERENCE = {
    "sigmoid": np.vectorize(lambda v: 1 / (1 + math.exp(-v)), otypes=[float]),
    "softplus": np.vectorize(lambda v: math.log1p(math.exp(v)), otypes=[float]),
    "erf": np.vectorize(math.erf, otypes=[float]),
    "erfc": np.vectorize(math.erfc, otypes=[float]),
    "gamma": np.vectorize(math.gamma, otypes=[float]),
    "gammaln": np.vectorize(math.lgamma, otypes=[float]),
    "sqr": lambda a: a * a,
    "round": lambda a: np.round(a),
    "switch": np.where,
    "xlogx": lambda a: a * np.log(a),
    "xlogy0": lambda a, b: a * np.log(b),
}
POSITIVE = {"log", "log2", "log10", "sqrt", "gamma", "gammaln", "psi", "trigamma", "pow"}
POSITIVE |= {"xlogx", "xlogy0"}
UNIT = {"arcsin", "arccos", "arctanh"}
NONZERO_DIVISOR = {"true_div", "int_div", "mod"}
INTEGER_ONLY = {"invert", "and_", "or_", "xor"}


def sample(name: str, shape, dtype: str) -> np.ndarray:
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith("int"):
        low = 1 if name in NONZERO_DIVISOR | POSITIVE else -5
        return rng.integers(low, 6, size=shape).astype(dtype)
    if name in POSITIVE:
        return rng.uniform(0.5, 3.0, shape).astype(dtype)
    if name in UNIT:
        return rng.uniform(-0.9, 0.9, shape).astype(dtype)
    if name == "arccosh":
        return rng.uniform(1.1, 3.0, shape).astype(dtype)
    if name in NONZERO_DIVISOR:
        return (rng.uniform(0.5, 3.0, shape) * rng.choice([-1, 1], shape)).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


SHAPE_SETS = {
    1: [[()], [(4,)], [(2, 3)], [(0, 3)]],
    2: [[(), ()], [(2, 3), (2, 3)], [(2, 1), (3,)], [(0, 3), (1, 3)]],
    3: [[(2, 3), (2, 3), (2, 3)], [(3,), (2, 1), ()]],
}


@pytest.mark.parametrize("op", ELEMWISE_OPS, ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool"])
def test_elemwise_matches_numpy(op, dtype):
    if op.name in INTEGER_ONLY and dtype[0] == "f":
        with pytest.raises(TypeError, match=op.name):
            op(*[T.tensor(dtype=dtype, shape=(None,))] * op.nin)
        return
    if dtype == "bool" and op.name not in INTEGER_ONLY | {"eq", "neq", "switch"}:
        return
    for shapes in SHAPE_SETS[op.nin]:
        dtypes = [dtype] * op.nin
        if op.name == "switch":
            dtypes[0] = "bool"
        values = [sample(op.name, s, d) for s, d in zip(shapes, dtypes)]
        variables = [T.tensor(dtype=d, shape=(None,) * len(s)) for s, d in zip(shapes, dtypes)]
        reference = REFERENCE.get(op.name, op.fn)
        with np.errstate(all="ignore"):
            expected = np.asarray(reference(*values)).astype(op(*variables).dtype)
            check(
                op(*variables),
                dict(zip(variables, values)),
                expected,
                rtol=1e-5 if dtype == "float32" else 1e-12,
            )


def test_python_scalars_do_not_widen_dtypes():
    x32 = T.fvector("x")
    assert (x32 * 0.5).dtype == "float32"
    assert (2 * x32).dtype == "float32"
    assert (T.bvector("b") + 1).dtype == "int8"
    assert (T.bvector("b") + 1000).dtype == "int16"
    assert (T.ivector("i") * 0.5).dtype == "float64"
    assert (T.dvector("d") + T.fvector("f")).dtype == "float64"
    assert (T.lvector("i") < 0.5).dtype == "bool"


# -- ops with parameters -----------------------------------------------------------------------

X = rng.normal(size=(3, 4))
V = rng.normal(size=4)
A3 = rng.normal(size=(2, 3, 4))
IV = np.array([0, 2, 2])
x, v, a3 = T.dmatrix("x"), T.dvector("v"), T.dtensor3("a3")
iv, i = T.lvector("iv"), T.lscalar("i")
empty = T.tensor("empty", dtype="float64", shape=(0, 3))
BINDINGS = {x: X, v: V, a3: A3, iv: IV, i: 1, empty: np.zeros((0, 3))}


def incremented(base, index, value, accumulate=False):
    """``base`` with ``value`` added at ``index``: the NumPy reference of inc_subtensor."""
    out = base.copy()
    if accumulate:
        np.add.at(out, index, value)
    else:
        out[index] += value
    return out


# linear algebra, sorting and extra ops
SQ = rng.normal(size=(4, 4)) + 4 * np.eye(4)
PD = SQ @ SQ.T
sq, pd = T.dmatrix("sq"), T.dmatrix("pd")
BINDINGS.update({sq: SQ, pd: PD})


def _reference(name, *args, **kwargs):
    """A SciPy function: the reference for ops that call SciPy (or NumPy's own fallback)."""
    import scipy.linalg

    return getattr(scipy.linalg, name)(*args, **kwargs)


# convolution and pooling: integer-valued data, so every order of summation gives the same floats
IMAGES = rng.integers(-3, 4, size=(2, 3, 7, 6)).astype(float)
FILTERS = rng.integers(-2, 3, size=(4, 3, 3, 2)).astype(float)
OUT_GRAD = rng.integers(-2, 3, size=(2, 4, 5, 5)).astype(float)
POOLED = IMAGES[..., :6, :6].reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5))
images, filters, out_grad = T.dtensor4("images"), T.dtensor4("filters"), T.dtensor4("out_grad")
BINDINGS |= {images: IMAGES, filters: FILTERS, out_grad: OUT_GRAD}
WINDOWS = np.lib.stride_tricks.sliding_window_view(IMAGES, (3, 2), axis=(2, 3))
FULL = np.lib.stride_tricks.sliding_window_view(
    np.pad(OUT_GRAD, ((0, 0), (0, 0), (2, 2), (1, 1))), (3, 2), axis=(2, 3)
)


def unpooled(a):
    """Each pooled 2x2 value back on its window, and zeros on the uncovered last row."""
    spread = np.repeat(np.repeat(a, 2, axis=-2), 2, axis=-1)
    return np.pad(spread, ((0, 0), (0, 0), (0, 1), (0, 0)))


#: op class -> list of (expression, NumPy reference)
CASES = {
    "Cast": [
        (T.cast(x, "float32"), X.astype("float32")),
        (T.cast(x > 0, "int8"), (X > 0).astype("int8")),
    ],
    "Reduce": [
        (x.sum(), X.sum()),
        (x.sum(axis=0), X.sum(0)),
        (a3.sum(axis=(0, 2), keepdims=True), A3.sum((0, 2), keepdims=True)),
        (a3.prod(axis=-1), A3.prod(-1)),
        (x.max(axis=1), X.max(1)),
        (a3.min(axis=(1, 2)), A3.min((1, 2))),
        ((x > 0).all(axis=0), (X > 0).all(0)),
        ((x > 0).any(), (X > 0).any()),
        (x.mean(), X.mean()),
        (a3.mean(axis=(0, 1), keepdims=True), A3.mean((0, 1), keepdims=True)),
        (x.var(axis=0), X.var(0)),
        (x.std(axis=-1, ddof=1), X.std(-1, ddof=1)),
        (T.sum(empty, axis=0), np.zeros(3)),
    ],
    "SumOverRows": [
        (SumOverRows()(x), X.sum(0)),
        (SumOverRows()(x.T), X.T.sum(0)),  # a transposed view: BLAS reads it as it lies
        (SumOverRows()(T.cast(x, "float32")), X.astype("float32").sum(0)),
        (SumOverRows()(empty), np.zeros(3)),
    ],
    "ArgReduce": [
        (x.argmax(), X.argmax()),
        (x.argmin(axis=0), X.argmin(0)),
        (a3.argmax(axis=-1, keepdims=True), A3.argmax(-1, keepdims=True)),
        (a3.argmax(axis=(1, 2)), A3.reshape(2, -1).argmax(1)),
    ],
    "Shape": [(x.shape, np.array(X.shape)), (a3.shape[1], 3), (x.size, X.size)],
    "ShapeEntry": [
        (ShapeEntry(1)(x), 4),
        (ShapeEntry(2, "float64")(a3), 4.0),
        (ShapeEntry(0, "float32")(v), np.float32(4)),
    ],
    "DimShuffle": [
        (x.T, X.T),
        (a3.dimshuffle(2, "x", 0, 1), A3.transpose(2, 0, 1)[:, None]),
        (v.dimshuffle("x", 0), V[None]),
        (v.dimshuffle("x", 0).dimshuffle(1), V),
        (a3.transpose(1, 0, 2), A3.transpose(1, 0, 2)),
    ],
    "Reshape": [
        (x.reshape((4, 3)), X.reshape(4, 3)),
        (a3.reshape((2, -1)), A3.reshape(2, -1)),
        (a3.flatten(), A3.ravel()),
        (a3.flatten(2), A3.reshape(2, -1)),
        (x.reshape((x.shape[1], x.shape[0])), X.reshape(4, 3)),
    ],
    "Alloc": [
        (T.zeros((2, 3)), np.zeros((2, 3))),
        (T.ones(4, dtype="int32"), np.ones(4, "int32")),
        (T.zeros_like(x), np.zeros_like(X)),
        (T.ones_like(iv), np.ones_like(IV)),
        (T.fill(x, 2.5), np.full_like(X, 2.5)),
        (T.alloc(v, 2, 4), np.broadcast_to(V, (2, 4))),
    ],
    "Join": [
        (T.concatenate([x, x], axis=1), np.concatenate([X, X], 1)),
        (T.concatenate([x, x[:1]], axis=0), np.concatenate([X, X[:1]])),
        (T.stack([v, v, v]), np.stack([V, V, V])),
        (T.stack([x, x], axis=-1), np.stack([X, X], -1)),
        (T.stack([i, 2, 3]), np.array([1, 2, 3])),
    ],
    "Repeat": [
        (T.repeat(x, 2, axis=0), np.repeat(X, 2, 0)),
        (T.repeat(v[:2], iv[:2] + 1), np.repeat(V[:2], IV[:2] + 1)),
    ],
    "Tile": [(T.tile(x, (2, 1)), np.tile(X, (2, 1))), (T.tile(v, (2, 2)), np.tile(V, (2, 2)))],
    "Eye": [(T.eye(3), np.eye(3)), (T.eye(i + 2, 4, 1), np.eye(3, 4, 1))],
    "ARange": [
        (T.arange(5), np.arange(5)),
        (T.arange(i, 7, 2), np.arange(1, 7, 2)),
        (T.arange(0.0, 1.0, 0.25), np.arange(0, 1, 0.25)),
    ],
    "AllocDiag": [(T.diag(v), np.diag(V)), (T.diag(v, -2), np.diag(V, -2))],
    "Dot": [
        (T.dot(x, v), X @ V),
        (T.dot(v, v), V @ V),
        (T.dot(x.T, x), X.T @ X),
        (T.dot(v, x.T), V @ X.T),
        (a3 @ x.T, A3 @ X.T),
        (T.batched_dot(a3, a3.dimshuffle(0, 2, 1)), np.einsum("bij,bkj->bik", A3, A3)),
        (T.batched_dot(x, x), np.einsum("ij,ij->i", X, X)),
        (T.batched_dot(a3, x[:2, :]), np.einsum("bij,bj->bi", A3, X[:2])),
    ],
    "Tensordot": [
        (T.tensordot(a3, x, [[1, 2], [0, 1]]), np.tensordot(A3, X, [[1, 2], [0, 1]])),
        (T.tensordot(x, x.T, 1), X @ X.T),
        (T.dot(a3, v), A3 @ V),
    ],
    "Subtensor": [
        (x[1:-1, ::2], X[1:-1, ::2]),
        (x[i], X[1]),
        (x[-1, i:], X[-1, 1:]),
        (x[iv], X[IV]),
        (x[x > 0], X[X > 0]),
        (x[:, None], X[:, None]),
        (a3[..., 0], A3[..., 0]),
        (a3[0, iv, 1:3], A3[0, IV, 1:3]),
        (a3[iv[:2] - 1, :, iv[:2]], A3[IV[:2] - 1, :, IV[:2]]),
        (T.take(x, iv, axis=1), np.take(X, IV, axis=1)),
        (T.take(x, iv), np.take(X, IV)),
        (x[::-1], X[::-1]),
    ],
    "IncSubtensor": [
        (T.set_subtensor(x[0], 5.0), np.vstack([np.full(4, 5.0), X[1:]])),
        (
            T.inc_subtensor(x[1:, ::2], 1.0),
            incremented(X, (slice(1, None), slice(None, None, 2)), 1.0),
        ),
        (T.inc_subtensor(x[iv], v), incremented(X, IV, V, accumulate=True)),
        (T.set_subtensor(x[x > 0], 0.0), np.where(X > 0, 0, X)),
        (T.inc_subtensor(v[iv], 1.0), incremented(V, IV, 1.0, accumulate=True)),
    ],
    "Softmax": [
        (T.nnet.softmax(x), np.exp(X) / np.exp(X).sum(1, keepdims=True)),
        (T.special.softmax(x, axis=0), np.exp(X) / np.exp(X).sum(0)),
    ],
    "LogSoftmax": [(T.nnet.log_softmax(x), X - np.log(np.exp(X).sum(1, keepdims=True)))],
    "Fused": [
        (
            Fused(
                (
                    (T.exp, (0,)),
                    (T.add, (("member", 0), 1)),
                    (T.mul, (("member", 1), ("literal", 2.0, "float64"))),
                ),
                2,
            )(x, v),
            (np.exp(X) + V) * 2.0,
        )
    ],
    "ExtractDiag": [
        (T.diag(x), np.diag(X)),
        (T.diag(x, 1), np.diag(X, 1)),
        (T.diagonal(x, -1), np.diagonal(X, -1)),
        (T.diagonal(a3, 1, 2, 0), np.diagonal(A3, 1, 2, 0)),
    ],
    "MatrixInverse": [(T.nlinalg.matrix_inverse(sq), np.linalg.inv(SQ))],
    "MatrixPinv": [
        (T.nlinalg.pinv(x), np.linalg.pinv(X)),
        (T.nlinalg.pinv(pd, hermitian=True), np.linalg.pinv(PD, hermitian=True)),
    ],
    "Det": [(T.nlinalg.det(sq), np.linalg.det(SQ)), (T.nlinalg.det(iv[:1, None]), 0.0)],
    "SLogDet": [(T.nlinalg.slogdet(sq)[1], np.linalg.slogdet(SQ)[1])],
    "Eig": [
        (T.nlinalg.eig(sq)[0], np.linalg.eig(SQ)[0].astype(complex)),
        (T.nlinalg.eig(T.eye(2))[1], np.eye(2, dtype=complex)),
    ],
    "Eigh": [
        (T.nlinalg.eigh(pd)[1], np.linalg.eigh(PD)[1]),
        (T.nlinalg.eigh(sq, "U")[0], np.linalg.eigh(SQ, "U")[0]),
        (T.slinalg.eigvalsh(sq, pd), _reference("eigvalsh", SQ, PD)),
    ],
    "SVD": [
        (T.nlinalg.svd(x)[0], np.linalg.svd(X)[0]),
        (T.nlinalg.svd(x, full_matrices=False)[2], np.linalg.svd(X, False)[2]),
        (T.nlinalg.svd(x, compute_uv=False), np.linalg.svd(X, compute_uv=False)),
    ],
    "QR": [
        (T.nlinalg.qr(x.T)[0], np.linalg.qr(X.T)[0]),
        (T.nlinalg.qr(x, "complete")[1], np.linalg.qr(X, "complete")[1]),
        (T.nlinalg.qr(x, "r"), np.linalg.qr(X, "r")),
        (T.nlinalg.qr(x, "raw")[1], np.linalg.qr(X, "raw")[1]),
    ],
    "Cholesky": [
        (T.slinalg.cholesky(pd), np.linalg.cholesky(PD)),
        (T.slinalg.cholesky(pd, lower=False), _reference("cholesky", PD, lower=False)),
        (T.slinalg.cholesky(-pd, on_error="nan"), np.full((4, 4), np.nan)),
    ],
    "Solve": [
        (T.slinalg.solve(sq, x.T), np.linalg.solve(SQ, X.T)),
        (T.slinalg.solve(sq, v, assume_a="sym"), np.linalg.solve(SQ, V)),
        (
            T.slinalg.solve_lower_triangular(sq, v),
            _reference("solve_triangular", SQ, V, lower=True),
        ),
        (T.slinalg.solve_upper_triangular(sq, x.T), _reference("solve_triangular", SQ, X.T)),
        (T.slinalg.solve_triangular(sq, v, trans=1), _reference("solve_triangular", SQ, V, 1)),
    ],
    "Expm": [(T.slinalg.expm(sq / 4), _reference("expm", SQ / 4))],
    "Sort": [
        (T.sort(x), np.sort(X)),
        (T.sort(a3, axis=0, kind="stable"), np.sort(A3, axis=0, kind="stable")),
        (T.sort(x, axis=None), np.sort(X, axis=None)),
    ],
    "ArgSort": [(T.argsort(x, axis=0), np.argsort(X, axis=0)), (T.argsort(v), np.argsort(V))],
    "CumOp": [
        (T.cumsum(x, axis=1), np.cumsum(X, axis=1)),
        (T.cumprod(a3, axis=-2), np.cumprod(A3, axis=-2)),
        (T.cumsum(iv), np.cumsum(IV)),
        (T.extra_ops.cumprod(x), np.cumprod(X)),
    ],
    "SearchsortedOp": [
        (T.extra_ops.searchsorted(T.sort(v), x), np.searchsorted(np.sort(V), X)),
        (
            T.extra_ops.searchsorted(v, 0.5, "right", T.argsort(v)),
            np.searchsorted(V, 0.5, "right", np.argsort(V)),
        ),
    ],
    "Bincount": [
        (T.bincount(iv), np.bincount(IV)),
        (T.bincount(iv, v[:3], minlength=5), np.bincount(IV, V[:3], 5)),
    ],
    "Unique": [
        (T.extra_ops.unique(iv), np.unique(IV)),
        (T.extra_ops.unique(iv, True, True, True)[2], np.unique(IV, return_inverse=True)[1]),
        (
            T.extra_ops.unique(T.round(x), return_counts=True, axis=1)[0],
            np.unique(np.round(X), axis=1),
        ),
    ],
    "UnravelIndex": [
        (T.unravel_index(iv + 5, (3, 4))[0], np.unravel_index(IV + 5, (3, 4))[0]),
        (T.unravel_index(i + 7, (3, 4), order="F")[1], np.unravel_index(8, (3, 4), order="F")[1]),
    ],
    "RavelMultiIndex": [
        (T.ravel_multi_index((iv, iv + 1), (3, 4)), np.ravel_multi_index((IV, IV + 1), (3, 4))),
        (
            T.ravel_multi_index((iv, i), (2, 3), mode="clip", order="F"),
            np.ravel_multi_index((IV, 1), (2, 3), mode="clip", order="F"),
        ),
    ],
    "SpecifyShape": [
        (T.specify_shape(x, (3, None)) * 2.0, X * 2.0),
        (T.addbroadcast(T.unbroadcast(x[:1], 0), 0), X[:1]),
    ],
    "Conv2d": [
        (
            T.nnet.conv2d(images, filters, filter_flip=False),
            np.einsum("bchwij,fcij->bfhw", WINDOWS, FILTERS),
        ),
        (
            T.nnet.conv2d(images, filters, border_mode="half", subsample=(2, 2)),
            np.einsum(
                "bchwij,fcij->bfhw",
                np.lib.stride_tricks.sliding_window_view(
                    np.pad(IMAGES, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 2), axis=(2, 3)
                )[:, :, ::2, ::2],
                FILTERS[:, :, ::-1, ::-1],
            ),
        ),
    ],
    "Conv2dGradInputs": [
        (
            T.nnet.abstract_conv.conv2d_grad_wrt_inputs(
                out_grad, filters, (2, 3, 7, 6), filter_flip=False
            ),
            np.einsum("bfhwij,fcij->bchw", FULL, FILTERS[:, :, ::-1, ::-1]),
        )
    ],
    "Conv2dGradWeights": [
        (
            T.nnet.abstract_conv.conv2d_grad_wrt_weights(
                images, out_grad, (4, 3, 3, 2), filter_flip=False
            ),
            np.einsum("bfhw,bchwij->fcij", OUT_GRAD, WINDOWS),
        )
    ],
    "Pool": [
        (pool.pool_2d(images, (2, 2), ignore_border=True), POOLED),
        (
            pool.pool_2d(images, (2, 2), ignore_border=False, mode="sum"),
            np.pad(IMAGES, ((0, 0), (0, 0), (0, 1), (0, 0)))
            .reshape(2, 3, 4, 2, 3, 2)
            .sum(axis=(3, 5)),
        ),
    ],
    "MaxPoolGrad": [
        (
            pool.MaxPoolGrad((2, 2), (2, 2), ignore_border=True)(
                images, POOLED, OUT_GRAD[:, :3, :3, :3]
            ),
            (IMAGES == unpooled(POOLED)) * unpooled(OUT_GRAD[:, :3, :3, :3]),
        )
    ],
    "AveragePoolGrad": [
        (
            pool.AveragePoolGrad((2, 2), (2, 2), ignore_border=True, mode="sum")(
                images, OUT_GRAD[:, :3, :3, :3]
            ),
            unpooled(OUT_GRAD[:, :3, :3, :3]),
        )
    ],
    "DownsampleFactorMaxGradGrad": [
        (
            pool.DownsampleFactorMaxGradGrad((2, 2), (2, 2), ignore_border=True)(
                images, POOLED, IMAGES
            ),
            (IMAGES * (IMAGES == unpooled(POOLED)))[..., :6, :6]
            .reshape(2, 3, 3, 2, 3, 2)
            .sum(axis=(3, 5)),
        )
    ],
    "Im2Col": [
        (
            Im2Col(kshp=(None, None, 3, 2))(images),
            WINDOWS.transpose(1, 4, 5, 0, 2, 3).reshape(18, -1),
        )
    ],
}


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_op_has_a_case():
    names = {
        cls.__name__
        for cls in _all_subclasses(TensorOp)
        if cls.__module__.startswith("symgraph.tensor")
    }
    missing = names - set(CASES) - {"Elemwise"}
    assert not missing, f"ops without a value test: {sorted(missing)}"


@pytest.mark.parametrize(
    "expr, expected",
    [case for cases in CASES.values() for case in cases],
    ids=[f"{name}-{k}" for name, cases in CASES.items() for k in range(len(cases))],
)
def test_op_matches_numpy(expr, expected):
    bindings = {k: val for k, val in BINDINGS.items() if k in graph_inputs([expr])}
    check(expr, bindings, expected)
