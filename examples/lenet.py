#!/usr/bin/env python
"""The Theano tutorial's convolutional network (LeNet-5), run by symgraph after changing only the imports.

The classes and the training function are the tutorial's (deeplearning.net,
"Convolutional Neural Networks (LeNet)"), in Python 3. The data are made
here instead of downloaded: 28x28 images of the digits 0-9 drawn as
seven-segment figures, each of its own size, stroke width and place, with
noise, split into training, validation and test sets as MNIST is.

Run: ``python examples/lenet.py`` (200 minibatches of 500, about a minute and a half);
``SYMGRAPH_EXAMPLE_STEPS`` sets the number of training minibatches.
"""

import os
import time

import numpy

import symgraph as theano
import symgraph.tensor as T
from symgraph.tensor.nnet import conv2d
from symgraph.tensor.signal import pool

# -- the data: seven-segment digits --------------------------------------------------------------

#: the segments each digit lights: a top, b upper right, c lower right, d bottom,
#: e lower left, f upper left, g middle
SEGMENTS = ["abcdef", "bc", "abdeg", "abcdg", "bcfg", "acdfg", "acdefg", "abc", "abcdefg", "abcdfg"]


def draw_digits(n, rng):
    """``n`` noisy 28x28 digits (rows of 784 values in [0, 1]) and their labels."""
    images = numpy.zeros((n, 28, 28))
    labels = rng.randint(0, 10, size=n)
    for image, label in zip(images, labels):
        height, width, stroke = rng.randint(14, 21), rng.randint(8, 13), rng.randint(2, 4)
        top, left = rng.randint(2, 27 - height), rng.randint(3, 25 - width)
        middle, bottom, right = top + height // 2, top + height, left + width
        boxes = {
            "a": (top, top + stroke, left, right),
            "b": (top, middle, right - stroke, right),
            "c": (middle, bottom, right - stroke, right),
            "d": (bottom - stroke, bottom, left, right),
            "e": (middle, bottom, left, left + stroke),
            "f": (top, middle, left, left + stroke),
            "g": (middle - stroke // 2, middle - stroke // 2 + stroke, left, right),
        }
        for segment in SEGMENTS[label]:
            r0, r1, c0, c1 = boxes[segment]
            image[r0:r1, c0:c1] = rng.uniform(0.7, 1.0)
    images += rng.normal(0, 0.15, size=images.shape)
    return numpy.clip(images, 0, 1).reshape(n, 784), labels


def load_data(rng, sizes=(10000, 1000, 1000)):
    """Training, validation and test sets in shared variables, as the tutorial's ``load_data``."""

    def shared_dataset(data_xy, borrow=True):
        data_x, data_y = data_xy
        shared_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=borrow)
        shared_y = theano.shared(numpy.asarray(data_y, dtype=theano.config.floatX), borrow=borrow)
        return shared_x, T.cast(shared_y, "int32")

    return [shared_dataset(draw_digits(n, rng)) for n in sizes]


# -- the tutorial's model ------------------------------------------------------------------------


class LogisticRegression:
    """Multi-class logistic regression: a softmax over a linear map."""

    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(
            value=numpy.zeros((n_in, n_out), dtype=theano.config.floatX), name="W", borrow=True
        )
        self.b = theano.shared(
            value=numpy.zeros((n_out,), dtype=theano.config.floatX), name="b", borrow=True
        )
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(self.y_pred, y))


class HiddenLayer:
    """A fully connected layer: ``activation(dot(input, W) + b)``."""

    def __init__(self, rng, input, n_in, n_out, W=None, b=None, activation=T.tanh):
        self.input = input
        if W is None:
            W_values = numpy.asarray(
                rng.uniform(
                    low=-numpy.sqrt(6.0 / (n_in + n_out)),
                    high=numpy.sqrt(6.0 / (n_in + n_out)),
                    size=(n_in, n_out),
                ),
                dtype=theano.config.floatX,
            )
            if activation == theano.tensor.nnet.sigmoid:
                W_values *= 4
            W = theano.shared(value=W_values, name="W", borrow=True)
        if b is None:
            b_values = numpy.zeros((n_out,), dtype=theano.config.floatX)
            b = theano.shared(value=b_values, name="b", borrow=True)
        self.W = W
        self.b = b
        lin_output = T.dot(input, self.W) + self.b
        self.output = lin_output if activation is None else activation(lin_output)
        self.params = [self.W, self.b]


