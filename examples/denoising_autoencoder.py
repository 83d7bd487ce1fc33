#!/usr/bin/env python
"""The Theano tutorial's denoising autoencoder, run by symgraph after changing only the imports.

The ``dA`` class below is written as in the deeplearning.net tutorial: the
input is corrupted by a binomial mask drawn from a ``RandomStreams``
(``theano_rng.binomial(size=input.shape, n=1, p=1 - corruption_level)``), the
decoder uses the encoder's weights transposed (tied weights), the cost is the
cross-entropy of the reconstruction, and the training function takes a
minibatch index with ``givens``. The mask's generator advances on every call
through its default update, so each minibatch sees a new corruption.

The data are made here: 12x12 binary images of a few random horizontal and
vertical bars (the "bars" problem, which needs hidden units that each learn a
bar). The program prints the mean reconstruction cost per epoch; it falls.

Run: ``python examples/denoising_autoencoder.py`` (a few seconds;
``SYMGRAPH_EXAMPLE_STEPS`` sets the number of minibatch updates).
"""

import os
import time

import numpy

import symgraph as theano
import symgraph.tensor as T
from symgraph.tensor.shared_randomstreams import RandomStreams

SIDE = 12
STEPS = int(os.environ.get("SYMGRAPH_EXAMPLE_STEPS", 3000))


def make_bars(n, rng):
    """``n`` flattened SIDE x SIDE images, each with 1 to 3 horizontal or vertical bars."""
    images = numpy.zeros((n, SIDE, SIDE), dtype=theano.config.floatX)
    for image in images:
        for _ in range(rng.randint(1, 4)):
            if rng.rand() < 0.5:
                image[rng.randint(SIDE), :] = 1.0
            else:
                image[:, rng.randint(SIDE)] = 1.0
    return images.reshape(n, SIDE * SIDE)


class dA:  # noqa: N801 (the tutorial's name)
    """Denoising autoencoder: corrupt the input, encode, decode with tied weights."""

    def __init__(self, numpy_rng, theano_rng=None, input=None, n_visible=144, n_hidden=40):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2**30))
        bound = 4 * numpy.sqrt(6.0 / (n_hidden + n_visible))
        initial_W = numpy.asarray(
            numpy_rng.uniform(low=-bound, high=bound, size=(n_visible, n_hidden)),
            dtype=theano.config.floatX,
        )
        self.W = theano.shared(value=initial_W, name="W", borrow=True)
        self.b = theano.shared(numpy.zeros(n_hidden, dtype=theano.config.floatX), name="b")
        self.b_prime = theano.shared(
            numpy.zeros(n_visible, dtype=theano.config.floatX), name="b_prime"
        )
        self.W_prime = self.W.T  # tied weights
        self.theano_rng = theano_rng
        self.x = T.matrix(name="input") if input is None else input
        self.params = [self.W, self.b, self.b_prime]

    def get_corrupted_input(self, input, corruption_level):
        """Keep each entry with probability ``1 - corruption_level``, zero it otherwise."""
        return (
            self.theano_rng.binomial(
                size=input.shape, n=1, p=1 - corruption_level, dtype=theano.config.floatX
            )
            * input
        )

    def get_hidden_values(self, input):
        return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

    def get_reconstructed_input(self, hidden):
        return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

    def get_cost_updates(self, corruption_level, learning_rate):
        tilde_x = self.get_corrupted_input(self.x, corruption_level)
        y = self.get_hidden_values(tilde_x)
        z = self.get_reconstructed_input(y)
        L = -T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        cost = T.mean(L)
        gparams = T.grad(cost, self.params)
        updates = [
            (param, param - learning_rate * gparam) for param, gparam in zip(self.params, gparams)
        ]
        return cost, updates


def test_dA(learning_rate=0.1, batch_size=20, n_train=2000, corruption_level=0.3):
    rng = numpy.random.RandomState(123)
    train_set_x = theano.shared(make_bars(n_train, rng), borrow=True)
    n_train_batches = n_train // batch_size

    index = T.lscalar()
    x = T.matrix("x")
    theano_rng = RandomStreams(rng.randint(2**30))
    da = dA(numpy_rng=rng, theano_rng=theano_rng, input=x, n_visible=SIDE * SIDE, n_hidden=40)
    cost, updates = da.get_cost_updates(corruption_level, learning_rate)
    train_da = theano.function(
        [index],
        cost,
        updates=updates,
        givens={x: train_set_x[index * batch_size : (index + 1) * batch_size]},
    )
    # the reconstruction of clean inputs, without corruption, to judge the model
    z = da.get_reconstructed_input(da.get_hidden_values(x))
    reconstruction = theano.function(
        [], T.mean(-T.sum(x * T.log(z) + (1 - x) * T.log(1 - z), axis=1)), givens={x: train_set_x}
    )

    print(f"initial reconstruction cost of clean images: {float(reconstruction()):.3f}")
    epochs = max(STEPS // n_train_batches, 1)
    start = time.perf_counter()
    for epoch in range(epochs):
        c = [train_da(batch_index) for batch_index in range(n_train_batches)]
        print(f"Training epoch {epoch}, cost {numpy.mean(c):.3f}")
    elapsed = time.perf_counter() - start
    print(f"final reconstruction cost of clean images: {float(reconstruction()):.3f}")
    steps = epochs * n_train_batches
    print(f"training: {steps} steps in {elapsed:.2f} s, {elapsed / steps * 1e3:.2f} ms per step")


if __name__ == "__main__":
    test_dA()
