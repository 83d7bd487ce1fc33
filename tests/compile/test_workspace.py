"""The workspace: intermediate arrays a function keeps between calls never change a result."""

import warnings

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.compile.memory import eager_order

rng = np.random.default_rng(0)
NO_INPLACE = theano.Mode(inplace=False)


def _mlp_step():
    """Two layers with gradients and SGD updates: the graph a training loop calls."""
    x, y = T.dmatrix("x"), T.dmatrix("y")
    W1 = theano.shared(rng.normal(size=(5, 7)), name="W1")
    W2 = theano.shared(rng.normal(size=(7, 3)), name="W2")
    hidden = T.tanh(T.dot(x, W1))
    out = T.nnet.sigmoid(T.dot(hidden, W2))
    cost = ((out - y) ** 2).sum()
    grads = T.grad(cost, [W1, W2])
    updates = [(w, w - 0.01 * g) for w, g in zip([W1, W2], grads)]
    return [x, y], [out, hidden, cost], updates, [W1, W2]


def test_intermediates_are_computed_into_the_workspace():
    inputs, outputs, updates, _ = _mlp_step()
    f = theano.function(inputs, outputs, updates=updates)
    assert "np.matmul(t1, W2, out=ws[0])" in f.source
    assert "t1 = x @ W1" in f.source  # the hidden layer is returned: a new array each call
    assert "ws = workspace.arrays if shapes == workspace.shapes" in f.source
    assert "ws[" not in theano.function(inputs, outputs, updates=updates, mode=NO_INPLACE).source


def test_calls_with_changing_shapes_match_a_function_without_a_workspace():
    inputs, outputs, updates, weights = _mlp_step()
    start = [w.get_value() for w in weights]
    f = theano.function(inputs, outputs, updates=updates)
    batches = [(rng.normal(size=(n, 5)), rng.normal(size=(n, 3))) for n in (4, 4, 9, 4, 9, 9)]
    ours = [[np.copy(v) for v in f(*batch)] + [w.get_value() for w in weights] for batch in batches]
    returned = [f(*batches[0]) for _ in range(2)]  # the first call's arrays survive the second
    for w, value in zip(weights, start):
        w.set_value(value)
    g = theano.function(inputs, outputs, updates=updates, mode=NO_INPLACE)
    for batch, expected in zip(batches, ours):
        reference = [*g(*batch), *(w.get_value() for w in weights)]
        for got, want in zip(expected, reference):
            np.testing.assert_allclose(got, want, rtol=1e-12)
    for first, second in zip(*returned):
        assert not np.shares_memory(first, second)
    assert not np.allclose(returned[0][0], returned[1][0])  # weights moved between the calls


def test_outputs_and_stored_updates_never_hold_workspace_arrays():
    x = T.dmatrix("x")
    s = theano.shared(np.zeros((3, 3)), name="s")
    product = T.dot(x, x)
    f = theano.function([x], [product.T, T.exp(product)], updates=[(s, product * 2.0)])
    a = rng.normal(size=(3, 3))
    first_t, first_exp = f(a)
    kept = s.get_value(borrow=True)
    f(a + 1.0)
    np.testing.assert_allclose(first_t, (a @ a).T, rtol=1e-12)
    np.testing.assert_allclose(first_exp, np.exp(a @ a), rtol=1e-12)
    np.testing.assert_allclose(kept, 2 * a @ a, rtol=1e-12)
    np.testing.assert_allclose(s.get_value(), 2 * (a + 1) @ (a + 1), rtol=1e-12)


def test_allow_gc_lets_the_intermediates_go_after_each_call(monkeypatch):
    """``config.allow_gc = True`` is Theano's default: nothing is kept between calls."""
    x = T.dmatrix("x")
    monkeypatch.setattr(theano.config, "allow_gc", True)
    f = theano.function([x], T.tanh(T.dot(x, x)).sum())
    assert f._generated.workspace is None and "ws" not in f.source
    a = rng.normal(size=(3, 3))
    assert np.isclose(f(a), np.tanh(a @ a).sum())


