#!/usr/bin/env python
"""An Elman recurrent network trained by backpropagation through time, with ``scan``.

The task needs memory: the input is a sequence of random numbers, and the
target at step t is the input from ``DELAY`` steps earlier (zero before that).
The network is Elman's: ``h_t = tanh(x_t W_x + h_{t-1} W_h + b)``, read out as
``y_t = h_t W_y + c``. ``scan`` builds the loop over time; ``grad`` turns it
into a second scan that runs backwards (BPTT). The gradient is first checked
against finite differences with ``verify_grad``, then the network is trained
with momentum on minibatches, printing the loss as it falls.

Run: ``python examples/rnn.py`` (a few seconds; ``SYMGRAPH_EXAMPLE_STEPS``
sets the number of training steps).
"""

import os
import time

import numpy as np

import symgraph as theano
import symgraph.tensor as T
from symgraph.gradient import verify_grad

DELAY, LENGTH, BATCH, HIDDEN = 3, 20, 32, 16
STEPS = int(os.environ.get("SYMGRAPH_EXAMPLE_STEPS", 800))
rng = np.random.default_rng(2024)


def make_batch(batch: int = BATCH) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (time, batch, 1) and targets: each input delayed by ``DELAY`` steps."""
    x = rng.uniform(-1, 1, size=(LENGTH, batch, 1))
    y = np.zeros_like(x)
    y[DELAY:] = x[:-DELAY]
    return x, y


def elman(x, h0, W_x, W_h, b, W_y, c):
    """Outputs (time, batch, 1) of the network over the sequence ``x``."""

    def step(x_t, h_prev, W_x, W_h, b):
        return T.tanh(T.dot(x_t, W_x) + T.dot(h_prev, W_h) + b)

    h, _ = theano.scan(step, sequences=x, outputs_info=h0, non_sequences=[W_x, W_h, b])
    return T.dot(h, W_y) + c


def mean_squared_error(prediction, target):
    return T.mean((prediction - target) ** 2)


# -- the gradient, checked against finite differences on a small network ----------------------
small = {
    name: 0.5 * rng.normal(size=shape)
    for name, shape in [("W_x", (1, 3)), ("W_h", (3, 3)), ("b", (3,)), ("W_y", (3, 1)), ("c", (1,))]
}
x_check, y_check = make_batch(2)
x_check, y_check = x_check[:6], y_check[:6]
h0_check = np.zeros((2, 3))


def small_loss(W_x, W_h, b, W_y, c):
    return mean_squared_error(elman(x_check, h0_check, W_x, W_h, b, W_y, c), y_check)


verify_grad(small_loss, list(small.values()))
print("verify_grad: the BPTT gradient matches finite differences")

# -- the model, its training step and its evaluation -------------------------------------------
params = [
    theano.shared(rng.normal(size=(1, HIDDEN)), name="W_x"),
    theano.shared(rng.normal(size=(HIDDEN, HIDDEN)) / np.sqrt(HIDDEN), name="W_h"),
    theano.shared(np.zeros(HIDDEN), name="b"),
    theano.shared(rng.normal(size=(HIDDEN, 1)) / np.sqrt(HIDDEN), name="W_y"),
    theano.shared(np.zeros(1), name="c"),
]
velocities = [theano.shared(np.zeros_like(p.get_value()), name=f"v_{p.name}") for p in params]
x, y = T.tensor3("x"), T.tensor3("y")
h0 = T.zeros((x.shape[1], HIDDEN))
loss = mean_squared_error(elman(x, h0, *params), y)
grads = theano.grad(loss, params)
learning_rate, momentum = 0.05, 0.9
updates = []
for p, v, g in zip(params, velocities, grads):
    new_v = momentum * v - learning_rate * g
    updates += [(v, new_v), (p, p + new_v)]
train = theano.function([x, y], loss, updates=updates)
evaluate = theano.function([x, y], loss)

x_test, y_test = make_batch(256)
print(f"predicting 0 everywhere: loss {float(np.mean(y_test**2)):.4f}")
print(f"initial test loss: {float(evaluate(x_test, y_test)):.4f}")
start = time.perf_counter()
report_every = max(STEPS // 8, 1)
for step in range(1, STEPS + 1):
    batch_loss = train(*make_batch())
    if step == 1 or step % report_every == 0:
        print(f"step {step:4d}  training loss {float(batch_loss):.4f}")
elapsed = time.perf_counter() - start
print(f"final test loss: {float(evaluate(x_test, y_test)):.4f}")
print(f"training: {STEPS} steps in {elapsed:.2f} s, {elapsed / STEPS * 1e3:.2f} ms per step")
