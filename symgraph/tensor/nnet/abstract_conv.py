"""Convolutions with Theano 1.0's semantics: ``conv2d`` and its two gradients, as three ops.

``Conv2d`` slides the filters over the (padded) input; ``Conv2dGradInputs``
and ``Conv2dGradWeights`` are its gradients with respect to the input and to
the filters. The three are bilinear and each one's gradients are the other
two, so gradients of any order are convolutions again.

Each node's generated code is one BLAS product: a strided view shows every
window of the input without copying (im2col by ``sliding_window_view``), and
``np.tensordot`` contracts the windows with the filters. The input gradient
scatters its product back with one strided addition per filter tap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Variable
from symgraph.tensor.broadcast import specify_shape
from symgraph.tensor.nnet.conv_settings import (
    ConvSettings,
    Shape4,
    check_4d,
    check_channels,
    check_shape_vector,
    conv_settings,
    crop,
    get_conv_output_shape,
    get_conv_shape_1axis,
    merge_shapes,
    output_shape,
    result_dtype,
    spatial_shape,
    times,
    union_shapes,
)
from symgraph.tensor.shape import as_shape_vector, static_int_entries
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable
from symgraph.tensor.windows import local, offset_loop, plus

__all__ = [
    "Conv2d",
    "Conv2dGradInputs",
    "Conv2dGradWeights",
    "Im2Col",
    "conv2d",
    "conv2d_grad_wrt_inputs",
    "conv2d_grad_wrt_weights",
    "get_conv_output_shape",
    "get_conv_shape_1axis",
]


def _gradient(g: Variable, x: Variable) -> Variable | None:
    """``g`` as the gradient of ``x``: in x's dtype, and none for an integer ``x``."""
    if x.dtype[0] not in "fc":
        return None
    return g if g.dtype == x.dtype else T.cast(g, x.dtype)


def _bilinear_tangent(op: TensorOp, inputs, tangents) -> list:
    """d op(a, b, ...) = op(da, b, ...) + op(a, db, ...)."""
    (a, b, *rest), (ta, tb, *_) = inputs, tangents
    terms = ([] if ta is None else [op(ta, b, *rest)]) + ([] if tb is None else [op(a, tb, *rest)])
    return [None if not terms else terms[0] if len(terms) == 1 else terms[0] + terms[1]]


@dataclass(frozen=True)
class Conv2d(ConvSettings, TensorOp):
    """``conv2d(input, filters)``: (batch, channels, rows, cols) * (filters, channels, rows, cols)."""

    def infer_type(self, x: Variable, w: Variable) -> TensorType:
        check_4d("conv2d", input=x, filters=w)
        imshp = merge_shapes(self.imshp, x.type.shape, "conv2d", "input")
        kshp = merge_shapes(self.kshp, w.type.shape, "conv2d", "filters")
        check_channels("conv2d", imshp, kshp)
        return TensorType(result_dtype(x, w), output_shape(self, imshp, kshp))

    def impl(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        kernel = w[:, :, ::-1, ::-1] if self.filter_flip else w
        padded = self.pad_array(x, w.shape[2:])
        out_hw = self.out_size(padded.shape[2:], w.shape[2:])
        out = np.zeros((x.shape[0], w.shape[0], *out_hw), np.result_type(x, w))
        for i, j in np.ndindex(*w.shape[2:]):
            out += np.einsum("bchw,fc->bfhw", self.taps(padded, i, j, out_hw), kernel[:, :, i, j])
        return out

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x, w) = outs, names
        kernel = self.kernel_taps(w)
        lines, source = self.padded(out, x, kernel)
        windows = self.windows(source, kernel)
        product = f"np.tensordot({self.oriented(w)}, {windows}, ((1, 2, 3), (1, 4, 5)))"
        return lines + [f"{out} = {product}.transpose(1, 0, 2, 3)"]

    def pullback(self, inputs, outputs, output_grads):
        """The input's gradient is ``Conv2dGradInputs``, the filters' ``Conv2dGradWeights``."""
        (x, w), (g,) = inputs, output_grads
        settings = self.known(x, w)
        gx = Conv2dGradInputs(**settings)(w, g, spatial_shape(x, settings["imshp"]))
        gw = Conv2dGradWeights(**settings)(x, g, spatial_shape(w, settings["kshp"]))
        return [_gradient(gx, x), _gradient(gw, w)]

    def pushforward(self, inputs, outputs, tangents):
        return _bilinear_tangent(self, inputs, tangents)

    def pretty(self, x: str, w: str) -> str:
        return f"conv2d({x}, {w})"


