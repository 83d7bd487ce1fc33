"""``function()``: inputs and outputs, keyword calls, updates, givens, and every argument error."""

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.compile import In, MissingInputError, Out, UnusedInputError


def test_output_forms_single_list_and_none():
    x = T.dvector("x")
    single = theano.function([x], x * 2)
    listed = theano.function([x], [x * 2, x.sum()])
    nothing = theano.function([x], None, on_unused_input="ignore")
    np.testing.assert_array_equal(single([1.0, 2.0]), [2.0, 4.0])
    doubled, total = listed([1.0, 2.0])
    np.testing.assert_array_equal(doubled, [2.0, 4.0])
    assert isinstance(total, np.ndarray) and total.shape == () and total == 3.0
    assert nothing([1.0]) == []
    assert isinstance(theano.function([x], (x,))([1.0]), list)


def test_scalar_results_are_0d_arrays():
    a, b = T.dscalars("a", "b")
    result = theano.function([a, b], a * b)(2.0, 3.0)
    assert isinstance(result, np.ndarray) and result.shape == () and result == 6.0


def test_in_defaults_and_keyword_calls():
    x, y, w = T.dscalars("x", "y", "w")
    f = theano.function([x, In(y, value=1.0), In(w, value=2.0, name="w_by_name")], (x + y) * w)
    assert f(33.0) == 68.0
    assert f(33.0, 2.0) == 70.0
    assert f(33.0, 0.0, 1.0) == 33.0
    assert f(33.0, w_by_name=1.0) == 34.0
    assert f(33.0, w_by_name=1.0, y=0.0) == 33.0
    assert f(x=1.0, y=2.0, w_by_name=3.0) == 9.0


def test_call_errors_name_the_inputs():
    x, y = T.dscalars("x", "y")
    f = theano.function([x, In(y, value=1.0)], x + y, name="add")
    with pytest.raises(TypeError, match=r"add\(\) takes 2 inputs \(x, y\) but 3 were given"):
        f(1.0, 2.0, 3.0)
    with pytest.raises(TypeError, match="unexpected keyword 'z'"):
        f(1.0, z=2.0)
    with pytest.raises(TypeError, match="missing input 'x'"):
        f(y=2.0)
    with pytest.raises(TypeError, match="two values for input 'x'"):
        f(1.0, x=2.0)


def test_input_checks_name_the_input():
    x = T.dmatrix("x")
    i = T.ivector("i")
    f = theano.function([x], x.sum(), name="total")
    g = theano.function([i], i * 2)
    with pytest.raises(TypeError, match=r"input 'x' of total\(\).*expected 2 dimensions"):
        f(np.ones(3))
    with pytest.raises(TypeError, match="input 'i'.*without loss"):
        g(np.array([1.5, 2.0]))
    np.testing.assert_array_equal(g([1, 2]), [2, 4])  # exact int conversion is not lossy
    h = theano.function([i], i * 2, allow_input_downcast=True)
    np.testing.assert_array_equal(h(np.array([1.0, 2.0])), [2, 4])
    row = T.tensor("r", dtype="float64", shape=(1, None))
    with pytest.raises(ValueError, match="static shape"):
        theano.function([row], row * 2)(np.ones((2, 3)))


def test_an_integer_array_converts_by_its_dtype_as_in_theano():
    """An int64 array does not fit an int32 input, whatever its values (Theano's filter);
    lossless upcasts and Python ints that fit are accepted."""
    i = T.ivector("i")
    f = theano.function([i], i * 2)
    with pytest.raises(TypeError, match="input 'i'.*int64 to int32.*allow_input_downcast"):
        f(np.array([1, 2], dtype="int64"))
    with pytest.raises(TypeError, match="uint32 to int32"):
        f(np.array([1, 2], dtype="uint32"))
    for upcast in ["int8", "int16", "uint16", "bool"]:
        result = f(np.array([1, 0], dtype=upcast))
        assert result.dtype == np.int32 and result.tolist() == [2, 0]
    assert f([1, 2]).tolist() == [2, 4]  # a list converts by value
    h = theano.function([i], i * 2, allow_input_downcast=True)
    assert h(np.array([1, 2], dtype="int64")).tolist() == [2, 4]
    d = T.dvector("d")
    assert theano.function([d], d)(np.array([1, 2], dtype="int64")).dtype == np.float64
    s = theano.shared(np.zeros(2, dtype="int32"), name="s")
    with pytest.raises(TypeError, match="int64 to int32"):
        s.set_value(np.array([1, 2], dtype="int64"))


