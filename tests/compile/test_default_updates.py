"""Theano's default updates: ``SharedVariable.default_update`` and ``no_default_updates``."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T


def test_a_counter_advances_on_every_call_of_every_function_that_reads_it():
    count = theano.shared(0, name="count")
    count.default_update = count + 1
    f = theano.function([], count * 10)
    g = theano.function([], count)
    assert [int(f()) for _ in range(3)] == [0, 10, 20]
    assert int(g()) == 3 and count.get_value() == 4
    assert int(theano.function([], count, no_default_updates=True)()) == 4
    assert count.get_value() == 4


def test_an_explicit_update_wins_and_a_list_exempts_some():
    a, b = theano.shared(0.0, name="a"), theano.shared(0.0, name="b")
    a.default_update = a + 1
    b.default_update = b + 1
    theano.function([], a + b, updates=[(a, a - 1)])()
    assert (a.get_value(), b.get_value()) == (-1.0, 1.0)
    theano.function([], a + b, no_default_updates=[b])()
    assert (a.get_value(), b.get_value()) == (0.0, 1.0)


def test_default_updates_reach_through_each_other_and_see_the_givens():
    x = T.dscalar("x")
    step = theano.shared(1.0, name="step")
    total = theano.shared(0.0, name="total")
    total.default_update = total + step * x  # reads step, whose own default update applies too
    step.default_update = step * 2
    y = T.dscalar("y")
    f = theano.function([y], total, givens={x: y + 1})
    f(1.0)
    f(1.0)
    assert total.get_value() == 2.0 + 4.0 and step.get_value() == 4.0


def test_a_default_update_of_the_wrong_type_is_refused():
    v = theano.shared(np.zeros(3), name="v")
    v.default_update = T.cast(v, "float32")
    with pytest.raises(TypeError, match="update of shared variable v"):
        theano.function([], v.sum())
