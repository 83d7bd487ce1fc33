"""Every name of API.md's tensor section exists, and the nnet functions match NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph import gradient

ELEMWISE = """add sub mul true_div int_div mod neg abs exp exp2 log log2 log10 log1p expm1 sqrt sqr
square pow sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh sigmoid
softplus erf erfc gamma gammaln floor ceil round sgn sign maximum minimum clip switch where eq neq lt
le gt ge and_ or_ xor invert isnan isinf cast"""
REDUCTIONS = "sum mean prod max min argmax argmin var std all any"
LINALG = "dot matmul outer tensordot batched_dot transpose"
SHAPE = """shape reshape flatten dimshuffle concatenate stack zeros_like ones_like fill alloc zeros
ones eye arange repeat tile diag"""
INDEXING = "set_subtensor inc_subtensor take"
TYPES = "scalar vector matrix tensor3 tensor4 row col tensor TensorType constant as_tensor_variable"
NNET = "sigmoid softplus relu softmax log_softmax categorical_crossentropy binary_crossentropy"


@pytest.mark.parametrize(
    "name", " ".join([ELEMWISE, REDUCTIONS, LINALG, SHAPE, INDEXING, TYPES, NNET]).split()
)
def test_tensor_name_exists(name):
    assert callable(getattr(T, name))


@pytest.mark.parametrize("name", NNET.split())
def test_nnet_name_exists(name):
    assert callable(getattr(T.nnet, name))


@pytest.mark.parametrize("prefix", "bwilfdcz")
@pytest.mark.parametrize("form", "scalar vector matrix tensor3 tensor4 row col".split())
def test_prefixed_and_plural_constructors(prefix, form):
    assert getattr(T, prefix + form)("v").name == "v"
    plural = {"matrix": "matrices"}.get(form, form + "s")
    assert len(getattr(T, prefix + plural)("a", "b")) == 2


def test_softmax_family_in_pytensor_locations():
    assert T.special.softmax is T.softmax and T.special.log_softmax is T.log_softmax
    assert T.nnet.logsoftmax is T.nnet.log_softmax


@pytest.mark.parametrize(
    "theano_form, pytensor_form, reference",
    [
        (T.nnet.softmax, T.special.softmax, lambda z: np.exp(z) / np.exp(z).sum()),
        (T.nnet.logsoftmax, T.special.log_softmax, lambda z: z - np.log(np.exp(z).sum())),
        (T.nnet.log_softmax, T.log_softmax, lambda z: z - np.log(np.exp(z).sum())),
    ],
)
def test_nnet_softmax_of_a_vector_is_a_row_as_in_theano(theano_form, pytensor_form, reference):
    """Theano 1.0 pads a vector to a 1 x n row (programs index its rows and take
    ``argmax(axis=1)``); PyTensor's ``T.special`` and ``T.softmax`` keep the vector."""
    v = T.dvector("v")
    value = np.array([1.0, 3.0, 0.5])
    row = theano_form(v)
    assert row.type == T.TensorType("float64", (1, None))
    np.testing.assert_allclose(row.eval({v: value}), reference(value)[None, :])
    assert row.argmax(axis=1).eval({v: value}).tolist() == [1]
    np.testing.assert_allclose(row[0].eval({v: value}), reference(value))
    assert theano_form(v, axis=0).type == row.type
    with pytest.raises(TypeError, match="axis 1"):
        theano_form(v, axis=1)
    kept = pytensor_form(v)
    assert kept.type == v.type
    np.testing.assert_allclose(kept.eval({v: value}), reference(value))
    m = T.dmatrix("m")
    assert theano_form(m).owner.op == pytensor_form(m).owner.op  # matrices: the same softmax
    weights = np.array([[1.0, -2.0, 0.5]])
    gradient.verify_grad(lambda a: (theano_form(a) * weights).sum(), [value])


rng = np.random.default_rng(7)
Z = rng.normal(size=(5, 3))
P = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
LABELS = np.array([0, 2, 1, 1, 0])


def test_relu_and_leaky_relu():
    x = T.dmatrix("x")
    np.testing.assert_array_equal(T.nnet.relu(x).eval({x: Z}), np.maximum(Z, 0))
    np.testing.assert_allclose(T.nnet.relu(x, 0.1).eval({x: Z}), np.where(Z > 0, Z, 0.1 * Z))


def test_categorical_crossentropy_with_labels_and_one_hot_rows():
    p, labels, onehot = T.dmatrix("p"), T.lvector("labels"), T.dmatrix("onehot")
    expected = -np.log(P[np.arange(5), LABELS])
    np.testing.assert_allclose(
        T.nnet.categorical_crossentropy(p, labels).eval({p: P, labels: LABELS}),
        expected,
        rtol=1e-12,
    )
    one_hot = np.eye(3)[LABELS]
    np.testing.assert_allclose(
        T.nnet.categorical_crossentropy(p, onehot).eval({p: P, onehot: one_hot}),
        expected,
        rtol=1e-12,
    )
    with pytest.raises(TypeError, match="one dimension less"):
        T.nnet.categorical_crossentropy(p, T.lmatrix())


def test_binary_crossentropy():
    out, target = T.dvector("out"), T.dvector("target")
    o, t = rng.uniform(0.1, 0.9, 6), rng.integers(0, 2, 6).astype(float)
    np.testing.assert_allclose(
        T.nnet.binary_crossentropy(out, target).eval({out: o, target: t}),
        -(t * np.log(o) + (1 - t) * np.log(1 - o)),
        rtol=1e-12,
    )
