"""Theano's smaller names: config flags, default mode, scalar.upcast, gradient helpers, Print,
function_dump, pkl_utils, and the module paths Theano programs import from."""

from __future__ import annotations

import importlib
import pickle

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph import config
from symgraph.config import Config
from symgraph.gradient import NullTypeGradError


@pytest.fixture
def fresh_config(monkeypatch):
    """The module-level ``config`` restored after the test."""
    saved = {name: getattr(config, name) for name in ("mode", "optimizer")}
    saved_round = config.warn.round
    yield config
    for name, value in saved.items():
        setattr(config, name, value)
    config.warn.round = saved_round


def test_warn_flags_exist_with_theano_defaults_and_are_settable(fresh_config):
    assert config.warn.ignore_bug_before == "0.9"
    assert config.warn.round is True and config.warn.argmax_pushdown_bug is False
    config.warn.round = False
    assert config.warn.round is False
    with pytest.raises(AttributeError, match="config has no setting 'warn.rounds'"):
        config.warn.rounds = False
    with pytest.raises(ValueError, match=r"config.warn.round must be one of \(True, False\)"):
        config.warn.round = "sometimes"


def test_flags_text_sets_groups_and_parses_booleans():
    fresh = Config(config._settings)
    fresh.apply_flags("floatX=float32, warn.round=False, warn.sum_sum_bug=1, mode=FAST_COMPILE")
    assert (fresh.floatX, fresh.warn.round, fresh.warn.sum_sum_bug) == ("float32", False, True)
    assert "warn.round = False" in str(fresh) and "floatX = 'float32'" in str(fresh)
    with pytest.raises(ValueError, match="compute_test_value must be one of"):
        fresh.apply_flags("compute_test_value=raise")
    with pytest.raises(ValueError, match="device must be one of"):
        fresh.device = "cuda"


def test_default_mode_follows_config_mode(fresh_config):
    from symgraph.compile.mode import get_default_mode

    assert get_default_mode().optimizer_name == config.optimizer
    config.mode = "FAST_COMPILE"
    assert get_default_mode() is theano.compile.FAST_COMPILE
    x = T.dvector("x")
    assert theano.function([x], T.log(1 + T.exp(x))).mode.name == "FAST_COMPILE"
    config.mode = "Mode"
    config.optimizer = "None"
    assert theano.compile.get_default_mode().optimizer_name == "None"


@pytest.mark.parametrize(
    "dtypes, expected",
    [
        (("int8", "float32"), "float32"),
        (("int32", "float32"), "float64"),
        (("uint8", "int8"), "int16"),
        (("bool", "int8"), "int8"),
        (("float32", "complex64"), "complex64"),
        (("float64",), "float64"),
    ],
)
def test_upcast_is_numpys_promotion(dtypes, expected):
    assert theano.scalar.upcast(*dtypes) == expected


def test_tensor_type_in_theanos_spelling():
    t = T.TensorType(dtype="float32", broadcastable=[False, True])
    assert t == T.TensorType("float32", (None, 1)) and t.broadcastable == (False, True)
    with pytest.raises(TypeError, match="not both"):
        T.TensorType("float32", (None,), broadcastable=(False,))


def test_gradient_helpers():
    x, y = T.dvectors("x", "y")
    cost = (T.tanh(x) * y).sum()
    (dx,), (dh,) = theano.gradient.subgraph_grad([x], [y], cost=cost)
    X, Y = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    np.testing.assert_allclose(dx.eval({x: X, y: Y}), Y * (1 - np.tanh(X) ** 2))
    np.testing.assert_allclose(dh.eval({x: X, y: Y}), np.tanh(X))
    w = T.dvector("w")
    h = T.tanh(x * w)
    (dw,), (dx2,), start_grads, cost_grads = theano.gradient.subgraph_grad(
        [w], [x], start={h: T.ones_like(h)}, details=True
    )
    assert cost_grads is None and len(start_grads) == 2
    slope = 1 - np.tanh(X * Y) ** 2
    np.testing.assert_allclose(dw.eval({x: X, w: Y}), X * slope)
    np.testing.assert_allclose(dx2.eval({x: X, w: Y}), Y * slope)
    assert theano.gradient.format_as(True, False, [x]) == [x]
    assert theano.gradient.format_as(False, True, [x]) == (x,)
    assert theano.gradient.format_as(False, False, [x]) is x
    assert isinstance(theano.gradient.disconnected_type().type, theano.gradient.DisconnectedType)


