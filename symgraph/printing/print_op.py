"""``Print``: an identity op that prints its value whenever the compiled function computes it.

Theano's debugging aid: ``x = Print("x")(x)`` leaves the graph's values alone
and shows ``x`` at run time. Its gradient and tangent pass through; it is never
constant-folded (that would print at compile time instead).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from symgraph.gof.op import Op
from symgraph.graph.basic import Apply, Variable
from symgraph.tensor.variable import as_tensor_variable

__all__ = ["Print"]


def _print_fn(op: Print, value: Any) -> None:
    """Print ``op.message`` and, for each of ``op.attrs``, that attribute of the value."""
    for attr in op.attrs:
        shown = getattr(value, attr)
        print(op.message, attr, "=", shown() if callable(shown) else shown)


class Print(Op):
    """Identity op printing ``message`` and the ``attrs`` of its input's value at run time.

    Parameters
    ----------
    message : str
    attrs : sequence of str
        Attributes (or methods without arguments) of the value to print, such
        as ``"shape"``, ``"sum"``; ``("__str__",)`` prints the value.
    global_fn : callable, optional
        ``global_fn(op, value)`` does the printing instead.

    Examples
    --------
    >>> import numpy as np
    >>> import symgraph as theano
    >>> x = theano.tensor.dvector("x")
    >>> f = theano.function([x], theano.printing.Print("x is", attrs=("shape",))(x) * 2)
    >>> f(np.ones(3))
    x is shape = (3,)
    array([2., 2., 2.])
    """

    __props__ = ("message", "attrs", "global_fn")
    view_map = {0: (0,)}

    def __init__(
        self,
        message: str = "",
        attrs: Sequence[str] = ("__str__",),
        global_fn: Callable[[Print, Any], None] = _print_fn,
    ) -> None:
        self.message = message
        self.attrs = tuple(attrs)
        self.global_fn = global_fn

    def make_node(self, xin: Any) -> Apply:
        xin = as_tensor_variable(xin)
        return Apply(self, [xin], [xin.type()])

    def impl(self, value: Any) -> Any:
        self.global_fn(self, value)
        return value

    def grad(self, inputs: list[Variable], output_grads: list[Variable]) -> list[Variable]:
        return list(output_grads)

    def R_op(self, inputs: list[Variable], eval_points: list) -> list:
        return list(eval_points)

    def infer_shape(self, node: Apply, input_shapes: list) -> list:
        return input_shapes

    def do_constant_folding(self, node: Apply) -> bool:
        return False

    def __str__(self) -> str:
        return f"Print{{{self.message}}}"
