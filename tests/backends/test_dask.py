"""The Dask backend (``mode="DASK"``) against the NumPy backend, on arrays of several chunks.

Every op case of ``tests/tensor/test_ops.py`` runs on dask inputs cut into two
chunks along each axis: it matches FAST_RUN, or is refused when the function is
compiled (an ``UnsupportedError`` naming the op and the line that built it).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import symgraph as theano  # noqa: E402
import symgraph.tensor as T  # noqa: E402
from symgraph.backends import UnsupportedError  # noqa: E402
from symgraph.backends.dask import AS_WRITTEN, OVERRIDES  # noqa: E402
from symgraph.graph.traversal import graph_inputs  # noqa: E402
from symgraph.tensor.elemwise import ELEMWISE_OPS  # noqa: E402


def _load_op_cases():
    path = Path(__file__).resolve().parent.parent / "tensor" / "test_ops.py"
    spec = importlib.util.spec_from_file_location("op_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OPS = _load_op_cases()
CASES = [(name, k, expr) for name, cases in OPS.CASES.items() for k, (expr, _) in enumerate(cases)]


def chunked(value: np.ndarray):
    """A dask array of ``value`` in two chunks along every axis longer than one."""
    value = np.asarray(value)
    if value.ndim == 0:
        return value
    return da.from_array(value, chunks=tuple(max(1, math.ceil(n / 2)) for n in value.shape))


def run_both(inputs, outputs, values, **kwargs):
    """FAST_RUN's results on NumPy values and DASK's on chunked ones."""
    expected = theano.function(inputs, outputs, mode="FAST_RUN", **kwargs)(*values)
    lazy = theano.function(inputs, outputs, mode="DASK", **kwargs)
    return expected, lazy(*[chunked(v) for v in values]), lazy


def assert_same(got, want):
    assert isinstance(got, np.ndarray), type(got)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, k, expr", CASES, ids=[f"{n}-{k}" for n, k, _ in CASES])
def test_every_op_case_matches_numpy_or_is_refused_at_compile_time(name, k, expr):
    inputs = [v for v in OPS.BINDINGS if v in graph_inputs([expr])]
    values = [np.asarray(OPS.BINDINGS[v]) for v in inputs]
    try:
        expected, got, _ = run_both(inputs, expr, values)
    except UnsupportedError as err:
        assert "mode='DASK' cannot run" in str(err) and "test_ops.py:" in str(err)
        return
    assert_same(got, expected)


#: the op cases Dask cannot run, each refused with its reason
REFUSED = {
    ("Repeat", 1): "Dask needs that value",
    ("Subtensor", 8): "one integer or boolean array at a time",
    ("IncSubtensor", 2): "must add repeated indices up",
    ("IncSubtensor", 4): "must add repeated indices up",
}


def test_every_op_family_of_the_dask_backend_runs_and_only_known_cases_are_refused():
    families = {cls.__name__ for cls in (*AS_WRITTEN, *OVERRIDES)}
    assert families <= set(OPS.CASES) | {"Elemwise"}
    refused = {}
    for name, k, expr in CASES:
        inputs = [v for v in OPS.BINDINGS if v in graph_inputs([expr])]
        try:
            theano.function(inputs, expr, mode="DASK")
        except UnsupportedError as err:
            refused[name, k] = str(err)
    known = {case: text for case, text in refused.items() if case[0] in families}
    assert sorted(known) == sorted(REFUSED)
    for case, reason in REFUSED.items():
        assert reason in known[case], known[case]


@pytest.mark.parametrize("op", ELEMWISE_OPS, ids=str)
def test_every_elementwise_row_matches_numpy(op):
    rng = np.random.default_rng(7)
    dtype = "int64" if op.name in OPS.INTEGER_ONLY else "float64"
    shapes = [(5, 4), (1, 4), (4,)][: op.nin]
    values = [OPS.sample(op.name, s, dtype) for s in shapes]
    if op.name == "switch":
        values[0] = rng.random(shapes[0]) > 0.5
    variables = [T.tensor(dtype=str(v.dtype), shape=(None,) * v.ndim) for v in values]
    with np.errstate(all="ignore"):
        expected, got, _ = run_both(variables, op(*variables), values)
    assert_same(got, expected)


# -- the tutorial's logistic regression ----------------------------------------------------------


def logistic_regression(feats: int, seed: int = 3):
    """The Theano tutorial's model: symbolic inputs, shared parameters, outputs and updates."""
    rng = np.random.default_rng(seed)
    x, y = T.matrix("x"), T.vector("y")
    w = theano.shared(rng.normal(size=feats), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    updates = [(w, w - 0.1 * gw), (b, b - 0.1 * gb)]
    return x, y, w, b, [p_1 > 0.5, xent], updates


def dataset(n: int, feats: int, seed: int = 4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, feats)), (rng.random(n) > 0.5).astype("float64")


