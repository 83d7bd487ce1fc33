"""Printing and inspection: every stage of a graph made readable.

``debugprint`` (indented tree), ``pprint`` (one line of math), ``to_networkx``,
``to_dot`` and ``pydotprint`` (Graphviz), ``to_sympy`` and ``latex`` (SymPy),
``compare`` (before and after optimization, side by side).
"""

from symgraph.printing.compare import compare
from symgraph.printing.debugprint import debugprint
from symgraph.printing.diagram import pydotprint, to_dot, to_networkx
from symgraph.printing.pprint import pprint
from symgraph.printing.sympy_form import latex, to_sympy

dprint = debugprint

__all__ = [
    "compare",
    "debugprint",
    "dprint",
    "latex",
    "pprint",
    "pydotprint",
    "to_dot",
    "to_networkx",
    "to_sympy",
]