@dataclass(frozen=True)
class Conv2dGradInputs(ConvSettings, TensorOp):
    """The gradient of ``conv2d`` with respect to its input: inputs (filters, output grad, shape).

    ``shape`` holds the input's rows and columns, which a strided convolution
    cannot tell from its output. It is also the transposed convolution.
    """

    def infer_type(self, w: Variable, gz: Variable, shape: Variable) -> TensorType:
        op = "conv2d_grad_wrt_inputs"
        check_4d(op, filters=w, output_grad=gz)
        check_shape_vector(op, shape)
        rows, cols = static_int_entries(shape) or (None, None)
        kshp = merge_shapes(self.kshp, w.type.shape, op, "filters")
        imshp = merge_shapes(self.imshp, (gz.type.shape[0], kshp[1], rows, cols), op, "input")
        expected = output_shape(self, imshp, kshp)
        merge_shapes(expected, gz.type.shape, op, "output gradient")
        return TensorType(result_dtype(w, gz), imshp)

    def impl(self, w: np.ndarray, gz: np.ndarray, shape: np.ndarray) -> np.ndarray:
        kernel = w[:, :, ::-1, ::-1] if self.filter_flip else w
        (top, bottom), (left, right) = self.pads(w.shape[2:])
        rows, cols = (int(s) for s in shape)
        size = (gz.shape[0], w.shape[1], rows + top + bottom, cols + left + right)
        padded = np.zeros(size, np.result_type(w, gz))
        for i, j in np.ndindex(*w.shape[2:]):
            self.taps(padded, i, j, gz.shape[2:])[...] += np.einsum(
                "bfhw,fc->bchw", gz, kernel[:, :, i, j]
            )
        return padded[:, :, top : top + rows, left : left + cols]

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        """Columns = filters^T @ output grad; each tap adds its column block into its windows."""
        (out,), (w, gz, shape) = outs, names
        kernel = self.kernel_taps(w)
        (top, bottom), (left, right) = self.pads(kernel)
        rows, cols = (
            self.imshp[2 + a] if self.imshp[2 + a] is not None else f"{shape}[{a}]" for a in (0, 1)
        )
        channels = self.imshp[1] if self.imshp[1] is not None else f"{w}.shape[1]"
        batch = self.imshp[0] if self.imshp[0] is not None else f"{gz}.shape[0]"
        columns, windows = local(out, "columns"), local(out, "windows")
        loop, i, j = offset_loop(out, kernel)
        size = f"{plus(rows, top, bottom)}, {plus(cols, left, right)}"
        lines = [
            f"{columns} = np.tensordot({self.oriented(w)}, {gz}, (0, 1))",
            # channels first, so that each tap adds a contiguous block of the columns
            f"{out} = np.zeros(({channels}, {batch}, {size}), {columns}.dtype)",
            f"{windows} = {self.windows(out, kernel, writeable=True)}",
            loop,
            f"    {windows}[..., {i}, {j}] += {columns}[:, {i}, {j}]",
        ]
        cropped = ""
        if any(p != 0 for p in (top, bottom, left, right)):
            cropped = f"[:, :, {crop(top, rows)}, {crop(left, cols)}]"
        return lines + [f"{out} = {out}.transpose(1, 0, 2, 3){cropped}"]

    def pullback(self, inputs, outputs, output_grads):
        (w, gz, _), (g,) = inputs, output_grads
        settings = self.settings(imshp=union_shapes(self.imshp, g.type.shape))
        gw = Conv2dGradWeights(**settings)(g, gz, spatial_shape(w, settings["kshp"]))
        ggz = Conv2d(**settings)(g, w)
        return [_gradient(gw, w), _gradient(ggz, gz), None]

    def pushforward(self, inputs, outputs, tangents):
        return _bilinear_tangent(self, inputs, tangents)

    def pretty(self, w: str, gz: str, shape: str) -> str:
        return f"conv2d_grad_wrt_inputs({gz}, {w}, {shape})"