def test_logistic_regression_trains_on_chunked_inputs_as_with_numpy():
    X, Y = dataset(300, 20)
    results = {}
    for mode in ("FAST_RUN", "DASK"):
        x, y, w, b, outputs, updates = logistic_regression(20)
        train = theano.function([x, y], outputs, updates=updates, mode=mode)
        args = (X, Y) if mode == "FAST_RUN" else (da.from_array(X, chunks=(70, 10)), chunked(Y))
        for _ in range(5):
            prediction, xent = train(*args)
        results[mode] = [prediction, xent, w.get_value(), b.get_value()]
        assert all(isinstance(v, np.ndarray) for v in results[mode])
        assert isinstance(w.get_value(borrow=True), np.ndarray)
    for got, want in zip(results["DASK"], results["FAST_RUN"]):
        assert_same(got, want)


def test_a_shared_dask_dataset_gives_minibatches_by_a_symbolic_index_through_givens():
    X, Y = dataset(120, 8)
    batch = 30
    trained = {}
    for mode in ("FAST_RUN", "DASK"):
        x, y, w, b, outputs, updates = logistic_regression(8)
        lazy = mode == "DASK"
        data_x = theano.shared(da.from_array(X, chunks=(25, 8)) if lazy else X, name="data_x")
        data_y = theano.shared(da.from_array(Y, chunks=25) if lazy else Y, name="data_y")
        index = T.lscalar("index")
        train = theano.function(
            [index],
            outputs[1].mean(),
            updates=updates,
            givens={
                x: data_x[index * batch : (index + 1) * batch],
                y: data_y[index * batch : (index + 1) * batch],
            },
            mode=mode,
        )
        losses = [train(i % 4) for i in range(8)]
        trained[mode] = [np.array(losses), w.get_value(), b.get_value()]
    assert isinstance(data_x.get_value(), da.Array)  # the dataset stays lazy
    for got, want in zip(trained["DASK"], trained["FAST_RUN"]):
        assert_same(got, want)


class TaskCounter:
    """Counts the computes and their tasks while it is active (local schedulers)."""

    def __init__(self):
        from dask.callbacks import Callback

        self.tasks: list[int] = []
        self.callback = Callback(start_state=lambda dsk, state: self.tasks.append(len(dsk)))

    def __enter__(self):
        self.callback.__enter__()
        return self

    def __exit__(self, *exc):
        self.callback.__exit__(*exc)


def test_each_call_runs_one_compute_whose_task_count_does_not_grow():
    X, Y = dataset(200, 10)
    x, y, w, b, outputs, updates = logistic_regression(10)
    train = theano.function([x, y], outputs, updates=updates, mode="DASK")
    lazy_x, lazy_y = da.from_array(X, chunks=(50, 10)), da.from_array(Y, chunks=50)
    with TaskCounter() as counter:
        for _ in range(4):
            train(lazy_x, lazy_y)
    assert len(counter.tasks) == 4  # one compute per call
    assert len(set(counter.tasks)) == 1 and counter.tasks[0] > 4 * 3  # the same graph each call


def test_the_source_is_numpy_style_code_over_dask_arrays_ending_in_one_compute():
    x, y, w, b, outputs, updates = logistic_regression(10)
    train = theano.function([x, y], outputs, updates=updates, mode="DASK")
    source = train.source
    assert "x.__class__ is not Array" in source
    assert "+=" not in source and "out=" not in source  # no in-place work on dask arrays
    computes = [line for line in source.splitlines() if "= compute(" in line]
    assert len(computes) == 1 and "every output and update at once" in computes[0]
    assert source.index("= compute(") < source.index("w_storage.value =")
    assert "# Dot  test_dask.py:" in source


def test_numpy_inputs_constants_and_aliased_outputs_come_back_as_fresh_numpy_arrays():
    x = T.dmatrix("x")
    f = theano.function([x], [x, x.sum(axis=0), T.constant(2.0), x.sum(axis=0)], mode="DASK")
    X = np.arange(6.0).reshape(2, 3)
    same, total, two, again = f(X)
    assert same is not X and np.array_equal(same, X)
    assert_same(total, X.sum(axis=0))
    assert total is not again and np.array_equal(total, again)
    assert two == 2.0 and isinstance(two, np.ndarray)
    lazy_same, *_ = f(da.from_array(X, chunks=1))
    assert isinstance(lazy_same, np.ndarray) and np.array_equal(lazy_same, X)