class LeNetConvPoolLayer:
    """Pool Layer of a convolutional network"""

    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)):
        assert image_shape[1] == filter_shape[1]
        self.input = input
        # there are "num input feature maps * filter height * filter width" inputs to each
        # hidden unit; each unit of the lower layer receives a gradient from
        # "num output feature maps * filter height * filter width" / pooling size
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize)
        W_bound = numpy.sqrt(6.0 / (fan_in + fan_out))
        self.W = theano.shared(
            numpy.asarray(
                rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                dtype=theano.config.floatX,
            ),
            borrow=True,
        )
        b_values = numpy.zeros((filter_shape[0],), dtype=theano.config.floatX)
        self.b = theano.shared(value=b_values, borrow=True)

        # convolve input feature maps with filters
        conv_out = conv2d(
            input=input, filters=self.W, filter_shape=filter_shape, input_shape=image_shape
        )
        # pool each feature map individually, using maxpooling
        pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        # add the bias term, broadcast across mini-batches and feature map width & height
        self.output = T.tanh(pooled_out + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]
        self.input = input


def evaluate_lenet5(learning_rate=0.1, n_steps=200, nkerns=(20, 50), batch_size=500):
    """Train LeNet-5 by SGD for ``n_steps`` minibatches, checking the validation error as it goes."""
    rng = numpy.random.RandomState(23455)
    datasets = load_data(rng)
    train_set_x, train_set_y = datasets[0]
    valid_set_x, valid_set_y = datasets[1]
    test_set_x, test_set_y = datasets[2]
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    n_valid_batches = valid_set_x.get_value(borrow=True).shape[0] // batch_size
    n_test_batches = test_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar()  # index to a [mini]batch
    x = T.matrix("x")  # the data is presented as rasterized images
    y = T.ivector("y")  # the labels are presented as 1D vector of [int] labels

    print("... building the model")
    # (batch_size, 28 * 28) -> (batch_size, 1, 28, 28); the convolutions give 24x24, the
    # pooling 12x12, then 8x8 and 4x4
    layer0_input = x.reshape((batch_size, 1, 28, 28))
    layer0 = LeNetConvPoolLayer(
        rng,
        input=layer0_input,
        image_shape=(batch_size, 1, 28, 28),
        filter_shape=(nkerns[0], 1, 5, 5),
        poolsize=(2, 2),
    )
    layer1 = LeNetConvPoolLayer(
        rng,
        input=layer0.output,
        image_shape=(batch_size, nkerns[0], 12, 12),
        filter_shape=(nkerns[1], nkerns[0], 5, 5),
        poolsize=(2, 2),
    )
    layer2_input = layer1.output.flatten(2)
    layer2 = HiddenLayer(
        rng, input=layer2_input, n_in=nkerns[1] * 4 * 4, n_out=500, activation=T.tanh
    )
    layer3 = LogisticRegression(input=layer2.output, n_in=500, n_out=10)
    cost = layer3.negative_log_likelihood(y)

    def batch(data, labels):
        return {
            x: data[index * batch_size : (index + 1) * batch_size],
            y: labels[index * batch_size : (index + 1) * batch_size],
        }

    test_model = theano.function([index], layer3.errors(y), givens=batch(test_set_x, test_set_y))
    validate_model = theano.function(
        [index], layer3.errors(y), givens=batch(valid_set_x, valid_set_y)
    )
    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [
        (param_i, param_i - learning_rate * grad_i) for param_i, grad_i in zip(params, grads)
    ]
    train_model = theano.function(
        [index], cost, updates=updates, givens=batch(train_set_x, train_set_y)
    )

    def validation_error():
        return numpy.mean([validate_model(i) for i in range(n_valid_batches)])

    print("... training")
    print(f"validation error before training: {validation_error() * 100:.1f} %")
    start = time.perf_counter()
    for step in range(n_steps):
        cost_ij = train_model(step % n_train_batches)
        if step == 0:
            print(f"first minibatch cost: {float(cost_ij):.4f}")
        if (step + 1) % n_train_batches == 0 or step + 1 == n_steps:
            print(
                f"epoch {step // n_train_batches + 1}, minibatch {step % n_train_batches + 1}/"
                f"{n_train_batches}, cost {float(cost_ij):.4f}, "
                f"validation error {validation_error() * 100:.1f} %"
            )
    elapsed = time.perf_counter() - start
    test_score = numpy.mean([test_model(i) for i in range(n_test_batches)])
    print(f"last minibatch cost: {float(cost_ij):.4f}")
    print(f"test error: {test_score * 100:.1f} %")
    print(
        f"training: {n_steps} steps in {elapsed:.1f} s, {elapsed / n_steps * 1e3:.0f} ms per step"
    )


if __name__ == "__main__":
    evaluate_lenet5(n_steps=int(os.environ.get("SYMGRAPH_EXAMPLE_STEPS", 200)))
