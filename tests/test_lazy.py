"""Lazy functions of optional modules: imported on first call, then called directly."""

import importlib
import math

import numpy as np

from symgraph.lazy import LazyFunction, LazyFunctions


def test_a_lazy_function_imports_its_module_once(monkeypatch):
    imported = []
    real_import = importlib.import_module

    def counting_import(name, *args):
        imported.append(name)
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", counting_import)
    functions = LazyFunctions("math")
    sqrt = functions.sqrt
    assert isinstance(sqrt, LazyFunction) and sqrt.__name__ == "sqrt"
    assert functions.sqrt is sqrt  # the attribute is kept
    assert imported == []  # nothing imported until the first call
    assert [sqrt(4.0), sqrt(9.0), functions.sqrt(16.0)] == [2.0, 3.0, 4.0]
    assert imported == ["math"]
    assert sqrt.resolve() is math.sqrt


def test_keywords_pass_through_to_the_function():
    add = LazyFunctions("numpy").add
    out = np.zeros(3)
    assert add(np.ones(3), 1.0, out=out) is out
    np.testing.assert_array_equal(out, [2.0, 2.0, 2.0])