def test_free_lets_the_arrays_go_and_the_next_call_makes_them_again():
    x = T.dmatrix("x")
    f = theano.function([x], T.tanh(T.dot(x, x)).sum())
    a = rng.normal(size=(4, 4))
    expected = np.tanh(a @ a).sum()
    assert np.isclose(f(a), expected)
    workspace = f._generated.workspace
    assert workspace.shapes == ((4, 4),) and workspace.arrays[0].shape == (4, 4)
    f.free()
    assert workspace.shapes is None
    assert np.isclose(f(a), expected) and workspace.shapes == ((4, 4),)


def test_eager_order_runs_each_node_after_its_inputs_and_as_soon_as_it_can():
    inputs, outputs, updates, _ = _mlp_step()
    f = theano.function(inputs, outputs, updates=updates)
    nodes = f.graph.apply_nodes
    order = eager_order(nodes)
    assert sorted(map(id, order)) == sorted(map(id, nodes))
    position = {node: k for k, node in enumerate(order)}
    for node in order:
        for v in node.inputs:
            assert v.owner is None or position[v.owner] < position[node]
    # a node reading only roots waits for nothing: the first layer's product comes first
    first = order[0]
    assert all(v.owner is None for v in first.inputs)


def _minibatch_step(mode=None):
    """The Theano tutorials' pattern: a shared dataset sliced by a symbolic index (givens);
    250 rows in batches of 100, so the last batch is shorter."""
    data = np.random.default_rng(3)
    train_x = theano.shared(data.normal(size=(250, 6)), name="train_x")
    train_y = theano.shared(data.integers(0, 3, 250), name="train_y")
    index = T.lscalar("index")
    x, y = T.dmatrix("x"), T.lvector("y")
    W = theano.shared(np.zeros((6, 3)), name="W")
    p = T.nnet.softmax(T.dot(x, W))
    penalty = 1e-3 * T.exp(W).sum()  # computed into the workspace before any slice is made
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y]) + penalty
    batch = slice(index * 100, (index + 1) * 100)
    f = theano.function(
        [index],
        cost,
        updates=[(W, W - 0.5 * T.grad(cost, W))],
        givens={x: train_x[batch], y: train_y[batch]},
        mode=mode,
    )
    return f, W


def test_a_slice_by_a_symbolic_index_is_checked_where_it_is_made():
    f, W = _minibatch_step()
    lines = [line.split("#")[0].strip() for line in f.source.splitlines()]
    check = lines.index("if t5.shape != workspace.late[0]: ws = workspace.unset")
    assert lines.index("t1 = np.exp(W, out=ws[0])") < check  # a call may switch midway
    assert "t6 = np.matmul(t5, W, out=ws[1])" in lines[check:]
    g, V = _minibatch_step(NO_INPLACE)
    for index in [0, 1, 2, 2, 0, 1, 2, 0]:  # the short last batch comes and goes
        np.testing.assert_allclose(f(index), g(index), rtol=1e-12)
        np.testing.assert_allclose(W.get_value(), V.get_value(), rtol=1e-12)


def test_an_op_returning_its_input_undeclared_never_aliases_a_result():
    """A Theano-style op whose perform stores its input itself, without a view_map: its
    output is neither the caller's array nor a workspace array a later call overwrites."""
    from symgraph import gof

    class Identity(gof.Op):
        __props__ = ()

        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return gof.Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0]

    x = T.dmatrix("x")
    f = theano.function([x], [Identity()(T.dot(x, x)), Identity()(x) + 1.0])
    a = np.eye(2)
    product, shifted = f(a)
    f(2 * a)
    np.testing.assert_array_equal(product, np.eye(2))
    np.testing.assert_array_equal(shifted, np.eye(2) + 1.0)
    np.testing.assert_array_equal(a, np.eye(2))  # the caller's array is never written



