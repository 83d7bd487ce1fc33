"""The workspace: intermediate arrays a function keeps between calls never change a result."""

import numpy as np

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
    assert "ws = workspace.arrays if shapes == workspace.shapes else workspace.unset" in f.source
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
