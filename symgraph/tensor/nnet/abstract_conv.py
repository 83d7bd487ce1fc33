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

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.graph.basic import Constant, Variable
from symgraph.tensor.shape import as_shape_vector, dim_size, static_int_entries, static_scalar
from symgraph.tensor.type import TensorType, shape_str
from symgraph.tensor.variable import TensorOp, as_tensor_variable
from symgraph.tensor.windows import Size, dilated, local, offset_loop, pad_text, plus, windows_text

__all__ = [
    "Conv2d",
    "Conv2dGradInputs",
    "Conv2dGradWeights",
    "conv2d",
    "conv2d_grad_wrt_inputs",
    "conv2d_grad_wrt_weights",
    "get_conv_output_shape",
    "get_conv_shape_1axis",
]

#: 'valid', 'full', 'half', or per spatial axis an int or a (before, after) pair of ints
BorderMode = Any
Shape4 = tuple[int | None, int | None, int | None, int | None]
UNKNOWN: Shape4 = (None, None, None, None)


def normalize_border_mode(mode: Any) -> BorderMode:
    """Theano's spellings reduced to one: ``2`` -> ``(2, 2)``; ``((1, 1), 0)`` -> ``(1, 0)``."""
    if isinstance(mode, (int, np.integer)) and not isinstance(mode, bool) and mode >= 0:
        mode = (int(mode), int(mode))
    if isinstance(mode, (tuple, list)) and len(mode) == 2:
        entries = tuple(_pad_entry(m, mode) for m in mode)
        return "valid" if all(e == 0 for e in entries) else entries
    if mode in ("valid", "full", "half"):
        return mode
    raise ValueError(
        f"invalid border_mode {mode!r}: use 'valid', 'full', 'half', a non-negative int, or a "
        "pair whose entries are non-negative ints or (before, after) pairs of them"
    )


def _pad_entry(entry: Any, mode: Any) -> int | tuple[int, int]:
    def natural(v: Any) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0

    if natural(entry):
        return int(entry)
    if isinstance(entry, (tuple, list)) and len(entry) == 2 and all(map(natural, entry)):
        return int(entry[0]) if entry[0] == entry[1] else (int(entry[0]), int(entry[1]))
    raise ValueError(f"invalid border_mode {mode!r}: {entry!r} is not an int >= 0 or a pair")


def axis_pads(mode: BorderMode, kernel: Sequence[Size], dilation: Sequence[int]) -> list:
    """(before, after) zero padding of each spatial axis for filters of ``kernel`` taps."""
    pads = []
    for axis in (0, 1):
        if isinstance(mode, tuple):
            entry = mode[axis]
            pads.append(entry if isinstance(entry, tuple) else (entry, entry))
            continue
        k, d = kernel[axis], dilation[axis]
        if mode == "valid":
            pad: Size = 0
        elif isinstance(k, int):
            extent = (k - 1) * d + 1
            pad = extent - 1 if mode == "full" else extent // 2
        elif mode == "full":
            pad = f"{k} - 1" if d == 1 else f"({k} - 1) * {d}"
        else:
            pad = f"{k} // 2" if d == 1 else f"(({k} - 1) * {d} + 1) // 2"
        pads.append((pad, pad))
    return pads


def get_conv_shape_1axis(
    image_shape: int | None,
    kernel_shape: int | None,
    border_mode: BorderMode,
    subsample: int,
    dilation: int = 1,
) -> int | None:
    """The output size along one axis, None when a size is unknown (Theano's function)."""
    if image_shape is None or kernel_shape is None:
        return None
    mode = border_mode if isinstance(border_mode, str) else (border_mode, border_mode)
    ((before, after), _) = axis_pads(mode, (kernel_shape, 1), (dilation, 1))
    extent = (kernel_shape - 1) * dilation + 1
    return (image_shape + before + after - extent) // subsample + 1


def get_conv_output_shape(
    image_shape: Sequence[int | None],
    kernel_shape: Sequence[int | None],
    border_mode: Any,
    subsample: Sequence[int],
    filter_dilation: Sequence[int] = (1, 1),
) -> Shape4:
    """(batch, filters, rows, cols) of ``conv2d``'s output; None where a size is unknown."""
    mode = normalize_border_mode(border_mode)
    rows, cols = (
        get_conv_shape_1axis(
            image_shape[2 + a],
            kernel_shape[2 + a],
            mode if isinstance(mode, str) else mode[a],
            subsample[a],
            filter_dilation[a],
        )
        for a in (0, 1)
    )
    return (image_shape[0], kernel_shape[0], rows, cols)


