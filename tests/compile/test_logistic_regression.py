"""The seed program, Theano's logistic-regression tutorial, with only its imports changed.

Run for 50 steps instead of 10000; its final weights must equal a NumPy
implementation of the same gradient-descent updates to 1e-10.
"""

import warnings

import numpy as np

import symgraph as theano
import symgraph.tensor as T

SEED_PROGRAM = """
import numpy
import symgraph as theano
import symgraph.tensor as T
rng = numpy.random

N = 400
feats = 784
D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
training_steps = 50

x = T.matrix('x')
y = T.vector('y')
w = theano.shared(rng.randn(feats), name='w')
b = theano.shared(0., name='b')
print('Initial model:')
print(w.get_value())
print(b.get_value())

p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
prediction = p_1 > 0.5
xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
cost = xent.mean() + 0.01 * (w ** 2).sum()
gw, gb = T.grad(cost, [w, b])

train = theano.function(inputs=[x, y], outputs=[prediction, xent],
                        updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
predict = theano.function(inputs=[x], outputs=prediction)

for i in range(training_steps):
    pred, err = train(D[0], D[1])

print('Final model:')
print(w.get_value())
print(b.get_value())
print('target values for D:')
print(D[1])
print('prediction on D:')
print(predict(D[0]))
"""


def numpy_reference(steps: int) -> tuple[np.ndarray, float]:
    """The same data and updates, with the gradient derived by hand: dxent/dz = p - y."""
    np.random.seed(0)
    rng = np.random
    n, feats = 400, 784
    x, y = rng.randn(n, feats), rng.randint(size=n, low=0, high=2)
    w, b = rng.randn(feats), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x.dot(w) - b))
        dz = (p - y) / n
        gw = x.T.dot(dz) + 0.02 * w
        gb = dz.sum()
        w, b = w - 0.1 * gw, b - 0.1 * gb
    return w, b


def test_seed_program_matches_numpy(capsys):
    np.random.seed(0)
    namespace: dict = {}
    exec(compile(SEED_PROGRAM, "logistic_regression_seed.py", "exec"), namespace)
    assert "Final model:" in capsys.readouterr().out
    w, b = numpy_reference(steps=50)
    np.testing.assert_allclose(namespace["w"].get_value(), w, rtol=0, atol=1e-10)
    np.testing.assert_allclose(namespace["b"].get_value(), b, rtol=0, atol=1e-10)
    prediction = namespace["predict"](namespace["D"][0])
    np.testing.assert_array_equal(prediction, 1 / (1 + np.exp(-namespace["D"][0] @ w - b)) > 0.5)


def test_saturated_sigmoids_raise_no_warning():
    """With X scaled by 100, |x.w| reaches thousands: exp(-z) overflows, and the sigmoid
    and the stabilized cross-entropy must still give finite values without a RuntimeWarning."""
    rng = np.random.RandomState(0)
    data, labels = rng.randn(400, 784) * 100, rng.randint(size=400, low=0, high=2)
    x, y = T.matrix("x"), T.vector("y")
    w, b = theano.shared(rng.randn(784), name="w"), theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function(
        [x, y], [p_1 > 0.5, xent, p_1], updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb))
    )
    z = data @ w.get_value()
    assert z.min() < -745 and z.max() > 745  # exp(-z) overflows and underflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prediction, err, p = train(data, labels)
    np.testing.assert_array_equal(prediction, z > 0)
    np.testing.assert_allclose(
        err, labels * np.logaddexp(0, -z) + (1 - labels) * np.logaddexp(0, z)
    )
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(p, 1 / (1 + np.exp(-z)))
    assert np.isfinite(w.get_value()).all() and np.isfinite(b.get_value())