def test_print_shows_values_at_run_time_and_keeps_gradients(capsys):
    x = T.dvector("x")
    shown = theano.printing.Print("x is")(x)
    f = theano.function([x], [shown * 2, theano.grad((shown**2).sum(), x)])
    assert capsys.readouterr().out == ""  # nothing while compiling
    results = f(np.array([1.0, 2.0]))
    assert capsys.readouterr().out == "x is __str__ = [1. 2.]\n"
    np.testing.assert_array_equal(results[1], [2.0, 4.0])
    assert "print_op.impl(x)" in f.source and "Print{x is}" in f.source
    shape = theano.function([x], shown.shape)  # infer_shape: no printing for a shape
    shape(np.ones(3))
    assert capsys.readouterr().out == ""
    constant = theano.function([], theano.printing.Print("c")(T.constant(np.ones(2))))
    constant()
    assert capsys.readouterr().out == "c __str__ = [1. 1.]\n"  # not folded at compile time
    assert theano.pp is theano.printing.pp is theano.printing.pprint


def test_function_dump_and_pkl_utils(tmp_path):
    x = T.dvector("x")
    w = theano.shared(np.ones(2), name="w")
    path = tmp_path / "dump.pkl"
    theano.function_dump(str(path), [x], (x * w).sum(), updates={w: w * 2}, name="f")
    with open(path, "rb") as f:
        arguments = pickle.load(f)
    g = theano.function(**arguments)
    assert float(g([1.0, 2.0])) == 3.0 and float(g([1.0, 2.0])) == 6.0
    with pytest.raises(TypeError, match="no argument 'linker'"):
        theano.function_dump(str(path), [x], x, linker="c")
    from symgraph.misc import pkl_utils

    with open(tmp_path / "g.pkl", "wb") as f:
        pkl_utils.dump(g, f)
    with open(tmp_path / "g.pkl", "rb") as f:
        assert float(pkl_utils.load(f)([1.0, 2.0])) == 12.0


@pytest.mark.parametrize(
    "path",
    [
        "symgraph.Op",
        "symgraph.Apply",
        "symgraph.Variable",
        "symgraph.Constant",
        "symgraph.OpFromGraph",
        "symgraph.clone",
        "symgraph.dot",
        "symgraph.function_dump",
        "symgraph.gof.Op",
        "symgraph.gof.graph.inputs",
        "symgraph.gof.null_type.NullType",
        "symgraph.gof.utils.MethodNotDefined",
        "symgraph.gof.type.Type",
        "symgraph.compile.ops.as_op",
        "symgraph.compile.builders.OpFromGraph",
        "symgraph.compile.mode.get_default_mode",
        "symgraph.compile.function_module.Function",
        "symgraph.compile.sharedvalue.shared",
        "symgraph.gradient.grad_undefined",
        "symgraph.gradient.grad_not_implemented",
        "symgraph.gradient.grad_scale",
        "symgraph.gradient.undefined_grad",
        "symgraph.misc.pkl_utils.dump",
        "symgraph.printing.Print",
        "symgraph.scalar.upcast",
        "symgraph.tensor.nnet.elu",
        "symgraph.tensor.addbroadcast",
    ],
)
def test_theano_import_paths(path):
    module, _, name = path.rpartition(".")
    assert hasattr(importlib.import_module(module), name)


def test_grad_not_implemented_names_the_input():
    class Half(theano.Op):
        __props__ = ()

        def make_node(self, x):
            return theano.Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] / 2

        def grad(self, inputs, output_grads):
            return [theano.gradient.grad_not_implemented(self, 0, inputs[0])]

    x = T.dvector("x")
    with pytest.raises(NullTypeGradError, match=r"input 0 \(x\) is not implemented"):
        theano.grad(Half()(x).sum(), x)
