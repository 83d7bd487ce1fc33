"""Printing and inspection: every stage of a graph made readable.

``debugprint`` (indented tree), ``pprint`` (one line of math), ``to_networkx``,
``to_dot`` and ``pydotprint`` (Graphviz), ``to_sympy`` and ``latex`` (SymPy),
``compare`` (before and after optimization, side by side); ``Print``, an op that
prints a value whenever the compiled function computes it.
"""

import importlib

from symgraph.printing.compare import compare
from symgraph.printing.debugprint import debugprint
from symgraph.printing.pprint import pprint

dprint = debugprint
pp = pprint  # Theano's short name

# networkx and SymPy load on first use of the printers that need them (Print: of the op classes)
_DEFERRED = {
    "Print": "print_op",
    "pydotprint": "diagram",
    "to_dot": "diagram",
    "to_networkx": "diagram",
    "latex": "sympy_form",
    "to_sympy": "sympy_form",
}


def __getattr__(name: str):
    if name in _DEFERRED:
        return getattr(importlib.import_module(f"symgraph.printing.{_DEFERRED[name]}"), name)
    raise AttributeError(f"module 'symgraph.printing' has no attribute {name!r}")


__all__ = [
    "Print",
    "compare",
    "debugprint",
    "dprint",
    "latex",
    "pp",
    "pprint",
    "pydotprint",
    "to_dot",
    "to_networkx",
    "to_sympy",
]
