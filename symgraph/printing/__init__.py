"""Printing and inspection: every stage of a graph made readable.

``debugprint`` (indented tree), ``pprint`` (one line of math), ``to_networkx``,
``to_dot`` and ``pydotprint`` (Graphviz), ``to_sympy`` and ``latex`` (SymPy),
``compare`` (before and after optimization, side by side); ``Print``, an op that
prints a value whenever the compiled function computes it.
"""

from symgraph.lazy import lazy_names
from symgraph.printing.compare import compare
from symgraph.printing.debugprint import debugprint
from symgraph.printing.pprint import pprint

dprint = debugprint
pp = pprint  # Theano's short name

# networkx and SymPy load on first use of the printers that need them (Print: of the op classes)
__getattr__ = lazy_names(
    __name__,
    {
        "Print": "symgraph.printing.print_op",
        "pydotprint": "symgraph.printing.diagram",
        "to_dot": "symgraph.printing.diagram",
        "to_networkx": "symgraph.printing.diagram",
        "latex": "symgraph.printing.sympy_form",
        "to_sympy": "symgraph.printing.sympy_form",
    },
)

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