def test_function_argument_errors():
    x = T.dvector("x")
    s = theano.shared(np.zeros(2), name="s")
    with pytest.raises(TypeError, match="list of inputs"):
        theano.function(x, x)
    with pytest.raises(TypeError, match="twice"):
        theano.function([x, x], x)
    with pytest.raises(TypeError, match="shared variable s cannot be an explicit input"):
        theano.function([s], s * 2)
    with pytest.raises(TypeError, match="constant"):
        theano.function([T.constant(1.0)], x, on_unused_input="ignore")
    with pytest.raises(UnusedInputError, match="x"):
        theano.function([x], s * 2)
    with pytest.warns(UserWarning, match="not used"):
        theano.function([x], s * 2, on_unused_input="warn")
    y = T.dvector("y")
    with pytest.raises(MissingInputError, match="y"):
        theano.function([x], x + y)


def test_updates_read_values_from_before_the_call_and_swap():
    a = theano.shared(np.array([1.0, 2.0]), name="a")
    b = theano.shared(np.array([10.0, 20.0]), name="b")
    swap = theano.function([], [a + b], updates=[(a, b), (b, a)])
    (total,) = swap()
    np.testing.assert_array_equal(total, [11.0, 22.0])
    np.testing.assert_array_equal(a.get_value(), [10.0, 20.0])
    np.testing.assert_array_equal(b.get_value(), [1.0, 2.0])
    # after a swap the two cells still hold separate arrays
    assert not np.shares_memory(a.get_value(borrow=True), b.get_value(borrow=True))


def test_an_update_may_copy_another_shared_variable():
    a = theano.shared(np.ones(2), name="a")
    b = theano.shared(np.zeros(2), name="b")
    theano.function([], [], updates=[(a, b)])()
    np.testing.assert_array_equal(a.get_value(), [0.0, 0.0])
    assert not np.shares_memory(a.get_value(borrow=True), b.get_value(borrow=True))


def test_updates_as_dict_and_counter():
    count = theano.shared(0, name="count")
    step = theano.shared(0.5, name="step")
    tick = theano.function([], count, updates={count: count + 1, step: step * 2})
    assert [int(tick()) for _ in range(3)] == [0, 1, 2]
    assert count.get_value() == 3 and step.get_value() == 4.0


def test_update_type_mismatch_offers_the_cast():
    w = theano.shared(np.zeros(3, dtype="float32"), name="w")
    g = T.dvector("g")
    with pytest.raises(
        TypeError, match=r"update of shared variable w.*T\.cast\(expression, 'float32'\)"
    ):
        theano.function([g], [], updates=[(w, w - 0.1 * g)])
    with pytest.raises(TypeError, match="not a shared variable"):
        theano.function([g], [], updates=[(g, g * 2)])
    with pytest.raises(TypeError, match="two updates"):
        theano.function([], [], updates=[(w, w * 2), (w, w * 3)])
    fixed = theano.function([g], [], updates=[(w, T.cast(w - 0.1 * g, "float32"))])
    fixed(np.ones(3))
    np.testing.assert_allclose(w.get_value(), -0.1, rtol=1e-6)