def _two_layer_step(mode=None):
    """Two layers with SGD updates: the second layer's update may run (in place) before the
    first layer's gradient is made, once nothing after it can fail."""
    x = T.dmatrix("x")
    W1 = theano.shared(np.full((4, 4), 0.1), name="W1")
    W2 = theano.shared(np.full((4, 4), 0.1), name="W2")
    cost = T.dot(T.tanh(T.dot(x, W1)), W2).sum()
    updates = [(w, w - 0.1 * g) for w, g in zip([W1, W2], T.grad(cost, [W1, W2]))]
    return theano.function([x], cost, updates=updates, mode=mode), [W1, W2]


def test_an_update_runs_as_soon_as_nothing_after_it_can_fail():
    f, weights = _two_layer_step()
    lines = [line.split("#")[0].strip() for line in f.source.splitlines()]
    w2 = next(i for i, line in enumerate(lines) if line.startswith("W2 -= "))
    assert lines[w2 - 2] == "if ws is not workspace.unset:"
    assert w2 < max(i for i, line in enumerate(lines) if "np.matmul(" in line)  # W1's gradient
    checked, _ = _two_layer_step("DEBUG_MODE")  # its checks may raise after any node
    assert "if ws is not workspace.unset:" not in checked.source
    g, reference = _two_layer_step(NO_INPLACE)
    for n in (3, 3, 5, 3, 3):
        batch = rng.normal(size=(n, 4))
        np.testing.assert_allclose(f(batch), g(batch), rtol=1e-12)
        for w, v in zip(weights, reference):
            np.testing.assert_allclose(w.get_value(), v.get_value(), rtol=1e-12)


@pytest.mark.parametrize("loud", ["np.errstate", "warnings filter"])
def test_a_floating_point_error_after_an_early_update_changes_no_shared_variable(loud):
    """Where NumPy is told to raise (or a warnings filter makes its warning an error), the
    first layer's gradient overflowing after the second layer's update could run leaves
    both weights as they were: such a call runs its updates at its end."""
    f, (W1, W2) = _two_layer_step()
    x = np.full((3, 4), 1e307)
    f(x)
    f(x)  # the workspace is in use
    W1.set_value(np.full((4, 4), 1e-308))
    W2.set_value(np.full((4, 4), 10.0))  # x.T @ g overflows, nothing before it does
    with warnings.catch_warnings(), np.errstate(over="raise" if loud == "np.errstate" else "warn"):
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises((FloatingPointError, RuntimeWarning), match="overflow"):
            f(x)
    np.testing.assert_array_equal(W1.get_value(), np.full((4, 4), 1e-308))
    np.testing.assert_array_equal(W2.get_value(), np.full((4, 4), 10.0))


def test_an_op_that_may_raise_on_values_keeps_every_update_after_it():
    """A call repeating the shapes of one that ran still fails in an op that raises on
    values (``raises_on_values``, true unless an op declares otherwise): no update runs
    before it."""
    from symgraph import gof

    class Positive(gof.Op):
        __props__ = ()
        shapes_from_shapes = True

        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return gof.Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            if (inputs[0] < 0).any():
                raise ValueError("a negative element")
            output_storage[0][0] = inputs[0].copy()

    x = T.dmatrix("x")
    W = theano.shared(np.eye(3), name="W")
    a = T.dot(x, W)
    step = T.dot(a.T, a)  # W's update could run once this exists
    checked = Positive()(T.dot(T.tanh(step), x.T))
    f = theano.function([x], T.dot(checked, x).sum(), updates=[(W, W - 0.01 * step)])
    lines = [line.split("#")[0].strip() for line in f.source.splitlines()]
    assert lines.index("W -= t3") > lines.index("t7 = unaliased(positive.impl(t6), t6)")
    f(np.ones((2, 3)))
    f(np.ones((2, 3)))
    before = W.get_value()
    with pytest.raises(ValueError, match="a negative element"):
        f(-np.ones((2, 3)))
    np.testing.assert_array_equal(W.get_value(), before)


def test_floats_are_quiet_unless_an_error_would_raise():
    from symgraph.compile.memory import floats_quiet

    assert floats_quiet()
    with np.errstate(invalid="raise"):
        assert not floats_quiet()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert floats_quiet()  # nothing warns, so nothing raises
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert not floats_quiet()