def test_dask_inputs_are_checked_by_their_metadata_without_computing():
    x = T.dmatrix("x")
    f = theano.function([x], x.sum(), mode="DASK")
    assert f(da.ones((4, 3), chunks=2, dtype="float32")) == 12.0  # a safe cast
    with pytest.raises(TypeError, match="expected 2 dimensions"):
        f(da.ones(3, chunks=2))
    with pytest.raises(TypeError, match="without loss"):
        f(da.ones((2, 2), dtype="complex128"))
    fixed = theano.function(
        [T.tensor("v", dtype="float64", shape=(3,))],
        T.constant(1.0),
        mode="DASK",
        on_unused_input="ignore",
    )
    with pytest.raises(ValueError, match="static shape"):
        fixed(da.ones(4))


# -- what Dask cannot run is refused when compiling -----------------------------------------------


def refusal(inputs, outputs, **kwargs) -> str:
    with pytest.raises(UnsupportedError) as info:
        theano.function(inputs, outputs, mode="DASK", **kwargs)
    message = str(info.value)
    assert "mode='DASK' cannot run" in message and "test_dask.py:" in message
    return message


def test_the_size_of_a_boolean_selection_cannot_feed_a_shape():
    x = T.dvector("x")
    message = refusal([x], x[x > 0].mean())
    assert "boolean mask" in message and "T.switch" in message
    ok = theano.function([x], x[x > 0].sum(), mode="DASK")  # no shape needed
    assert ok(chunked(np.array([1.0, -2.0, 3.0, -4.0]))) == 4.0


def test_an_increment_at_integer_indices_is_refused_on_dask_data():
    idx = T.lvector("idx")
    embedding = theano.shared(np.ones((5, 2)), name="embedding")
    cost = embedding[idx].sum()
    message = refusal([idx], T.grad(cost, embedding))
    assert "IncSubtensor" in message or "inc" in message.lower()
    assert "np.add.at" in message


def test_scan_and_ifelse_over_dask_data_are_refused_but_not_over_driver_values():
    x = T.dvector("x")
    total, _ = theano.scan(lambda v, acc: acc + v, sequences=[x], outputs_info=T.constant(0.0))
    assert "inner graph runs in Python" in refusal([x], total[-1])
    assert "T.switch" in refusal([x], theano.ifelse.ifelse(T.gt(x.sum(), 0), x, -x))
    s = T.dscalar("s")
    f = theano.function([s, x], [theano.ifelse.ifelse(T.gt(s, 0), s, -s), x * 2], mode="DASK")
    magnitude, doubled = f(-3.0, chunked(np.arange(4.0)))
    assert magnitude == 3.0 and np.array_equal(doubled, np.arange(4.0) * 2)


def test_a_slice_bound_computed_from_dask_data_is_refused():
    x = T.dvector("x")
    message = refusal([x], x[: T.cast(x.sum(), "int64")])
    assert "Dask needs that value" in message


def test_the_numpy_backend_refuses_a_shared_dask_array():
    data = theano.shared(da.ones((4, 2), chunks=2), name="data")
    with pytest.raises(TypeError, match="holds a dask array; compile with mode='DASK'"):
        theano.function([], data.sum())
    assert theano.function([], data.sum(), mode="DASK")() == 8.0


def test_shared_dask_arrays_are_kept_lazy_and_checked():
    data = theano.shared(da.ones((4, 2), chunks=2), name="data")
    assert data.type == T.TensorType("float64", (None, None))
    assert data.get_value() is data.get_value(borrow=True)
    data.set_value(da.zeros((6, 2), chunks=3))
    assert isinstance(data.get_value(), da.Array) and data.get_value().shape == (6, 2)
    with pytest.raises(TypeError, match="expected 2 dimensions"):
        data.set_value(da.zeros(3))


def test_without_dask_the_mode_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.delitem(sys.modules, "symgraph.backends.dask")
    x = T.dvector("x")
    with pytest.raises(ImportError, match=r'pip install "symgraph\[dask\]"'):
        theano.function([x], x * 2, mode="DASK")


def test_debug_mode_checks_every_op_over_dask_arrays():
    X, Y = dataset(100, 6)
    debug = theano.Mode(optimizer="fast_run", debug=True, backend="dask")
    x, y, w, b, outputs, updates = logistic_regression(6)
    gw = T.grad(outputs[1].mean(), w)
    train = theano.function([x, y], [*outputs, gw], updates=updates, mode=debug)
    assert "_check(" in train.source
    prediction, xent, grad = train(chunked(X), chunked(Y))
    x2, y2, w2, b2, outputs2, updates2 = logistic_regression(6)
    reference = theano.function(
        [x2, y2], [*outputs2, T.grad(outputs2[1].mean(), w2)], updates=updates2
    )
    for got, want in zip((prediction, xent, grad), reference(X, Y)):
        assert_same(got, want)