@dataclass(frozen=True)
class Conv2dGradWeights(ConvSettings, TensorOp):
    """The gradient of ``conv2d`` with respect to its filters: inputs (input, output grad, shape).

    ``shape`` holds the filters' rows and columns.
    """

    def infer_type(self, x: Variable, gz: Variable, shape: Variable) -> TensorType:
        op = "conv2d_grad_wrt_weights"
        check_4d(op, input=x, output_grad=gz)
        check_shape_vector(op, shape)
        rows, cols = static_int_entries(shape) or (None, None)
        imshp = merge_shapes(self.imshp, x.type.shape, op, "input")
        kshp = merge_shapes(self.kshp, (gz.type.shape[1], imshp[1], rows, cols), op, "filters")
        merge_shapes(output_shape(self, imshp, kshp), gz.type.shape, op, "output gradient")
        return TensorType(result_dtype(x, gz), kshp)

    def impl(self, x: np.ndarray, gz: np.ndarray, shape: np.ndarray) -> np.ndarray:
        taps = tuple(int(s) for s in shape)
        padded = self.pad_array(x, taps)
        out = np.zeros((gz.shape[1], x.shape[1], *taps), np.result_type(x, gz))
        for i, j in np.ndindex(*taps):
            out[:, :, i, j] = np.einsum("bfhw,bchw->fc", gz, self.taps(padded, i, j, gz.shape[2:]))
        return out[:, :, ::-1, ::-1] if self.filter_flip else out

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x, gz, shape) = outs, names
        kernel = tuple(
            self.kshp[2 + a] if self.kshp[2 + a] is not None else f"{shape}[{a}]" for a in (0, 1)
        )
        channels = self.imshp[1] if self.imshp[1] is not None else f"{x}.shape[1]"
        filters = self.kshp[0] if self.kshp[0] is not None else f"{gz}.shape[1]"
        columns = local(out, "columns")
        # the windows as the forward lays them out, (channels * taps, batch * positions),
        # and the gradient as (filters, batch * positions): one product, A @ B.T
        grads = f"{gz}.transpose(1, 0, 2, 3).reshape({filters}, -1)"
        shape = f"{filters}, {channels}, {kernel[0]}, {kernel[1]}"
        product = f"({grads} @ {columns}.T).reshape({shape})"
        return [*self.columns(columns, x, kernel), f"{out} = {self.oriented(product)}"]

    def pullback(self, inputs, outputs, output_grads):
        (x, gz, _), (g,) = inputs, output_grads
        settings = self.settings(kshp=union_shapes(self.kshp, g.type.shape))
        gx = Conv2dGradInputs(**settings)(g, gz, spatial_shape(x, settings["imshp"]))
        ggz = Conv2d(**settings)(x, g)
        return [_gradient(gx, x), _gradient(ggz, gz), None]

    def pushforward(self, inputs, outputs, tangents):
        return _bilinear_tangent(self, inputs, tangents)

    def pretty(self, x: str, gz: str, shape: str) -> str:
        return f"conv2d_grad_wrt_weights({x}, {gz}, {shape})"


@dataclass(frozen=True)
class Im2Col(ConvSettings, TensorOp):
    """The windows of a convolution's input as one matrix: (channels * taps, batch * positions).

    Made by the ``convolution`` rewrites, which compute ``conv2d`` and its filter
    gradient as products with it, so that both read one copy of the windows.
    ``kshp`` gives the filters' rows and columns. The result is a view of the
    input when that is already the layout (1x1 filters, channels first).
    """

    view_map = {0: (0,)}

    def infer_type(self, x: Variable) -> TensorType:
        check_4d("im2col", input=x)
        kernel = self.kshp[2:]
        if None in kernel:
            raise TypeError(f"im2col: the filters' rows and columns must be known, got {kernel}")
        imshp = merge_shapes(self.imshp, x.type.shape, "im2col", "input")
        (batch, _, rows, cols), channels = output_shape(self, imshp, self.kshp), imshp[1]
        taps = None if channels is None else times(channels, *kernel)
        positions = None if None in (batch, rows, cols) else batch * rows * cols
        return TensorType(x.dtype, (taps, positions))

    def impl(self, x: np.ndarray) -> np.ndarray:
        kernel = self.kshp[2:]
        padded = self.pad_array(x, kernel)
        out_hw = self.out_size(padded.shape[2:], kernel)
        taps = [
            self.taps(padded, i, j, out_hw).transpose(1, 0, 2, 3) for i, j in np.ndindex(*kernel)
        ]
        return np.stack(taps, axis=1).reshape(x.shape[1] * kernel[0] * kernel[1], -1)

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x,) = outs, names
        return self.columns(out, x, self.kshp[2:])

    def pretty(self, x: str) -> str:
        return f"im2col({x})"


# -- Theano's functions ------------------------------------------------------------------------


