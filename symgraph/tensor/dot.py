"""Products: ``Dot`` (NumPy's matmul rules, ``a @ b``) and ``Tensordot``.

``dot``, ``matmul``, ``outer`` and ``batched_dot`` are functions over these two
ops and elementwise ``mul``, so rewrites have one product op to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.graph.syntax import infix
from symgraph.tensor.elemwise import sum_to_shape
from symgraph.tensor.type import TensorType, broadcast_shapes, shape_str
from symgraph.tensor.variable import TensorOp, as_tensor_variable


def _product_dtype(a: Variable, b: Variable) -> str:
    return str(np.result_type(a.dtype, b.dtype))


def _check_inner(op: str, a: Variable, b: Variable, ka: int | None, kb: int | None) -> None:
    if ka is not None and kb is not None and ka != kb:
        raise TypeError(
            f"{op}: shapes {shape_str(a.type.shape)} and {shape_str(b.type.shape)} are not "
            f"aligned ({ka} != {kb}) for {a!r} and {b!r}"
        )


@dataclass(frozen=True)
class Dot(TensorOp):
    """``a @ b`` with NumPy's matmul rules (1-d operands, broadcast batch axes)."""

    def infer_type(self, a: Variable, b: Variable) -> TensorType:
        if a.ndim == 0 or b.ndim == 0:
            raise TypeError(
                f"dot: operands must have at least 1 dimension, got {a.type} and {b.type}"
            )
        sa, sb = a.type.shape, b.type.shape
        _check_inner("dot", a, b, sa[-1], sb[0] if b.ndim == 1 else sb[-2])
        batch = broadcast_shapes(sa[:-2], sb[:-2], op="dot")
        rows = sa[-2:-1] if a.ndim >= 2 else ()
        cols = sb[-1:] if b.ndim >= 2 else ()
        return TensorType(_product_dtype(a, b), batch + rows + cols)

    def impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(np.matmul(a, b))

    def code(self, a: str, b: str) -> str:
        return f"{a} @ {b}"

    def code_into(self, names: Sequence[str], buffer: str) -> str:
        return f"np.matmul({', '.join(names)}, out={buffer})"

    form = print_form = infix("@")
    shapes_from_shapes = True
    raises_on_values = False

    def pretty(self, a: str, b: str) -> str:
        return f"{a} @ {b}"

    def pullback(self, inputs, outputs, output_grads):
        """``g @ b^T`` and ``a^T @ g`` on operands promoted to matrices; batch axes summed back."""
        (a, b), (g,) = inputs, output_grads
        a2 = a if a.ndim > 1 else T.dimshuffle(a, ("x", 0))
        b2 = b if b.ndim > 1 else T.dimshuffle(b, (0, "x"))
        axes = iter(range(g.ndim))
        batch = [next(axes) for _ in range(g.ndim - (a.ndim > 1) - (b.ndim > 1))]
        rows = next(axes) if a.ndim > 1 else "x"
        cols = next(axes) if b.ndim > 1 else "x"
        g2 = T.dimshuffle(g, (*batch, rows, cols))
        ga = sum_to_shape(self(g2, _swap_last_axes(b2)), a2)
        gb = sum_to_shape(self(_swap_last_axes(a2), g2), b2)
        return [
            ga if a.ndim > 1 else T.dimshuffle(ga, (1,)),
            gb if b.ndim > 1 else T.dimshuffle(gb, (0,)),
        ]

    def pushforward(self, inputs, outputs, tangents):
        return [_product_tangent(self, inputs, tangents)]

    def sympy_form(self, node, args, bound):
        """Each entry is a ``Sum`` over the contracted axis; batch axes broadcast."""
        import sympy

        from symgraph.tensor.sympy_elements import ZERO, Elements, align, broadcast

        a, b = args
        batch = broadcast([Elements(a.sizes[:-2], a.at), Elements(b.sizes[:-2], b.at)])
        rows = a.sizes[-2:-1] if len(a.sizes) >= 2 else ()
        cols = b.sizes[-1:] if len(b.sizes) >= 2 else ()

        def at(index):
            k = bound(index)
            lead, rest = index[: len(batch)], index[len(batch) :]
            a_index = align(a.sizes[:-2], lead) + (rest[:1] if rows else ()) + (k,)
            b_index = align(b.sizes[:-2], lead) + (k,) + (rest[-1:] if cols else ())
            return sympy.Sum(a.at(a_index) * b.at(b_index), (k, ZERO, a.sizes[-1] - 1))

        return Elements(batch + rows + cols, at)

    def sympy_matrix(self, node, forms):
        """A matrix product; a vector on the left is a row (the transposed column)."""
        from symgraph.tensor.sympy_elements import is_matrix

        a, b = forms
        x, y = node.inputs
        if not (is_matrix(a) and is_matrix(b)) or x.ndim == y.ndim == 1:
            return None
        return b.T * a if x.ndim == 1 else a * b


def _swap_last_axes(x: Variable) -> Variable:
    return T.dimshuffle(x, (*range(x.ndim - 2), x.ndim - 1, x.ndim - 2))


def _product_tangent(op, inputs, tangents) -> Variable | None:
    """d(a * b) = da * b + a * db for a bilinear op."""
    (a, b), (ta, tb) = inputs, tangents
    terms = ([] if ta is None else [op(ta, b)]) + ([] if tb is None else [op(a, tb)])
    return None if not terms else terms[0] if len(terms) == 1 else terms[0] + terms[1]


