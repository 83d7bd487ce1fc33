"""Shared variables: types, copy semantics of get/set_value, and checked set_value."""

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.compile.shared import SharedVariable


def test_python_float_is_a_0d_floatx_scalar():
    b = theano.shared(0.0, name="b")
    assert isinstance(b, SharedVariable)
    assert (b.name, b.dtype, b.ndim, b.type.shape) == ("b", "float64", 0, ())
    value = b.get_value()
    assert isinstance(value, np.ndarray) and value.shape == () and value == 0.0


def test_python_float_follows_floatx(monkeypatch):
    monkeypatch.setattr(theano.config, "floatX", "float32")
    assert theano.shared(1.5).dtype == "float32"
    assert theano.shared(np.float64(1.5)).dtype == "float64"  # a NumPy scalar keeps its dtype


def test_vector_has_unknown_static_shape_and_keeps_dtype_and_ndim():
    w = theano.shared(np.random.RandomState(0).randn(784), name="w")
    assert w.type.shape == (None,) and w.dtype == "float64"
    w.set_value(np.zeros(3))  # another length is fine
    assert w.get_value().shape == (3,)
    with pytest.raises(TypeError, match="dimensions"):
        w.set_value(np.zeros((3, 3)))
    i = theano.shared(np.arange(3, dtype="int32"))
    with pytest.raises(TypeError, match="without loss"):
        i.set_value(np.array([0.5, 1.5]))


def test_get_and_set_value_copy_unless_borrow():
    data = np.arange(3.0)
    s = theano.shared(data)
    data[0] = 100.0
    assert s.get_value()[0] == 0.0  # shared() copied
    out = s.get_value()
    out[1] = 100.0
    assert s.get_value()[1] == 1.0  # get_value() copied
    assert s.get_value(borrow=True) is s.get_value(borrow=True)
    new = np.ones(3)
    s.set_value(new)
    new[0] = 7.0
    assert s.get_value()[0] == 1.0
    s.set_value(new, borrow=True)
    assert s.get_value(borrow=True) is new
    borrowed = np.zeros(2)
    assert theano.shared(borrowed, borrow=True).get_value(borrow=True) is borrowed


def test_strict_shared_variable_rejects_conversions():
    s = theano.shared(np.zeros(2), strict=True)
    with pytest.raises(TypeError, match="strict"):
        s.set_value([1.0, 2.0])
    s.set_value(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0])


def test_shared_variables_have_tensor_operators_and_evaluate():
    w = theano.shared(np.array([1.0, 2.0, 3.0]), name="w")
    x = T.dvector("x")
    np.testing.assert_allclose((w * x + w.sum()).eval({x: np.ones(3)}), [7.0, 8.0, 9.0])
    assert (w**2).sum().eval() == 14.0
    np.testing.assert_allclose(w[1:].eval(), [2.0, 3.0])


def test_shared_rejects_what_it_cannot_hold():
    with pytest.raises(TypeError):
        theano.shared("text")
    with pytest.raises(TypeError):
        theano.shared(T.dvector("v"))


def test_clone_shares_the_storage():
    s = theano.shared(np.zeros(2), name="s")
    c = s.clone()
    s.set_value(np.ones(2))
    np.testing.assert_array_equal(c.get_value(), [1.0, 1.0])
    assert c is not s and c.name == "s"


def test_stored_arrays_stay_writeable_even_when_borrowed():
    frozen = np.zeros(3)
    frozen.setflags(write=False)
    s = theano.shared(frozen, borrow=True)
    assert s.get_value(borrow=True).flags.writeable
    s.set_value(frozen, borrow=True)
    assert s.get_value(borrow=True).flags.writeable


def test_copy_swaps_shared_variables_or_drops_updates_as_in_theanos_tutorial():
    state = theano.shared(0)
    inc = T.iscalar("inc")
    accumulator = theano.function([inc], state, updates=[(state, state + inc)])
    accumulator(10)
    new_state = theano.shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    assert new_accumulator(100) == 0
    assert (new_state.get_value(), state.get_value()) == (100, 10)
    null_accumulator = accumulator.copy(delete_updates=True)
    assert null_accumulator(9000) == 10 and state.get_value() == 10
    with pytest.raises(TypeError, match="cannot stand for"):
        accumulator.copy(swap={state: theano.shared(0.5)})


def test_a_broadcastable_shared_row_broadcasts_and_keeps_its_size_1_axis():
    """Theano's ``shared(value, broadcastable=...)``: a bias row added to every row of a
    matrix, its gradient summed back to the row; later values keep the size-1 axis."""
    b = theano.shared(np.array([[1.0, 2.0, 3.0]]), name="b", broadcastable=(True, False))
    assert b.type.shape == (1, None) and b.broadcastable == (True, False)
    x = T.dmatrix("x")
    cost = T.sqr(x + b).sum()
    f = theano.function([x], [x + b, T.grad(cost, b)])
    xv = np.arange(6.0).reshape(2, 3)
    total, grad = f(xv)
    np.testing.assert_array_equal(total, xv + [[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(grad, (2 * (xv + [[1.0, 2.0, 3.0]])).sum(0, keepdims=True))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) does not match the static shape"):
        b.set_value(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"shared\(\): shape \(2, 3\)"):
        theano.shared(np.zeros((2, 3)), broadcastable=(True, False))
    with pytest.raises(TypeError, match="names 1 axes, the value has 2"):
        theano.shared(np.zeros((1, 3)), broadcastable=(True,))


def test_allow_downcast_lets_set_value_narrow_the_dtype():
    s = theano.shared(np.zeros(3, dtype="float32"), allow_downcast=True)
    s.set_value(np.array([0.1, 0.2, 0.3]))
    assert s.get_value().dtype == np.float32
    np.testing.assert_array_equal(s.get_value(), np.float32([0.1, 0.2, 0.3]))
    plain = theano.shared(np.zeros(3, dtype="float32"))
    with pytest.raises(TypeError, match="cannot convert dtype float64 to float32"):
        plain.set_value(np.array([0.1, 0.2, 0.3]))
    assert s.clone().allow_downcast