def conv2d(
    input: Any,
    filters: Any,
    input_shape: Sequence[Any] | None = None,
    filter_shape: Sequence[Any] | None = None,
    border_mode: Any = "valid",
    subsample: Sequence[int] = (1, 1),
    filter_flip: bool = True,
    filter_dilation: Sequence[int] = (1, 1),
    num_groups: int = 1,
    unshared: bool = False,
) -> Variable:
    """Convolve a batch of multi-channel images with a bank of filters, as Theano's ``conv2d``.

    Parameters
    ----------
    input : 4-d tensor
        (batch, channels, rows, cols).
    filters : 4-d tensor
        (filters, channels, filter rows, filter cols).
    input_shape, filter_shape : 4 ints or None each, optional
        Shapes known in advance; checked against the static shapes when the
        graph is built, and at run time where those are unknown.
    border_mode : 'valid', 'full', 'half', int or pair
        'valid' applies the filters where they fit inside the input; 'full'
        wherever they overlap it; 'half' pads ``filter size // 2`` on each side
        (the output keeps the input's size for odd filters); an int or a pair
        pads that many zeros on each side, a (before, after) pair pads unevenly.
    subsample : pair of ints
        Strides.
    filter_flip : bool
        True: a true convolution (the filters flipped); False: a cross-correlation.
    filter_dilation : pair of ints
        Spacing between filter taps.

    Returns
    -------
    4-d tensor
        (batch, filters, output rows, output cols).

    Examples
    --------
    >>> import numpy as np
    >>> import symgraph.tensor as T
    >>> x, w = T.dtensor4("x"), T.dtensor4("w")
    >>> y = T.nnet.conv2d(x, w, border_mode="half")
    >>> y.eval({x: np.ones((1, 1, 3, 3)), w: np.ones((1, 1, 3, 3))})[0, 0]
    array([[4., 6., 4.],
           [6., 9., 6.],
           [4., 6., 4.]])
    """
    settings = conv_settings(
        border_mode,
        subsample,
        filter_flip,
        filter_dilation,
        input_shape,
        filter_shape,
        num_groups,
        unshared,
    )
    input = promised(input, settings["imshp"], "conv2d", "input")
    filters = promised(filters, settings["kshp"], "conv2d", "filters")
    return Conv2d(**ConvSettings(**settings).known(input, filters))(input, filters)


def promised(x: Any, shape: Shape4, op: str, what: str) -> Variable:
    """``x`` with the sizes given for it that its static type lacks: checked when the graph runs.

    A TypeError for sizes that its static type contradicts.
    """
    x = as_tensor_variable(x)
    check_4d(op, **{what.replace(" ", "_"): x})
    merge_shapes(shape, x.type.shape, op, what)
    if any(g is not None and s is None for g, s in zip(shape, x.type.shape)):
        return specify_shape(x, union_shapes(shape, x.type.shape))
    return x


def conv2d_grad_wrt_inputs(
    output_grad: Any,
    filters: Any,
    input_shape: Sequence[Any],
    filter_shape: Sequence[Any] | None = None,
    border_mode: Any = "valid",
    subsample: Sequence[int] = (1, 1),
    filter_flip: bool = True,
    filter_dilation: Sequence[int] = (1, 1),
    num_groups: int = 1,
    unshared: bool = False,
) -> Variable:
    """The gradient of ``conv2d`` with respect to its input, given the gradient of its output.

    ``input_shape`` is required: a strided convolution's output does not tell
    the input's size. Its last two entries may be symbolic scalars. This is
    also the transposed convolution (``conv2d_transpose``).
    """
    return _conv_gradient(
        Conv2dGradInputs, filters, output_grad, input_shape, filter_shape, border_mode,
        subsample, filter_flip, filter_dilation, num_groups, unshared,
    )  # fmt: skip


def conv2d_grad_wrt_weights(
    input: Any,
    output_grad: Any,
    filter_shape: Sequence[Any],
    input_shape: Sequence[Any] | None = None,
    border_mode: Any = "valid",
    subsample: Sequence[int] = (1, 1),
    filter_flip: bool = True,
    filter_dilation: Sequence[int] = (1, 1),
    num_groups: int = 1,
    unshared: bool = False,
) -> Variable:
    """The gradient of ``conv2d`` with respect to its filters, given the gradient of its output.

    ``filter_shape`` is required; its last two entries may be symbolic scalars.
    """
    return _conv_gradient(
        Conv2dGradWeights, input, output_grad, input_shape, filter_shape, border_mode,
        subsample, filter_flip, filter_dilation, num_groups, unshared,
    )  # fmt: skip


def _conv_gradient(
    op_class: type, operand: Any, output_grad: Any, input_shape: Any, filter_shape: Any, *arguments
) -> Variable:
    """``op_class``'s node for Theano's gradient functions: the given shapes checked and promised.

    ``operand`` is the filters (input gradient) or the input (filter gradient);
    the shape of the other one, which the node computes, is required.
    """
    inputs_gradient = op_class is Conv2dGradInputs
    name = "conv2d_grad_wrt_inputs" if inputs_gradient else "conv2d_grad_wrt_weights"
    computed, what = (
        (input_shape, "input_shape") if inputs_gradient else (filter_shape, "filter_shape")
    )
    if computed is None or len(computed) != 4:
        raise ValueError(f"{name}: {what} must have 4 entries, got {computed!r}")
    mode, subsample, flip, dilation, groups, unshared = arguments
    settings = conv_settings(
        mode, subsample, flip, dilation, input_shape, filter_shape, groups, unshared
    )
    imshp, kshp = settings["imshp"], settings["kshp"]
    operand = promised(operand, kshp if inputs_gradient else imshp, name, what[:-6])
    output_grad = promised(output_grad, (imshp[0], kshp[0], None, None), name, "output gradient")
    return op_class(**settings)(operand, output_grad, as_shape_vector(list(computed[2:])))
