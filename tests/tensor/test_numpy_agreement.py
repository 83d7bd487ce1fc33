"""Divergences from NumPy and Theano that the randomized differential test found, one test each."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T


def test_set_subtensor_of_a_full_slice_has_a_target_as_in_theano():
    """``x[:]`` is a node, as in Theano: ``set_subtensor(v[:], y)`` once raised TypeError, and
    ``inc_subtensor(v[:, :, :], y)`` of an indexed ``v`` silently incremented ``v``'s source."""
    x = T.dmatrix("x")
    picked = x[1:, None, np.array([0])]
    f = symgraph.function(
        [x],
        [
            T.set_subtensor(x[:], 2.0),
            T.inc_subtensor(x[...], 1.0),
            T.inc_subtensor(picked[:, :, :], 10.0),
            x[:] * 3,
        ],
    )
    value = np.array([[1.0, 2.0], [3.0, 4.0]])
    filled, incremented, picked_plus, tripled = f(value)
    np.testing.assert_array_equal(filled, np.full((2, 2), 2.0))
    np.testing.assert_array_equal(incremented, value + 1)
    np.testing.assert_array_equal(picked_plus, [[[13.0]]])
    np.testing.assert_array_equal(tripled, value * 3)
    assert "[:]" not in symgraph.function([x], x[:] * 3).source  # the optimizer drops x[:]


@pytest.mark.parametrize("dtype", ["bool", "int8", "int32", "uint8"])
def test_a_sum_over_no_axes_counts_in_numpys_dtype(dtype):
    """Summing a 0-d array reduces nothing, yet NumPy's sum of an int32 or a bool is int64."""
    s = T.scalar("s", dtype=dtype)
    for built, reference in [(T.sum(s), np.sum), (s.prod(keepdims=True), np.prod)]:
        value = np.asarray(1, dtype=dtype)
        assert built.dtype == str(reference(value).dtype)
        assert symgraph.function([s], built)(value).dtype == reference(value).dtype
    assert T.max(s).dtype == dtype and T.any(s).dtype == "bool"


def test_numpy_arrays_on_the_left_of_an_operator_build_a_graph():
    """``np.ones(3) * x`` is ``x.__rmul__``: NumPy once made an object array of symbols."""
    x = T.dvector("x")
    for built in [np.ones(3) * x, np.ones(3) - x, np.float64(2.0) * x, np.ones(3) < x]:
        assert isinstance(built, T.TensorVariable)
    f = symgraph.function([x], [np.arange(3.0) - x, np.array([1, 0, 1]) & (x > 0)])
    difference, both = f([1.0, -1.0, 2.0])
    np.testing.assert_array_equal(difference, [-1.0, 2.0, 0.0])
    np.testing.assert_array_equal(both, [True, False, True])


def test_python_numbers_in_a_switch_take_the_dtype_of_the_values_not_the_condition():
    """As ``np.where``: the condition selects, the branches give the dtype."""
    condition = T.ivector("c")
    assert T.switch(condition, 4, -1).dtype == np.where([1], 4, -1).dtype == "int64"
    branch = T.ivector("b")
    assert T.switch(T.lvector("l"), -1, branch).dtype == "int32"
    raw = np.array([1, 2], dtype="int32")
    assert T.switch(condition, -2, raw).dtype == np.where([1, 0], -2, raw).dtype == "int32"


def test_binary_crossentropy_with_a_python_target_keeps_float32():
    output = T.fvector("o")
    cost = T.nnet.binary_crossentropy(output, 0.25)
    assert cost.dtype == "float32"
    value = np.array([0.2, 0.7], dtype="float32")
    expected = -(0.25 * np.log(value) + 0.75 * np.log(1 - value))
    np.testing.assert_allclose(symgraph.function([output], cost)(value), expected, rtol=1e-6)


def test_flatten_of_an_empty_array():
    """``flatten`` once reshaped to ``(rows, -1)``, which NumPy cannot resolve for 0 rows."""
    x = T.dtensor3("x")
    f = symgraph.function([x], x.flatten(2))
    assert f(np.zeros((0, 3, 2))).shape == (0, 6)
    np.testing.assert_array_equal(
        f(np.arange(12.0).reshape(2, 3, 2)), np.arange(12.0).reshape(2, 6)
    )
    assert T.tensor("s", dtype="float64", shape=(0, 3, 2)).flatten(2).type.shape == (0, 6)
