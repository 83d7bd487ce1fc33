"""Helpers for rewrite tests: run rule sets on a graph, compare values before and after."""

from __future__ import annotations

import numpy as np
import pytest

from symgraph.graph.fgraph import Graph
from symgraph.graph.syntax import brief
from symgraph.rewrite.engine import rewrite
from symgraph.tensor.evaluate import evaluate_all


def _rewritten(inputs, outputs, *rulesets):
    """``outputs`` after one engine pass of ``rulesets`` (a list in, a list out)."""
    return list(rewrite(Graph(inputs, outputs), rulesets).outputs)


def _same_values(before, after, givens, rtol=1e-10, atol=1e-12):
    """The values of ``before`` and ``after`` (lists) agree for ``givens``, NaN where NaN."""
    with np.errstate(all="ignore"):
        expected = evaluate_all(before, givens)
        got = evaluate_all(after, givens)
    for want, have, var in zip(expected, got, after):
        assert have.dtype == want.dtype == var.dtype
        assert have.shape == want.shape
        np.testing.assert_allclose(have, want, rtol=rtol, atol=atol, equal_nan=True)


def _text(var):
    """The whole expression as infix text, for checking a rewrite's structure."""
    return brief(var, depth=10_000)


@pytest.fixture
def rewritten():
    return _rewritten


@pytest.fixture
def same_values():
    return _same_values


@pytest.fixture
def text():
    return _text
