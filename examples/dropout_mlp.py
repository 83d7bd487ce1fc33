#!/usr/bin/env python
"""Dropout in a multilayer perceptron, written as Theano programs wrote it.

During training each hidden unit is kept with probability ``1 - p``: its
output is multiplied by a binomial mask drawn from a ``RandomStreams``, a new
mask on every call (the stream's generator advances through its default
update). At test time the same weights are used without masks, scaled by
``1 - p``. The gradient flows through the kept units only: the mask is a
constant for ``grad``.

The data are made here: two noisy concentric rings in the plane, one class
each. The program trains with minibatch SGD and prints the test accuracy;
it also shows that two calls draw different masks and that a function
compiled with ``no_default_updates=True`` draws the same one every time.

Run: ``python examples/dropout_mlp.py`` (a few seconds; ``SYMGRAPH_EXAMPLE_STEPS``
sets the number of minibatch updates).
"""

import os
import time

import numpy

import symgraph as theano
import symgraph.tensor as T
from symgraph.tensor.shared_randomstreams import RandomStreams

STEPS = int(os.environ.get("SYMGRAPH_EXAMPLE_STEPS", 2000))
floatX = theano.config.floatX


def make_rings(n, rng):
    """Points on a ring of radius 1 (class 0) or 2.5 (class 1), with noise."""
    labels = rng.randint(0, 2, size=n)
    angle = rng.uniform(0, 2 * numpy.pi, size=n)
    radius = numpy.where(labels == 1, 2.5, 1.0) + 0.3 * rng.randn(n)
    points = numpy.stack([radius * numpy.cos(angle), radius * numpy.sin(angle)], axis=1)
    return points.astype(floatX), labels.astype("int64")


def _dropout_from_layer(srng, layer, p):
    """``layer`` with each unit kept with probability ``1 - p``."""
    mask = srng.binomial(n=1, p=1 - p, size=layer.shape)
    return layer * T.cast(mask, floatX)


class HiddenLayer:
    def __init__(self, rng, input, n_in, n_out, W=None, b=None):
        if W is None:
            bound = numpy.sqrt(6.0 / (n_in + n_out))
            W = theano.shared(rng.uniform(-bound, bound, (n_in, n_out)).astype(floatX), name="W")
        if b is None:
            b = theano.shared(numpy.zeros(n_out, dtype=floatX), name="b")
        self.W, self.b = W, b
        self.output = T.nnet.relu(T.dot(input, self.W) + self.b)
        self.params = [self.W, self.b]


class DropoutMLP:
    """Two hidden layers; a dropout path for training and a scaled path for testing."""

    def __init__(self, rng, input, n_in, n_hidden, n_out, p=0.5):
        srng = RandomStreams(rng.randint(999999))
        dropout_input = input
        clean_input = input
        self.params = []
        sizes = [n_in, *n_hidden]
        for n_a, n_b in zip(sizes[:-1], sizes[1:]):
            train_layer = HiddenLayer(rng, dropout_input, n_a, n_b)
            # the test path shares the weights, scaled by the keep probability of its input
            scale = 1.0 if dropout_input is input else 1 - p
            test_layer = HiddenLayer(
                rng, clean_input, n_a, n_b, train_layer.W * scale, train_layer.b
            )
            dropout_input = _dropout_from_layer(srng, train_layer.output, p)
            clean_input = test_layer.output
            self.params += train_layer.params
        self.W_out = theano.shared(numpy.zeros((sizes[-1], n_out), dtype=floatX), name="W_out")
        self.b_out = theano.shared(numpy.zeros(n_out, dtype=floatX), name="b_out")
        self.params += [self.W_out, self.b_out]
        self.dropout_hidden = dropout_input
        self.p_train = T.nnet.softmax(T.dot(dropout_input, self.W_out) + self.b_out)
        self.p_test = T.nnet.softmax(T.dot(clean_input, self.W_out * (1 - p)) + self.b_out)

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_train)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(T.argmax(self.p_test, axis=1), y))


def main(batch_size=32, learning_rate=0.1):
    rng = numpy.random.RandomState(1234)
    train_x, train_y = make_rings(2000, rng)
    test_x, test_y = make_rings(1000, rng)
    x, y = T.matrix("x"), T.lvector("y")
    model = DropoutMLP(rng, x, n_in=2, n_hidden=[64, 64], n_out=2, p=0.5)
    cost = model.negative_log_likelihood(y)
    grads = T.grad(cost, model.params)
    updates = [(param, param - learning_rate * g) for param, g in zip(model.params, grads)]
    train = theano.function([x, y], cost, updates=updates)
    test_error = theano.function([x, y], model.errors(y))

    hidden = theano.function([x], model.dropout_hidden)
    frozen = theano.function([x], model.dropout_hidden, no_default_updates=True)
    probe = test_x[:5]
    print("two calls draw different masks:", not numpy.allclose(hidden(probe), hidden(probe)))
    print("no_default_updates draws the same:", bool(numpy.allclose(frozen(probe), frozen(probe))))

    print(f"initial test error: {100 * float(test_error(test_x, test_y)):.1f}%")
    start = time.perf_counter()
    report_every = max(STEPS // 5, 1)
    for step in range(1, STEPS + 1):
        batch = rng.randint(0, len(train_x), size=batch_size)
        batch_cost = train(train_x[batch], train_y[batch])
        if step % report_every == 0:
            print(f"step {step:5d}  training cost {float(batch_cost):.4f}")
    elapsed = time.perf_counter() - start
    print(f"final test error: {100 * float(test_error(test_x, test_y)):.1f}%")
    print(f"training: {STEPS} steps in {elapsed:.2f} s, {elapsed / STEPS * 1e3:.2f} ms per step")


if __name__ == "__main__":
    main()