def test_a_failing_call_changes_no_shared_variable():
    a = theano.shared(np.arange(3.0), name="a")
    b = theano.shared(np.arange(3.0), name="b")
    v = T.dvector("v")
    # a's update is ready (and in place) before b's fails on the shape of v
    f = theano.function([v], [], updates=[(a, a + 1.0), (b, b + v)])
    with pytest.raises(ValueError, match="shape"):
        f(np.ones(4))
    np.testing.assert_array_equal(a.get_value(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(b.get_value(), [0.0, 1.0, 2.0])
    f(np.ones(3))
    np.testing.assert_array_equal(a.get_value(), [1.0, 2.0, 3.0])


def test_givens_substitute_before_compiling():
    data = theano.shared(np.arange(10.0), name="data")
    index = T.lscalar("index")
    x = T.dvector("x")
    batch = theano.function([index], x.sum(), givens={x: data[index * 2 : index * 2 + 2]})
    assert batch(0) == 1.0 and batch(2) == 9.0
    y = T.dscalar("y")
    f = theano.function([y], x * y, givens=[(x, T.constant(np.array([1.0, 2.0])))])
    np.testing.assert_array_equal(f(3.0), [3.0, 6.0])
    with pytest.raises(TypeError, match="replacement for x"):
        theano.function([y], x * y, givens={x: T.dmatrix("m")})
    with pytest.raises(TypeError, match="both an input and replaced"):
        theano.function([x], x * 2, givens={x: data})


def test_outputs_never_alias_inputs_or_storage_unless_borrowed():
    x = T.dvector("x")
    s = theano.shared(np.arange(3.0), name="s")
    data = np.ones(3)
    echo = theano.function([x], x)
    assert not np.shares_memory(echo(data), data)
    stored = theano.function([], s)()
    stored[0] = 100.0
    assert s.get_value()[0] == 0.0
    lent = theano.function([], Out(s, borrow=True))()
    assert lent is s.get_value(borrow=True)
    first, second = theano.function([x], [x * 2, x * 2])(data)
    np.testing.assert_array_equal(first, second)


def test_an_output_that_is_also_an_update_is_returned_as_a_copy():
    s = theano.shared(np.zeros(3), name="s")
    new = s + 1.0
    f = theano.function([], new, updates=[(s, new)])
    returned = f()
    f()  # the next call may compute s in place: the caller's array must not change
    np.testing.assert_array_equal(returned, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(s.get_value(), [2.0, 2.0, 2.0])


def test_profile_times_every_node():
    x = T.dvector("x")
    f = theano.function([x], T.exp(x).sum() * 2, profile=True, name="prof")
    for _ in range(3):
        f(np.ones(10))
    table = str(f.profile)
    assert f.profile.calls == 3
    assert len(f.profile.times) == len(f.graph.apply_nodes)
    assert all(t > 0 for t in f.profile.times)
    assert "profile of prof: 3 calls" in table and "test_function.py" in table


def test_modes_by_name_and_object():
    x = T.dvector("x")
    expr = T.log(1 + T.exp(x))
    for mode in ["FAST_RUN", "FAST_COMPILE", "DEBUG_MODE", theano.Mode(optimizer=None), None]:
        f = theano.function([x], expr, mode=mode)
        np.testing.assert_allclose(f([0.0, 1.0]), np.log1p(np.exp([0.0, 1.0])))
    assert theano.get_mode("FAST_COMPILE").optimizer_name == "fast_compile"
    assert theano.get_mode(None).optimizer_name == theano.config.optimizer
    with pytest.raises(ValueError, match="unknown mode"):
        theano.get_mode("FASTEST")
    with pytest.raises(ValueError, match="unknown optimizer"):
        theano.Mode(optimizer="o3")


def test_attributes_describe_the_function():
    x = T.dvector("x")
    s = theano.shared(np.zeros(2), name="s")
    f = theano.function([x], x.sum(), updates=[(s, s + x)], name="acc")
    assert [i.variable for i in f.inputs] == [x]
    assert [o.variable.ndim for o in f.outputs] == [0]
    assert f.updates[0][0] is s
    assert len(f.graph.outputs) == 2
    assert f.source.startswith("def acc(x):")
    assert isinstance(f.rewrites, list)
    assert "acc(x)" in repr(f)