def _optimizer_step(rule: str, decay: float, mode=None):
    """A two-layer classifier trained by the update rules Theano programs write by hand."""
    init = np.random.default_rng(5)
    x, y = T.dmatrix("x"), T.lvector("y")
    W1 = theano.shared(init.normal(size=(6, 5)) * 0.5, name="W1")
    b1 = theano.shared(np.zeros(5), name="b1")
    W2 = theano.shared(init.normal(size=(5, 3)) * 0.5, name="W2")
    b2 = theano.shared(np.zeros(3), name="b2")
    params = [W1, b1, W2, b2]
    p = T.nnet.softmax(T.dot(T.tanh(T.dot(x, W1) + b1), W2) + b2)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y]) + decay * T.sqr(W1).sum()
    grads = T.grad(cost, params)
    updates = []
    if rule == "momentum":  # the parameter moves by the velocity before this step's
        for q, g in zip(params, grads):
            velocity = theano.shared(np.zeros(q.get_value().shape))
            updates += [(q, q - 0.1 * velocity), (velocity, 0.9 * velocity + 0.1 * g)]
    else:  # Adam, with a shared step count
        t = theano.shared(np.float64(0.0))
        t_new = t + 1.0
        rate = 0.01 * T.sqrt(1 - 0.999**t_new) / (1 - 0.9**t_new)
        updates.append((t, t_new))
        for q, g in zip(params, grads):
            m = theano.shared(np.zeros(q.get_value().shape))
            v = theano.shared(np.zeros(q.get_value().shape))
            m_new, v_new = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * T.sqr(g)
            updates += [(m, m_new), (v, v_new), (q, q - rate * m_new / (T.sqrt(v_new) + 1e-8))]
    f = theano.function([x, y], cost, updates=updates, mode=mode)
    return f, [var for var, _ in updates]


@pytest.mark.parametrize("decay", [0.0, 1e-3])
@pytest.mark.parametrize("rule", ["momentum", "adam"])
def test_optimizer_updates_match_a_function_without_in_place_work(rule, decay):
    """Momentum and Adam, written as Theano programs write them, over minibatches of two
    sizes: every cost and every state variable, bit for bit. Without weight decay every
    array is updated in its own array, Adam's weights reading their new moments and
    momentum's weights their old velocities; with it, W1's update and its velocity's each
    read what the other writes, so those two get new arrays."""
    f, state = _optimizer_step(rule, decay)
    g, reference = _optimizer_step(rule, decay, NO_INPLACE)
    data = np.random.default_rng(6)
    arrays = None
    for n in (4, 4, 4, 7, 4, 4):
        xv, yv = data.normal(size=(n, 6)), data.integers(0, 3, size=n)
        assert f(xv, yv) == g(xv, yv)
        for ours, plain in zip(state, reference):
            np.testing.assert_array_equal(ours.get_value(), plain.get_value())
        held = [id(var.get_value(borrow=True)) for var in state if var.ndim]
        assert decay or arrays in (None, held)
        arrays = held


def test_an_output_showing_a_shared_variable_is_its_value_before_the_updates():
    """A shared variable returned as an output (itself, or through an identity such as
    ``grad_clip``) is copied before its update writes into its array, while the other
    layers' updates still run early (found by the randomized training-step test, seed 43)."""
    x = T.dmatrix("x")
    weights = [theano.shared(np.full((4, 4), 0.1), name=f"W{k}") for k in (1, 2, 3)]
    h = x
    for w in weights:
        h = T.tanh(T.dot(h, w))
    grads = T.grad(h.sum(), weights)
    W3 = weights[2]
    shown = [W3, theano.gradient.grad_clip(W3, -1e6, 1e6)]
    f = theano.function([x], shown, updates=[(w, w - 0.1 * g) for w, g in zip(weights, grads)])
    assert "if ws is not workspace.unset:" in f.source  # W2's update, at least, runs early
    batch = rng.normal(size=(3, 4))
    for _ in range(3):
        before = W3.get_value()
        for got in f(batch):
            np.testing.assert_array_equal(got, before)
