#!/usr/bin/env python
"""PyTorch's autograd basics, symbolically.

The seed tutorial calls ``y.backward()`` and reads ``x.grad``. In symgraph a
gradient is itself an expression: ``T.grad(y, x)`` builds a graph, which can be
printed, compiled and evaluated like any other. Each case below prints the
gradient's formula (``pprint``), its value, and its compiled graph
(``debugprint``).

Run: ``python examples/autodiff_tour.py``
"""

import numpy as np

import symgraph as theano
import symgraph.tensor as T
from symgraph.gradient import disconnected_grad
from symgraph.ifelse import ifelse
from symgraph.printing import debugprint, pprint

x = T.dvector("x")
x_value = np.arange(4.0)  # torch.arange(4.0)


def show(title, gradient, inputs, values, expected):
    """Print the gradient's formula and value, check it, and print its compiled graph."""
    f = theano.function(inputs, gradient)
    value = f(*values)
    print(f"== {title}")
    print(f"gradient: {pprint(gradient)}")
    print(f"value:    {value}")
    print(f"expected: {np.asarray(expected)}  (match: {np.allclose(value, expected)})")
    debugprint(f)
    print()


# y = 2 x.x: the gradient is 4x
y = 2 * T.dot(x, x)
show("y = 2 * dot(x, x)", T.grad(y, x), [x], [x_value], 4 * x_value)

# y = sum(x): the gradient is all ones
show("y = x.sum()", T.grad(x.sum(), x), [x], [x_value], np.ones(4))

# a non-scalar y: differentiate y.sum(), as y.sum().backward() does; the gradient is 2x
y = x * x
show("y = x * x, gradient of y.sum()", T.grad(y.sum(), x), [x], [x_value], 2 * x_value)

# detach: u has y's value but is a constant for differentiation, so d(u * x)/dx = u
u = disconnected_grad(y)
z = u * x
show("u = detach(x * x); z = u * x", T.grad(z.sum(), x), [x], [x_value], x_value**2)
show("y = x * x is still a function of x", T.grad(y.sum(), x), [x], [x_value], 2 * x_value)

# Python control flow, made symbolic. The tutorial's f(a) doubles b = 2a until
# its norm reaches 1000, then keeps b if b.sum() > 0, else takes 100 * b.
# The loop's count k = ceil(log2(1000 / |b|)) (at least 0) is piecewise constant,
# so it carries no gradient; the branch is an ifelse, which computes only the
# side it takes.
a = T.dscalar("a")
b = a * 2
k = T.maximum(T.ceil(T.log2(1000 / T.sqrt((b**2).sum()))), 0)
b = b * 2**k
c = ifelse(T.gt(b.sum(), 0), b, 100 * b)
d = theano.function([a], c)
print(f"f(2.0) = {d(2.0)}  (the tutorial's d: 1024)")
show("d = f(a), control flow", T.grad(c, a), [a], [2.0], 512.0)

# f is linear in a on each piece, so df/da = f(a) / a, the tutorial's final check
dd_da = theano.function([a], T.grad(c, a))
for value in (2.0, -2.0, 0.1):
    slope = dd_da(value)
    print(f"a = {value:4}: f(a) = {d(value):9}, df/da = {slope:7}, f(a) / a == df/da: ", end="")
    print(np.isclose(d(value) / value, slope))
