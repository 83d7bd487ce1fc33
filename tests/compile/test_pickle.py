"""Pickling: compiled functions continue in a new process; graphs and shared variables pickle
on their own; pickles hold data and names of symgraph functions, never code."""

from __future__ import annotations

import importlib
import pickle
import pickletools
import shutil
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph import OpFromGraph, config
from symgraph.graph import Graph
from symgraph.ifelse import ifelse

rng = np.random.default_rng(11)

#: the modules a pickle of symgraph objects may name, besides symgraph's own
DATA_MODULES = {
    "numpy",
    "numpy.core.multiarray",
    "numpy._core.multiarray",
    "numpy.core.numeric",
    "numpy._core.numeric",
    "builtins",
    "copyreg",
    "_codecs",
    # a NumPy Generator (a random stream's state) rebuilds from its bit generator's state
    "numpy.random._pickle",
    "numpy.random._pcg64",
    "numpy.random.bit_generator",
}
#: callables from those modules that rebuild data
DATA_BUILDERS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("copyreg", "__newobj__"),
    ("copyreg", "_reconstructor"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("builtins", "getattr"),
    ("_codecs", "encode"),
    ("numpy.random._pickle", "__generator_ctor"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
}


def pickled_globals(data: bytes) -> set[tuple[str, str]]:
    """Every ``(module, name)`` the pickle stream imports (GLOBAL and STACK_GLOBAL opcodes).

    STACK_GLOBAL takes the two strings pushed just before it, literally or from the memo.
    """
    found, pushed, memo = set(), [], {}
    for opcode, arg, _ in pickletools.genops(data):
        name = opcode.name
        if name in ("MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT"):
            memo[len(memo) if name == "MEMOIZE" else arg] = pushed[-1] if pushed else None
        elif name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            pushed.append(arg)
        elif name in ("BINGET", "LONG_BINGET", "GET"):
            pushed.append(memo.get(arg))
        elif name == "STACK_GLOBAL":
            found.add((pushed[-2], pushed[-1]))
            pushed.append(None)
        elif name == "GLOBAL":
            found.add(tuple(arg.split(" ", 1)))
            pushed.append(None)
        else:
            pushed.append(None)
    return found


def assert_no_code(obj, protocol=pickle.HIGHEST_PROTOCOL) -> bytes:
    """``obj`` pickled; its stream names only symgraph's objects and data builders."""
    data = pickle.dumps(obj, protocol=protocol)
    for module, name in pickled_globals(data):
        assert "<lambda>" not in name and "<locals>" not in name, (module, name)
        if module.split(".")[0] == "symgraph":
            value = importlib.import_module(module)
            for part in name.split("."):
                value = getattr(value, part)
            assert not isinstance(value, types.CodeType)
            continue
        assert module in DATA_MODULES, (module, name)
        value = getattr(importlib.import_module(module), name)
        if callable(value) and not isinstance(value, type):
            assert (module, name) in DATA_BUILDERS, (module, name)
    assert b"marshal" not in data and b"CodeType" not in data and b"FunctionType" not in data
    return data


def logistic_regression():
    x, y = T.matrix("x"), T.vector("y")
    w = theano.shared(rng.normal(size=5), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    cost = (-y * T.log(p_1) - (1 - y) * T.log(1 - p_1)).mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function([x, y], cost, updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    predict = theano.function([x], p_1 > 0.5)
    data = (rng.normal(size=(50, 5)), rng.integers(0, 2, size=50).astype(float))
    return train, predict, data, w


def test_a_function_continues_after_loading_with_its_shared_variables():
    train, predict, (X, Y), w = logistic_regression()
    for _ in range(3):
        train(X, Y)
    train2, predict2 = pickle.loads(assert_no_code((train, predict)))
    expected = [train(X, Y) for _ in range(3)]
    np.testing.assert_allclose([train2(X, Y) for _ in range(3)], expected)
    (w2,) = [var for var, _ in train2.updates if var.name == "w"]
    np.testing.assert_allclose(w2.get_value(), w.get_value())
    np.testing.assert_array_equal(predict2(X), predict(X))  # predict reads the same w as train
    assert train2.source == train.source and w2 is not w
    assert [str(f) for f in train.rewrites] == train2.rewrites


def test_inputs_defaults_keywords_outputs_and_modes_survive():
    x, y = T.dvectors("x", "y")
    acc = theano.shared(np.zeros(2), name="acc")
    f = theano.function(
        [x, theano.In(y, value=[1.0, 1.0])],
        [x + y, theano.Out(x, borrow=True)],
        updates={acc: acc + x},
        mode="DEBUG_MODE",
        name="step",
    )
    g = pickle.loads(assert_no_code(f))
    assert g.name == "step" and g.mode == f.mode and [o.borrow for o in g.outputs] == [False, True]
    np.testing.assert_array_equal(g(x=[1.0, 2.0])[0], [2.0, 3.0])
    g([1.0, 1.0])
    np.testing.assert_array_equal(g.updates[0][0].get_value(), [2.0, 3.0])
    assert acc.get_value().tolist() == [0.0, 0.0]  # the loaded function has its own copy


def test_control_flow_and_custom_ops_pickle():
    x, a = T.dvector("x"), T.dscalar("a")
    h = theano.shared(np.zeros(3), name="h")
    steps, _ = theano.scan(
        lambda v, prev: T.tanh(v + prev), sequences=[T.stack([x, x])], outputs_info=[h]
    )
    u = T.dvector("u")
    double = OpFromGraph([u], [u * 2.0], name="double")
    f = theano.function(
        [x, a], [double(steps[-1]), ifelse(a > 0, x.sum(), a)], updates=[(h, steps[-1])]
    )
    g = pickle.loads(assert_no_code(f))
    for args in [(np.ones(3), 1.0), (np.ones(3), -1.0)]:
        for want, got in zip(f(*args), g(*args)):
            np.testing.assert_allclose(got, want)


def test_graphs_variables_and_shared_variables_pickle_on_their_own():
    x = T.dvector("x")
    w = theano.shared(np.arange(3.0), name="w")
    cost = (T.exp(x) * w).sum()
    grad = theano.grad(cost, w)
    graph = Graph([x], [cost, grad])
    w2, cost2, grad2, graph2 = pickle.loads(assert_no_code((w, cost, grad, graph)))
    assert cost2.owner.op == cost.owner.op and graph2.inputs[0].name == "x"
    assert w2 in theano.gof.graph.inputs([cost2]) and w2.get_value().tolist() == [0.0, 1.0, 2.0]
    (x2,) = [v for v in theano.gof.graph.inputs([cost2]) if v.name == "x"]
    np.testing.assert_allclose(cost2.eval({x2: [0.0, 0.0, 0.0]}), 3.0)
    np.testing.assert_allclose(
        theano.function(list(graph2.inputs), graph2.outputs[1])([0.0] * 3), [1.0, 1.0, 1.0]
    )
    constant = pickle.loads(pickle.dumps(T.constant(np.ones(2))))
    assert not constant.value.flags.writeable


def test_a_deep_graph_pickles_without_recursion():
    x = T.dscalar("x")
    y = x
    for _ in range(3000):
        y = T.sin(y)
    f = theano.function([x], y)
    y2, f2 = pickle.loads(pickle.dumps((y, f)))
    assert float(f2(0.5)) == float(f(0.5))
    assert len(Graph(theano.gof.graph.inputs([y2]), [y2]).apply_nodes) == 3000


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_every_protocol_names_only_symgraph_and_data(protocol):
    train, predict, _, _ = logistic_regression()
    assert_no_code((train, predict), protocol)


def test_the_graph_is_optimized_again_only_when_asked():
    x = T.dvector("x")
    config.optimizer = "fast_compile"
    try:
        data = pickle.dumps(theano.function([x], T.log(1 + T.exp(x))))  # the default mode
        config.optimizer = "fast_run"
        kept = pickle.loads(data)
        config.reoptimize_unpickled_function = True
        reoptimized = pickle.loads(data)
    finally:
        config.optimizer, config.reoptimize_unpickled_function = "fast_run", False
    assert [n.op.name for n in kept.graph.apply_nodes] == ["exp", "add", "log"]
    assert [n.op.name for n in reoptimized.graph.apply_nodes] == ["softplus"]


def test_as_op_ops_pickle_by_their_module_name():
    from symgraph.compile.ops import as_op

    @as_op(itypes=[T.dvector], otypes=[T.dvector])
    def local_op(v):
        return v

    with pytest.raises(pickle.PicklingError, match="module-level function"):
        pickle.dumps(local_op)


MODEL = """
import numpy as np
import symgraph as theano
import symgraph.tensor as T

rng = np.random.default_rng(0)
N, feats = 400, 30
D = (rng.normal(size=(N, feats)), rng.integers(size=N, low=0, high=2).astype(float))
x, y = T.matrix("x"), T.vector("y")
w = theano.shared(rng.normal(size=feats), name="w")
b = theano.shared(0.0, name="b")
p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
prediction = p_1 > 0.5
xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
cost = xent.mean() + 0.01 * (w ** 2).sum()
gw, gb = T.grad(cost, [w, b])
train = theano.function([x, y], [prediction, xent], updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
predict = theano.function([x], prediction)
"""

LOAD = """
import pickle
with open("model.pkl", "rb") as f:
    train, predict, D = pickle.load(f)
print(predict(D[0]).astype(int).tolist())
train(*D)
shared = {var.name: var for var, _ in train.updates}
print(shared["w"].get_value()[:4].tolist(), float(shared["b"].get_value()))
"""


def run(script: str, cwd) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=cwd, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_trained_model_reloads_in_a_new_process_without_its_source(tmp_path, monkeypatch):
    (tmp_path / "throwaway_model.py").write_text(MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    model = importlib.import_module("throwaway_model")
    try:
        for _ in range(20):
            model.train(*model.D)
        (tmp_path / "model.pkl").write_bytes(pickle.dumps((model.train, model.predict, model.D)))
        predictions = model.predict(model.D[0]).astype(int).tolist()
        model.train(*model.D)
        after_one_step = [model.w.get_value()[:4].tolist(), float(model.b.get_value())]
    finally:
        del sys.modules["throwaway_model"]
    (tmp_path / "throwaway_model.py").unlink()
    shutil.rmtree(tmp_path / "__pycache__", ignore_errors=True)
    loaded = run(LOAD, tmp_path).splitlines()
    assert loaded == [str(predictions), f"{after_one_step[0]} {after_one_step[1]}"]


def test_random_streams_continue_where_they_stopped(tmp_path):
    pytest.importorskip("symgraph.tensor.shared_randomstreams")
    script = """
    import pickle, sys
    import symgraph as theano
    from symgraph.tensor.shared_randomstreams import RandomStreams
    if sys.argv[1] == "dump":
        srng = RandomStreams(seed=234)
        f = theano.function([], srng.uniform((2, 2)) + srng.normal((2,)))
        f()
        with open("rng.pkl", "wb") as out:
            pickle.dump(f, out)
    else:
        with open("rng.pkl", "rb") as source:
            f = pickle.load(source)
    print([f().tolist() for _ in range(2)])
    """
    script_file = tmp_path / "rng_script.py"
    script_file.write_text(textwrap.dedent(script))
    outputs = []
    for mode in ("dump", "load"):
        done = subprocess.run(
            [sys.executable, str(script_file), mode], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert_no_code(pickle.loads((tmp_path / "rng.pkl").read_bytes()))