# -- the three ops -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvSettings:
    """What the three convolution ops share, all named after the forward convolution.

    ``imshp`` and ``kshp`` are the input's and the filters' shapes as far as
    they are known when the graph is built (ints or None).
    """

    border_mode: BorderMode = "valid"
    subsample: tuple[int, int] = (1, 1)
    filter_flip: bool = True
    filter_dilation: tuple[int, int] = (1, 1)
    imshp: Shape4 = UNKNOWN
    kshp: Shape4 = UNKNOWN

    def settings(self, **changes: Any) -> dict[str, Any]:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(ConvSettings)}
        return fields | changes

    def known(self, x: Variable, w: Variable) -> dict[str, Any]:
        """The settings with the static shapes of input ``x`` and filters ``w`` filled in.

        Sizes given for them win; ``infer_type`` refuses those that disagree.
        """
        return self.settings(
            imshp=_union(self.imshp, x.type.shape), kshp=_union(self.kshp, w.type.shape)
        )

    def pads(self, kernel: Sequence[Size]) -> list:
        return axis_pads(self.border_mode, kernel, self.filter_dilation)

    def extent(self, kernel: Sequence[Size]) -> tuple[Size, Size]:
        return tuple(dilated(k, d) for k, d in zip(kernel, self.filter_dilation))

    def kernel_taps(self, w: str) -> tuple[Size, Size]:
        """The filters' rows and columns: static, or read from ``w`` at run time."""
        return tuple(
            self.kshp[a] if self.kshp[a] is not None else f"{w}.shape[{a}]" for a in (2, 3)
        )

    def padded(self, target: str, x: str, kernel: Sequence[Size]) -> tuple[list[str], str]:
        """Lines padding ``x`` into ``target`` (none without a border), and the padded name."""
        pads = self.pads(kernel)
        if all(p == 0 for pair in pads for p in pair):
            return [], x
        return [f"{target} = {pad_text(x, pads, 4)}"], target

    def windows(self, x: str, kernel: Sequence[Size], writeable: bool = False) -> str:
        """(batch, channels, out rows, out cols, taps down, taps across) views of ``x``."""
        extent = self.extent(kernel)
        return windows_text(x, extent, self.subsample, self.filter_dilation, writeable)

    def oriented(self, w: str) -> str:
        """The filters as they slide: flipped for a convolution, as given for a correlation."""
        return f"{w}[:, :, ::-1, ::-1]" if self.filter_flip else w

    def taps(self, padded: np.ndarray, i: int, j: int, out_hw: Sequence[int]) -> np.ndarray:
        """What filter tap (i, j) meets of ``padded`` at every output position (reference code)."""
        (s0, s1), (d0, d1) = self.subsample, self.filter_dilation
        rows = slice(i * d0, i * d0 + s0 * (out_hw[0] - 1) + 1, s0)
        cols = slice(j * d1, j * d1 + s1 * (out_hw[1] - 1) + 1, s1)
        return padded[:, :, rows, cols]

    def pad_array(self, x: np.ndarray, kernel: Sequence[int]) -> np.ndarray:
        return np.pad(x, ((0, 0), (0, 0), *self.pads(kernel)))

    def out_size(self, padded: Sequence[int], kernel: Sequence[int]) -> tuple[int, int]:
        extent = self.extent(kernel)
        return tuple((n - e) // s + 1 for n, e, s in zip(padded, extent, self.subsample))

    def __str__(self) -> str:
        mode = self.border_mode
        params = [mode if isinstance(mode, str) else f"border_mode={mode}"]
        if self.subsample != (1, 1):
            params.append(f"subsample={self.subsample}")
        if self.filter_dilation != (1, 1):
            params.append(f"filter_dilation={self.filter_dilation}")
        if not self.filter_flip:
            params.append("filter_flip=False")
        return f"{type(self).__name__}{{{', '.join(params)}}}"


def _merge(declared: Shape4, static: Sequence[int | None], op: str, what: str) -> Shape4:
    """Sizes known from either source; a TypeError when they disagree."""
    for d, s in zip(declared, static):
        if d is not None and s is not None and d != s:
            raise TypeError(
                f"{op}: the {what} has static shape {shape_str(static)}, but its shape "
                f"should be {shape_str(declared)}"
            )
    return _union(declared, static)


def _union(declared: Sequence[int | None], static: Sequence[int | None]) -> Shape4:
    return tuple(s if d is None else d for d, s in zip(declared, static))


def _check_4d(op: str, **operands: Variable) -> None:
    for what, v in operands.items():
        if v.ndim != 4:
            raise TypeError(f"{op}: the {what} must be 4-d, got {v!r} of type {v.type}")


def _check_shape_vector(op: str, shape: Variable) -> None:
    if shape.ndim != 1 or shape.dtype[0] not in "iu" or shape.type.shape[0] not in (2, None):
        raise TypeError(
            f"{op}: the spatial shape must be 2 ints, got {shape!r} of type {shape.type}"
        )


def _check_channels(op: str, imshp: Shape4, kshp: Shape4) -> None:
    if None not in (imshp[1], kshp[1]) and imshp[1] != kshp[1]:
        raise TypeError(f"{op}: the input has {imshp[1]} channels, the filters {kshp[1]}")


def _output_shape(op: ConvSettings, imshp: Shape4, kshp: Shape4) -> Shape4:
    shape = get_conv_output_shape(imshp, kshp, op.border_mode, op.subsample, op.filter_dilation)
    if any(s is not None and s <= 0 for s in shape[2:]):
        raise TypeError(
            f"{op}: filters of shape {shape_str(kshp)} do not fit in the (padded) input of "
            f"shape {shape_str(imshp)}"
        )
    return shape


def _dtype(*operands: Variable) -> str:
    return str(np.result_type(*(v.dtype for v in operands)))


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


def spatial_shape(x: Variable) -> Variable:
    """``x.shape[2:]`` as an int64 vector, constant when the sizes are static."""
    return as_shape_vector([dim_size(x, 2), dim_size(x, 3)])


@dataclass(frozen=True)
class Conv2d(ConvSettings, TensorOp):
    """``conv2d(input, filters)``: (batch, channels, rows, cols) * (filters, channels, rows, cols)."""

    def infer_type(self, x: Variable, w: Variable) -> TensorType:
        _check_4d("conv2d", input=x, filters=w)
        imshp = _merge(self.imshp, x.type.shape, "conv2d", "input")
        kshp = _merge(self.kshp, w.type.shape, "conv2d", "filters")
        _check_channels("conv2d", imshp, kshp)
        return TensorType(_dtype(x, w), _output_shape(self, imshp, kshp))

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
        return self._shape_check(x, w) + lines + [f"{out} = {product}.transpose(1, 0, 2, 3)"]

    def _shape_check(self, x: str, w: str) -> list[str]:
        """A line refusing an input or filters whose shape differs from the one given."""
        tests = []
        for name, shape in ((x, self.imshp), (w, self.kshp)):
            known = [(i, s) for i, s in enumerate(shape) if s is not None]
            if len(known) == 4:
                tests.append(f"{name}.shape != {tuple(shape)}")
            else:
                tests += [f"{name}.shape[{i}] != {s}" for i, s in known]
        if not tests:
            return []
        given = f"input_shape={shape_str(self.imshp)} and filter_shape={shape_str(self.kshp)}"
        return [f'if {" or ".join(tests)}: raise ValueError("the shapes differ from {given}")']

    def pullback(self, inputs, outputs, output_grads):
        """The input's gradient is ``Conv2dGradInputs``, the filters' ``Conv2dGradWeights``."""
        (x, w), (g,) = inputs, output_grads
        settings = self.known(x, w)
        gx = Conv2dGradInputs(**settings)(w, g, spatial_shape(x))
        gw = Conv2dGradWeights(**settings)(x, g, spatial_shape(w))
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
        _check_4d(op, filters=w, output_grad=gz)
        _check_shape_vector(op, shape)
        rows, cols = static_int_entries(shape) or (None, None)
        kshp = _merge(self.kshp, w.type.shape, op, "filters")
        imshp = _merge(self.imshp, (gz.type.shape[0], kshp[1], rows, cols), op, "input")
        expected = _output_shape(self, imshp, kshp)
        _merge(expected, gz.type.shape, op, "output gradient")
        return TensorType(_dtype(w, gz), imshp)

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
        crop = ""
        if any(p != 0 for p in (top, bottom, left, right)):
            crop = f"[:, :, {_crop(top, rows)}, {_crop(left, cols)}]"
        return lines + [f"{out} = {out}.transpose(1, 0, 2, 3){crop}"]

    def pullback(self, inputs, outputs, output_grads):
        (w, gz, _), (g,) = inputs, output_grads
        settings = self.settings(imshp=_union(self.imshp, g.type.shape))
        gw = Conv2dGradWeights(**settings)(g, gz, spatial_shape(w))
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
        _check_4d(op, input=x, output_grad=gz)
        _check_shape_vector(op, shape)
        rows, cols = static_int_entries(shape) or (None, None)
        imshp = _merge(self.imshp, x.type.shape, op, "input")
        kshp = _merge(self.kshp, (gz.type.shape[1], imshp[1], rows, cols), op, "filters")
        _merge(_output_shape(self, imshp, kshp), gz.type.shape, op, "output gradient")
        return TensorType(_dtype(x, gz), kshp)

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
        lines, source = self.padded(out, x, kernel)
        windows = self.windows(source, kernel)
        product = f"np.tensordot({windows}, {gz}, ((0, 2, 3), (0, 2, 3))).transpose(3, 0, 1, 2)"
        return lines + [f"{out} = {self.oriented(product)}"]

    def pullback(self, inputs, outputs, output_grads):
        (x, gz, _), (g,) = inputs, output_grads
        settings = self.settings(kshp=_union(self.kshp, g.type.shape))
        gx = Conv2dGradInputs(**settings)(g, gz, spatial_shape(x))
        ggz = Conv2d(**settings)(x, g)
        return [_gradient(gx, x), _gradient(ggz, gz), None]

    def pushforward(self, inputs, outputs, tangents):
        return _bilinear_tangent(self, inputs, tangents)

    def pretty(self, x: str, gz: str, shape: str) -> str:
        return f"conv2d_grad_wrt_weights({x}, {gz}, {shape})"


def _crop(start: Size, size: Size) -> str:
    return f"{start}:{plus(start, size)}"


# -- Theano's functions ------------------------------------------------------------------------


def conv_settings(
    border_mode: Any = "valid",
    subsample: Sequence[int] = (1, 1),
    filter_flip: bool = True,
    filter_dilation: Sequence[int] = (1, 1),
    imshp: Sequence[Any] | None = None,
    kshp: Sequence[Any] | None = None,
    num_groups: int = 1,
    unshared: bool = False,
) -> dict[str, Any]:
    """Theano's convolution arguments, checked and normalized for the ops."""
    if num_groups != 1 or unshared:
        raise NotImplementedError(
            "conv2d: grouped (num_groups > 1) and unshared convolutions are not implemented"
        )
    return {
        "border_mode": normalize_border_mode(border_mode),
        "subsample": _pair(subsample, "subsample"),
        "filter_flip": bool(filter_flip),
        "filter_dilation": _pair(filter_dilation, "filter_dilation"),
        "imshp": _given_shape(imshp, "input_shape"),
        "kshp": _given_shape(kshp, "filter_shape"),
    }


def _pair(value: Any, what: str) -> tuple[int, int]:
    entries = tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(entries) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in entries):
        raise ValueError(f"{what} must be a pair of positive ints, got {value!r}")
    return tuple(int(v) for v in entries)


