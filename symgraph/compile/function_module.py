"""``theano.compile.function_module``: where Theano kept the compiled-function class."""

from symgraph.compile.function import Function, function
from symgraph.compile.pickling import function_dump

__all__ = ["Function", "function", "function_dump"]
