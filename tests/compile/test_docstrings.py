"""The examples in the compile package's docstrings run and print what they show."""

import doctest
import importlib

import pytest

MODULES = ["codegen", "function", "io", "memory", "mode", "profile", "shared"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"symgraph.compile.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
