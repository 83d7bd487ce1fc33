#!/usr/bin/env python
"""Backpropagation by hand, checked against symbolic gradients.

A Linear-ReLU-Linear network with a mean-squared-error loss, as in the seed
article on gradient descent and backpropagation: the forward pass is built
symbolically and differentiated by ``T.grad``; the backward pass is also
written out by hand in NumPy, one chain-rule step per layer (``mse_grad``,
``lin_grad``, ``relu_grad``). The two must agree to rounding error.

Run: ``python examples/mlp_backprop.py``
"""

import numpy as np

import symgraph as theano
import symgraph.tensor as T

rng = np.random.default_rng(0)
n_samples, n_in, n_hidden = 64, 10, 50
data = {
    "x": rng.normal(size=(n_samples, n_in)),
    "y": rng.normal(size=n_samples),
    "w1": rng.normal(size=(n_in, n_hidden)) / np.sqrt(n_in),
    "b1": np.zeros(n_hidden),
    "w2": rng.normal(size=(n_hidden, 1)) / np.sqrt(n_hidden),
    "b2": np.zeros(1),
}

# -- the network, symbolically -----------------------------------------------------------------
x, w1, w2 = T.dmatrices("x", "w1", "w2")
y, b1, b2 = T.dvectors("y", "b1", "b2")
l1 = T.dot(x, w1) + b1  # Linear
l2 = T.nnet.relu(l1)  # ReLU
out = T.dot(l2, w2) + b2  # Linear, one output column
loss = ((out[:, 0] - y) ** 2).mean()  # MSE

params = [w1, b1, w2, b2, x]
grads = T.grad(loss, params)
forward_backward = theano.function([x, y, w1, b1, w2, b2], [loss, *grads])


# -- the same network, backpropagated by hand ---------------------------------------------------
def mse_grad(out, y):
    """d loss / d out for loss = mean((out[:, 0] - y)**2): 2 (out - y) / n, as a column."""
    return 2.0 * (out[:, 0] - y)[:, None] / out.shape[0]


def lin_grad(inp, w, g_out):
    """Chain rule through out = inp @ w + b: returns (d inp, d w, d b)."""
    return g_out @ w.T, inp.T @ g_out, g_out.sum(0)


def relu_grad(inp, g_out):
    """ReLU passes the gradient where its input was positive and blocks it elsewhere."""
    return (inp > 0) * g_out


def backprop_by_hand(x, y, w1, b1, w2, b2):
    l1 = x @ w1 + b1
    l2 = np.maximum(l1, 0)
    out = l2 @ w2 + b2
    loss = np.mean((out[:, 0] - y) ** 2)
    g_out = mse_grad(out, y)
    g_l2, g_w2, g_b2 = lin_grad(l2, w2, g_out)
    g_l1 = relu_grad(l1, g_l2)
    g_x, g_w1, g_b1 = lin_grad(x, w1, g_l1)
    return loss, g_w1, g_b1, g_w2, g_b2, g_x


symbolic = forward_backward(*(data[k] for k in ("x", "y", "w1", "b1", "w2", "b2")))
by_hand = backprop_by_hand(*(data[k] for k in ("x", "y", "w1", "b1", "w2", "b2")))

print(f"loss: symbolic {float(symbolic[0]):.12f}, by hand {by_hand[0]:.12f}")
print("max abs difference between symbolic and hand-written gradients:")
for name, mine, theirs in zip(["w1", "b1", "w2", "b2", "x"], symbolic[1:], by_hand[1:]):
    assert mine.shape == theirs.shape, (name, mine.shape, theirs.shape)
    print(f"  d loss / d {name:<2} {str(mine.shape):>9}: {np.max(np.abs(mine - theirs)):.3e}")
