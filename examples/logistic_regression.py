#!/usr/bin/env python
"""The Theano tutorial's logistic regression, run by symgraph after changing only the imports.

The program below is the tutorial's text (see docs/tutorial.md), with three
additions: the random generator is seeded so runs are reproducible, the number
of steps can be shortened with ``SYMGRAPH_EXAMPLE_STEPS`` (the test suite uses
it), and the end reports training accuracy and time per step.

Run: ``python examples/logistic_regression.py``
"""

import os
import time

import numpy

import symgraph as theano
import symgraph.tensor as T

rng = numpy.random
rng.seed(2024)

N = 400
feats = 784

# D[0]: generate random numbers of size N x feats (standard normal)
# D[1]: generate random int numbers of size N, 0 or 1
D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
training_steps = int(os.environ.get("SYMGRAPH_EXAMPLE_STEPS", 10000))

# declare symbolic variables
x = T.matrix("x")
y = T.vector("y")
w = theano.shared(rng.randn(feats), name="w")  # w is shared for every input
b = theano.shared(0.0, name="b")  # b is shared too.
print("Initial model:")
print(w.get_value())
print(b.get_value())

# construct theano expressions, symbolic
p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))  # sigmoid function, probability of target being 1
prediction = p_1 > 0.5
xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)  # cross entropy
cost = xent.mean() + 0.01 * (w**2).sum()  # cost function to update parameters
gw, gb = T.grad(cost, [w, b])  # gradient of the cost, for gradient descent

# compile
train = theano.function(
    inputs=[x, y], outputs=[prediction, xent], updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb))
)
predict = theano.function(inputs=[x], outputs=prediction)

# train
start = time.perf_counter()
for _ in range(training_steps):
    pred, err = train(D[0], D[1])
elapsed = time.perf_counter() - start

print("Final model:")
print(w.get_value())
print(b.get_value())
print("target values for D:")
print(D[1])
print("prediction on D:")
print(predict(D[0]))
print("newly generated data for test:")
test_input = rng.randn(30, feats)
print("result:")
print(predict(test_input))

accuracy = numpy.mean(predict(D[0]) == D[1])
print(f"training accuracy: {100 * accuracy:.1f}%")
print(
    f"training: {training_steps} steps in {elapsed:.2f} s, {1e6 * elapsed / training_steps:.0f} us per step"
)