def _given_shape(shape: Sequence[Any] | None, what: str) -> Shape4:
    """A shape given as ints, None or constants: each entry an int or None."""
    if shape is None:
        return UNKNOWN
    if len(shape) != 4:
        raise ValueError(f"{what} must have 4 entries, got {shape!r}")
    entries = []
    for s in shape:
        value = _static_size(s)
        if value is None and s is not None and not isinstance(s, Variable):
            raise ValueError(f"{what} entries must be ints, constants or None, got {shape!r}")
        entries.append(value)
    return tuple(entries)


def _static_size(s: Any) -> int | None:
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        return int(s)
    if isinstance(s, Constant) and np.ndim(s.value) == 0:
        return int(s.value)
    return static_scalar(s) if isinstance(s, Variable) else None


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
    input, filters = as_tensor_variable(input), as_tensor_variable(filters)
    _check_4d("conv2d", input=input, filters=filters)
    return Conv2d(**ConvSettings(**settings).known(input, filters))(input, filters)


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
    if input_shape is None or len(input_shape) != 4:
        raise ValueError(f"input_shape must have 4 entries, got {input_shape!r}")
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
    shape = as_shape_vector(list(input_shape[2:]))
    return Conv2dGradInputs(**settings)(filters, output_grad, shape)


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
    if filter_shape is None or len(filter_shape) != 4:
        raise ValueError(f"filter_shape must have 4 entries, got {filter_shape!r}")
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
    shape = as_shape_vector(list(filter_shape[2:]))
    return Conv2dGradWeights(**settings)(input, output_grad, shape)
