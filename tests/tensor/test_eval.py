"""``Variable.eval``: Theano's signature, computed by the ops' reference ``impl``."""

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.compile import MissingInputError


def test_eval_matches_the_compiled_function():
    x, w = T.dmatrix("x"), T.dvector("w")
    y = T.tanh(T.dot(x, w)).sum() + (w**2).mean()
    values = {x: np.arange(6.0).reshape(2, 3) / 6, w: np.array([0.5, -1.0, 2.0])}
    compiled = theano.function([x, w], y)(*values.values())
    np.testing.assert_allclose(y.eval(values), compiled, rtol=1e-14)


def test_eval_evaluates_the_graph_as_built():
    """Nothing is rewritten: ``log(1 + exp(x))`` overflows as written, unlike the compiled
    function, whose optimizer turns it into softplus."""
    x = T.dscalar("x")
    y = T.log(1 + T.exp(x))
    with np.errstate(over="ignore"):
        assert y.eval({x: 1000.0}) == np.inf
    assert theano.function([x], y)(1000.0) == 1000.0


def test_shared_variables_are_read_and_may_be_given():
    s = theano.shared(np.ones(2), name="s")
    total = s.sum()
    assert total.eval() == 2.0
    s.set_value(np.ones(5))
    assert total.eval() == 5.0  # the storage is read at every evaluation
    assert total.eval({s: np.zeros(1)}) == 0.0  # a value for this evaluation only
    assert s.get_value().shape == (5,)


def test_results_never_share_memory_with_given_or_stored_values():
    x = T.dmatrix("x")
    value = np.ones((2, 3))
    s = theano.shared(np.ones((2, 3)), name="s")
    for result, source in [
        (x.eval({x: value}), value),
        (x.T.eval({x: value}), value),
        (s.eval(), s.get_value(borrow=True)),
        (s[0].eval(), s.get_value(borrow=True)),
    ]:
        assert not np.shares_memory(result, source)


def test_missing_inputs_and_bad_keys_are_clear_errors():
    x, y = T.dvector("x"), T.dvector("y")
    with pytest.raises(MissingInputError, match=r"no value was given for the input y \(created at"):
        (x + y).eval({x: np.ones(2)})
    with pytest.raises(TypeError, match="keys of inputs_to_values must be variables, got 'x'"):
        (x + y).eval({"x": np.ones(2), y: np.ones(2)})
    with pytest.raises(TypeError, match="value for x: expected 1 dimensions"):
        x.sum().eval({x: np.ones((2, 2))})
