"""What Theano's three convolution ops share: border modes, output shapes, the settings.

``ConvSettings`` holds an op's parameters (named after the forward
convolution) and writes the generated code the ops share: padding, the
strided windows of the input, the filters as they slide. ``conv_settings``
checks and normalizes the arguments of Theano's convolution functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symgraph.graph.basic import Constant, Variable
from symgraph.tensor.shape import as_shape_vector, dim_size, static_scalar
from symgraph.tensor.type import shape_str
from symgraph.tensor.windows import Size, dilated, pad_text, plus, windows_text

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
            imshp=union_shapes(self.imshp, x.type.shape), kshp=union_shapes(self.kshp, w.type.shape)
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

    def columns(self, target: str, x: str, kernel: Sequence[Size]) -> list[str]:
        """Lines binding ``target`` to x's windows as a (channels * taps, batch * positions) matrix.

        The layout the forward product wants; a copy, except when it already is
        ``x``'s memory (1x1 filters, channels first).
        """
        lines, source = self.padded(target, x, kernel)
        channels = self.imshp[1] if self.imshp[1] is not None else f"{x}.shape[1]"
        windows = f"{self.windows(source, kernel)}.transpose(1, 4, 5, 0, 2, 3)"
        return [*lines, f"{target} = {windows}.reshape({times(channels, *kernel)}, -1)"]

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


def merge_shapes(declared: Shape4, static: Sequence[int | None], op: str, what: str) -> Shape4:
    """Sizes known from either source; a TypeError when they disagree."""
    for d, s in zip(declared, static):
        if d is not None and s is not None and d != s:
            raise TypeError(
                f"{op}: the {what} has static shape {shape_str(static)}, but its shape "
                f"should be {shape_str(declared)}"
            )
    return union_shapes(declared, static)


def union_shapes(declared: Sequence[int | None], static: Sequence[int | None]) -> Shape4:
    return tuple(s if d is None else d for d, s in zip(declared, static))


def check_4d(op: str, **operands: Variable) -> None:
    for what, v in operands.items():
        if v.ndim != 4:
            raise TypeError(f"{op}: the {what} must be 4-d, got {v!r} of type {v.type}")


def check_shape_vector(op: str, shape: Variable) -> None:
    if shape.ndim != 1 or shape.dtype[0] not in "iu" or shape.type.shape[0] not in (2, None):
        raise TypeError(
            f"{op}: the spatial shape must be 2 ints, got {shape!r} of type {shape.type}"
        )


def check_channels(op: str, imshp: Shape4, kshp: Shape4) -> None:
    if None not in (imshp[1], kshp[1]) and imshp[1] != kshp[1]:
        raise TypeError(f"{op}: the input has {imshp[1]} channels, the filters {kshp[1]}")


def output_shape(op: ConvSettings, imshp: Shape4, kshp: Shape4) -> Shape4:
    shape = get_conv_output_shape(imshp, kshp, op.border_mode, op.subsample, op.filter_dilation)
    if any(s is not None and s <= 0 for s in shape[2:]):
        raise TypeError(
            f"{op}: filters of shape {shape_str(kshp)} do not fit in the (padded) input of "
            f"shape {shape_str(imshp)}"
        )
    return shape


def result_dtype(*operands: Variable) -> str:
    return str(np.result_type(*(v.dtype for v in operands)))


def spatial_shape(x: Variable, known: Shape4 = UNKNOWN) -> Variable:
    """``x.shape[2:]`` as an int64 vector, constant where the sizes are ``known`` or static."""
    return as_shape_vector([dim_size(x, a) if known[a] is None else known[a] for a in (2, 3)])


def times(*sizes: Size) -> Size:
    if all(isinstance(s, int) for s in sizes):
        return int(np.prod(sizes))
    return " * ".join(f"({s})" if isinstance(s, str) and " " in s else str(s) for s in sizes)


def crop(start: Size, size: Size) -> str:
    return f"{start}:{plus(start, size)}"


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