@dataclass(frozen=True)
class Tensordot(TensorOp):
    """``np.tensordot(a, b, axes)``: sum over pairs of axes."""

    axes_a: tuple[int, ...]
    axes_b: tuple[int, ...]

    def infer_type(self, a: Variable, b: Variable) -> TensorType:
        if len(self.axes_a) != len(self.axes_b):
            raise TypeError(f"tensordot: axes {self.axes_a} and {self.axes_b} differ in length")
        for i, j in zip(self.axes_a, self.axes_b):
            if not (0 <= i < a.ndim and 0 <= j < b.ndim):
                raise TypeError(f"tensordot: axes ({i}, {j}) out of range for {a.type}, {b.type}")
            _check_inner("tensordot", a, b, a.type.shape[i], b.type.shape[j])
        shape = tuple(s for i, s in enumerate(a.type.shape) if i not in self.axes_a) + tuple(
            s for j, s in enumerate(b.type.shape) if j not in self.axes_b
        )
        return TensorType(_product_dtype(a, b), shape)

    def impl(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(np.tensordot(a, b, (self.axes_a, self.axes_b)))

    def code(self, a: str, b: str) -> str:
        return f"np.tensordot({a}, {b}, ({self.axes_a}, {self.axes_b}))"

    shapes_from_shapes = True
    raises_on_values = False

    def pullback(self, inputs, outputs, output_grads):
        """Contract the gradient with the other operand over its free axes, then reorder."""
        (a, b), (g,) = inputs, output_grads
        free_a = tuple(i for i in range(a.ndim) if i not in self.axes_a)
        free_b = tuple(j for j in range(b.ndim) if j not in self.axes_b)
        from_a, from_b = tuple(range(len(free_a))), tuple(range(len(free_a), g.ndim))
        # tensordot keeps the free axes in order: first the left operand's, then the right's
        ga = Tensordot(from_b, free_b)(g, b)
        ga_axes = free_a + tuple(self.axes_a[self.axes_b.index(j)] for j in sorted(self.axes_b))
        gb = Tensordot(free_a, from_a)(a, g)
        gb_axes = tuple(self.axes_b[self.axes_a.index(i)] for i in sorted(self.axes_a)) + free_b
        return [
            T.dimshuffle(ga, [ga_axes.index(i) for i in range(a.ndim)]),
            T.dimshuffle(gb, [gb_axes.index(j) for j in range(b.ndim)]),
        ]

    def pushforward(self, inputs, outputs, tangents):
        return [_product_tangent(self, inputs, tangents)]

    def sympy_form(self, node, args, bound):
        """Each entry is a ``Sum`` over every pair of contracted axes."""
        import sympy

        from symgraph.tensor.sympy_elements import ZERO, Elements

        a, b = args
        a_kept = [d for d in range(len(a.sizes)) if d not in self.axes_a]
        b_kept = [d for d in range(len(b.sizes)) if d not in self.axes_b]

        def at(index):
            limits = []
            for d in self.axes_a:
                limits.append((bound(index, tuple(s[0] for s in limits)), ZERO, a.sizes[d] - 1))
            summed = [s[0] for s in limits]
            a_slots = dict(zip(a_kept, index)) | dict(zip(self.axes_a, summed))
            b_slots = dict(zip(b_kept, index[len(a_kept) :])) | dict(zip(self.axes_b, summed))
            a_index = tuple(a_slots[d] for d in range(len(a.sizes)))
            b_index = tuple(b_slots[d] for d in range(len(b.sizes)))
            return sympy.Sum(a.at(a_index) * b.at(b_index), *limits)

        sizes = tuple(a.sizes[d] for d in a_kept) + tuple(b.sizes[d] for d in b_kept)
        return Elements(sizes, at)


def matmul(a: Any, b: Any) -> Variable:
    """``a @ b`` with NumPy's matmul rules."""
    return Dot()(a, b)


def dot(a: Any, b: Any) -> Variable:
    """Theano's dot: matrix/vector products; scalars multiply; n-d follows ``np.dot``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return Dot()(a, b)
    return tensordot(a, b, [[a.ndim - 1], [max(b.ndim - 2, 0)]])


def tensordot(a: Any, b: Any, axes: int | Sequence = 2) -> Variable:
    """Sum products over the given axes, as ``np.tensordot``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    axes_a = tuple(int(i) % max(a.ndim, 1) for i in axes_a)
    axes_b = tuple(int(j) % max(b.ndim, 1) for j in axes_b)
    return Tensordot(axes_a, axes_b)(a, b)


def outer(a: Any, b: Any) -> Variable:
    """The outer product of two vectors, as ``np.outer`` (flattening other inputs)."""
    a, b = T.flatten(a), T.flatten(b)
    return T.dimshuffle(a, (0, "x")) * T.dimshuffle(b, ("x", 0))


def batched_dot(a: Any, b: Any) -> Variable:
    """Products of matching slices along the first axis: ``a[i] @ b[i]`` for each i."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 2 and b.ndim == 2:
        return T.sum(a * b, axis=1)
    if a.ndim == 2:
        a = T.dimshuffle(a, (0, "x", 1))
        return T.dimshuffle(Dot()(a, b), [0] + list(range(2, b.ndim)))
    if b.ndim == 2:
        product = Dot()(a, T.dimshuffle(b, (0, 1, "x")))
        return T.dimshuffle(product, list(range(product.ndim - 1)))
    return Dot()(a, b)
