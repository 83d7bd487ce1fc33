"""Types, constructors, conversion of runtime values, config and SYMGRAPH_FLAGS."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph.tensor.type import TensorType, dtype_name


@pytest.mark.parametrize(
    "name, dtype, ndim",
    [
        ("scalar", "float64", 0),
        ("dmatrix", "float64", 2),
        ("ivector", "int32", 1),
        ("fscalar", "float32", 0),
        ("lscalar", "int64", 0),
        ("btensor3", "int8", 3),
        ("ztensor4", "complex128", 4),
        ("wcol", "int16", 2),
        ("crow", "complex64", 2),
    ],
)
def test_constructors(name, dtype, ndim):
    var = getattr(T, name)("v")
    assert (var.name, var.dtype, var.ndim) == ("v", dtype, ndim)


def test_row_col_are_broadcastable_and_plurals_make_several():
    assert T.row().broadcastable == (True, False)
    assert T.col().type.shape == (None, 1)
    x, y = T.dmatrices("x", "y")
    assert (x.name, y.name, y.dtype) == ("x", "y", "float64")
    a, b, c = T.scalars(3)
    assert a.ndim == 0 and a is not b is not c


def test_tensor_with_static_shape_and_theano_broadcastable():
    t = T.tensor("t", dtype="float32", shape=(3, None, 1))
    assert t.type == TensorType("float32", (3, None, 1))
    assert TensorType("float64", (False, True)).shape == (None, 1)
    assert str(t.type) == "Tensor(float32, shape=(3, ?, 1))"


def test_dtype_spellings_normalize_to_one_name():
    for spelling in ["float64", "d", float, np.float64, np.dtype("f8")]:
        assert TensorType(spelling, ()).dtype == "float64"
    assert TensorType(np.int8, [np.int64(3), True, None]).shape == (3, 1, None)
    assert dtype_name([("a", "<f8")]) == str(np.dtype([("a", "<f8")]))  # unhashable spelling
    with pytest.raises(TypeError):
        TensorType("no such dtype", ())


def test_filter_accepts_safe_values_and_names_lossy_ones():
    t = TensorType("float32", (None,))
    assert t.filter([1, 2]).dtype == np.float32
    assert t.filter(np.array([1.5], dtype="float32")).dtype == np.float32
    with pytest.raises(TypeError, match="float64 to float32 without loss"):
        t.filter(np.array([0.1]), what="x")
    assert t.filter(np.array([0.1]), allow_downcast=True).dtype == np.float32
    with pytest.raises(TypeError, match="expected 1 dimensions"):
        t.filter(np.ones((2, 2), dtype="float32"))
    with pytest.raises(ValueError, match="static shape"):
        TensorType("float64", (3,)).filter(np.ones(4))
    assert TensorType("float32", ()).filter(0.1).dtype == np.float32  # Python floats, as Theano


@pytest.mark.parametrize(
    "value", ["abc", ["a", "b"], b"bytes", None, object(), np.datetime64(1, "D")]
)
def test_constants_are_numbers(value):
    with pytest.raises(TypeError, match="cannot make a tensor"):
        T.constant(value)
    with pytest.raises(TypeError, match="cannot make a tensor"):
        T.as_tensor_variable(value)
    with pytest.raises(TypeError, match="cannot make a tensor"):
        T.dvector("v") + value


def test_dimshuffle_takes_its_pattern_spread_or_as_one_sequence():
    x = T.tensor3("x")
    value = np.arange(24.0).reshape(2, 3, 4)
    expected = value.transpose(2, 0, 1)
    for built in [
        T.dimshuffle(x, 2, 0, 1),
        T.dimshuffle(x, (2, 0, 1)),
        T.dimshuffle(x, [2, 0, 1]),
        x.dimshuffle(2, 0, 1),
        x.dimshuffle((2, 0, 1)),
    ]:
        np.testing.assert_array_equal(built.eval({x: value}), expected)
    v = T.dvector("v")
    assert T.dimshuffle(v, "x", 0).type.shape == (1, None)
    assert T.dimshuffle(v, 0, "x").type.shape == (None, 1)
    with pytest.raises(TypeError, match="cannot drop axis 2"):
        T.dimshuffle(x, 0, 1)
    with pytest.raises(TypeError, match="invalid pattern"):
        T.dimshuffle(x, 0, 0, 1)


def test_more_indices_than_dimensions_is_an_index_error():
    m = T.dmatrix("m")
    for index in [(slice(None), 0, slice(None)), (0, 0, 0), (Ellipsis, 0, 0, 0)]:
        with pytest.raises(IndexError, match="too many indices for m: it has 2 dimensions"):
            m[index]
    with pytest.raises(IndexError, match="too many indices"):
        T.dscalar("s")[0]
    with pytest.raises(IndexError, match="one ellipsis"):
        m[..., 0, ...]
    value = np.arange(6.0).reshape(2, 3)
    assert m[:, 0, None].eval({m: value}).tolist() == [[0.0], [3.0]]  # None adds an axis
    assert m[..., 1].eval({m: value}).tolist() == [1.0, 4.0]
    assert m[:, :].eval({m: value}).shape == (2, 3)


def test_variable_methods_and_properties():
    x = T.dmatrix("x")
    value = np.arange(6.0).reshape(2, 3)
    assert x.T.eval({x: value}).shape == (3, 2)
    np.testing.assert_array_equal(x.shape.eval({x: value}), [2, 3])
    assert x.sum(axis=0).eval({x: value}).tolist() == [3.0, 5.0, 7.0]
    assert x.astype("int32").dtype == "int32"
    assert x.clip(1, 4).eval({x: value}).max() == 4
    assert (x.dot(x.T)).type.shape == (None, None)
    assert x.flatten().ndim == 1 and x.reshape(3, 2).type.shape == (3, 2)
    assert x.dimshuffle("x", 1, 0).type.shape == (1, None, None)
    assert x.transpose().eval({x: value}).shape == (3, 2)
    assert (-x).owner.op.name == "neg" and abs(x).owner.op.name == "abs"
    assert (x @ x.T).ndim == 2 and (x // 2).dtype == "float64" and (x % 2).ndim == 2
    assert (~(x > 1)).dtype == "bool" and ((x > 1) ^ (x < 3)).dtype == "bool"


def test_comparisons_return_bool_and_eq_is_identity():
    x = T.dvector("x")
    assert (x < 1).dtype == "bool" and T.eq(x, 1).dtype == "bool"
    assert (x == x) is True


def test_config_defaults_and_validation():
    assert symgraph.config.floatX in ("float64", "float32")
    with pytest.raises(ValueError, match="floatX"):
        symgraph.config.floatX = "float16"
    with pytest.raises(AttributeError, match="no setting"):
        symgraph.config.floatx = "float32"


def test_symgraph_flags_environment_variable():
    code = (
        "import symgraph, symgraph.tensor as T;"
        "print(symgraph.config.floatX, symgraph.config.optimizer, T.matrix().dtype, (T.vector() * 0.1).dtype)"
    )
    env = {**os.environ, "SYMGRAPH_FLAGS": "floatX=float32,optimizer=fast_compile"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["float32", "fast_compile", "float32", "float32"]
