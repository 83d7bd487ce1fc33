"""Pooling with Theano 1.0's semantics: ``pool_2d`` over the last two axes, and its gradients.

Four ops: ``Pool`` (max, sum, or an average that counts the zero padding or
not), ``MaxPoolGrad`` and ``AveragePoolGrad`` (its gradients), and
``DownsampleFactorMaxGradGrad`` (the gradient of ``MaxPoolGrad``, whose own
gradient is ``MaxPoolGrad`` again). The max gradient goes to every element
equal to its window's maximum, as in Theano.

Generated code visits the offsets inside a window: for a 2x2 window, four
strided views of the whole batch, each combined into the result with one
NumPy call. Windows past the border (``ignore_border=False``) or on the
padding see a padded copy: the edge values repeated for the maximum (they
never exceed the window's own elements), zeros for sums.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symgraph.graph.basic import Constant, Variable
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable
from symgraph.tensor.windows import Size, local, offset_loop, pad_text, plus, windows_text

__all__ = [
    "AveragePoolGrad",
    "DownsampleFactorMaxGradGrad",
    "MaxPoolGrad",
    "Pool",
    "max_pool_2d_same_size",
    "pool_2d",
]

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")
EDGE = ', mode="edge"'


def pooled_size(
    size: int | None, ws: int, stride: int, pad: int, ignore_border: bool
) -> int | None:
    """Theano's output size along one axis: how many windows of ``ws`` start ``stride`` apart.

    With ``ignore_border`` only whole windows count; without, a last partial
    window covers the border.
    """
    if size is None:
        return None
    size += 2 * pad
    if ignore_border:
        return max((size - ws) // stride + 1, 0)
    if stride >= ws:
        return (size - 1) // stride + 1
    return max(0, (size - 1 - ws + stride) // stride) + 1


@dataclass(frozen=True)
class PoolSettings:
    """What the pooling ops share: window, stride, zero padding, border rule, mode."""

    ws: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int] = (0, 0)
    ignore_border: bool = False
    mode: str = "max"

    def settings(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in ("ws", "stride", "pad", "ignore_border", "mode")}

    def pooled_shape(self, shape: Sequence[int | None]) -> tuple[int | None, ...]:
        sizes = (
            pooled_size(shape[a - 2], self.ws[a], self.stride[a], self.pad[a], self.ignore_border)
            for a in (0, 1)
        )
        return (*shape[:-2], *sizes)

    # -- generated code ------------------------------------------------------------------------
    def pads(self, x: str) -> list[tuple[Size, Size]]:
        """Padding so that the windows of the padded ``x`` are exactly the pooling windows.

        Without ``ignore_border`` the end is extended to hold the last partial
        window (overlapping windows need the size of ``x`` to tell how far).
        """
        pads = []
        for a in (0, 1):
            ws, stride, pad = self.ws[a], self.stride[a], self.pad[a]
            extra: Size = 0
            if not self.ignore_border:
                extra = ws - 1 if stride >= ws else f"max({stride - 1}, {ws} - {x}.shape[{a - 2}])"
            pads.append((pad, plus(pad, extra)))
        return pads

    def padded(self) -> bool:
        return self.pad != (0, 0) or (not self.ignore_border and self.ws != (1, 1))

    def windows(self, target: str, x: str, size_of: str, how: str = "") -> list[str]:
        """Lines binding ``target`` to the windows of ``x``, padded first when needed."""
        lines, source = [], x
        if self.padded():
            lines.append(f"{target} = {pad_text(x, self.pads(size_of), None, how)}")
            source = target
        return [*lines, f"{target} = {windows_text(source, self.ws, self.stride)}"]

    def gradient_buffer(self, out: str, x: str, tiled: bool = False) -> list[str]:
        """Zeros the shape of the padded ``x`` in ``out``, and ``<out>_windows_t`` views of them.

        ``tiled``: the caller writes every element the windows cover, so only
        the rest (rows and columns past the last whole window) needs zeros.
        """
        if tiled:
            zeros = f"np.empty_like({x})"
        elif self.padded():
            (top, bottom), (left, right) = self.pads(x)
            rows, cols = (
                plus(f"{x}.shape[{a}]", lo, hi)
                for a, lo, hi in ((-2, top, bottom), (-1, left, right))
            )
            zeros = f"np.zeros({x}.shape[:-2] + ({rows}, {cols}), {x}.dtype)"
        else:
            zeros = f"np.zeros_like({x})"
        windows = windows_text(out, self.ws, self.stride, writeable=True)
        return [f"{out} = {zeros}", f"{local(out, 'windows')} = {windows}"]

    def cropped(self, out: str, x: str) -> list[str]:
        """``out`` cut back from the padded size to the size of ``x``."""
        if not self.padded():
            return []
        top, left = self.pad
        rows, cols = (
            f"{lo}:{lo} + {x}.shape[{a}]" if lo else f":{x}.shape[{a}]"
            for a, lo in ((-2, top), (-1, left))
        )
        return [f"{out} = {out}[..., {rows}, {cols}]"]

    def counts(self, x: str, pooled: str) -> int | str:
        """How many elements each average divides by: one number, or a (rows, cols) array."""
        if self.ignore_border and (self.mode == "average_inc_pad" or self.pad == (0, 0)):
            return self.ws[0] * self.ws[1]
        per_axis = []
        for a in (0, 1):
            ws, stride, pad = self.ws[a], self.stride[a], self.pad[a]
            starts = f"np.arange({pooled}.shape[{a - 2}])" + (f" * {stride}" if stride > 1 else "")
            if self.mode == "average_inc_pad":  # the padding counts: only the far border cuts
                ends = f"np.minimum({starts} + {ws}, {plus(f'{x}.shape[{a - 2}]', 2 * pad)})"
            else:
                ends = f"np.minimum({starts} + {ws}, {plus(f'{x}.shape[{a - 2}]', pad)})"
                starts = f"np.maximum({starts}, {pad})" if pad else starts
            per_axis.append(f"{ends} - {starts}")
        return f"np.outer({per_axis[0]}, {per_axis[1]})"

    # -- reference evaluation ------------------------------------------------------------------
    def regions(self, shape: Sequence[int]) -> Iterator[tuple[int, int, tuple, int]]:
        """Each window: output row, output col, its slice of the input, the count it averages."""
        axes = []
        for a in (0, 1):
            size, ws, stride, pad = shape[a - 2], self.ws[a], self.stride[a], self.pad[a]
            spans = []
            for k in range(pooled_size(size, ws, stride, pad, self.ignore_border)):
                start, end = k * stride, min(k * stride + ws, size + 2 * pad)
                first, last = max(start - pad, 0), min(end - pad, size)
                count = end - start if self.mode == "average_inc_pad" else last - first
                spans.append((slice(first, last), count))
            axes.append(spans)
        for r, (rows, rcount) in enumerate(axes[0]):
            for c, (cols, ccount) in enumerate(axes[1]):
                yield r, c, (..., rows, cols), rcount * ccount

    def __str__(self) -> str:
        params = [self.mode, f"ws={self.ws}"]
        if self.stride != self.ws:
            params.append(f"stride={self.stride}")
        if self.pad != (0, 0):
            params.append(f"pad={self.pad}")
        params.append(f"ignore_border={self.ignore_border}")
        return f"{type(self).__name__}{{{', '.join(params)}}}"


def _check_input(op: str, x: Variable) -> None:
    if x.ndim < 2:
        raise TypeError(
            f"{op}: the input must have at least 2 dimensions, got {x!r} of type {x.type}"
        )


def _gradient_type(op: str, x: Variable, g: Variable, expected: Sequence[int | None]) -> TensorType:
    if g.ndim != x.ndim:
        raise TypeError(
            f"{op}: the gradient {g!r} of type {g.type} does not match {x!r} ({x.type})"
        )
    for want, got in zip(expected, g.type.shape):
        if None not in (want, got) and want != got:
            raise TypeError(
                f"{op}: the gradient {g!r} of type {g.type} does not match the pooled shape"
            )
    return TensorType(x.dtype, x.type.shape)


@dataclass(frozen=True)
class Pool(PoolSettings, TensorOp):
    """Pool the last two axes of ``x`` in windows of ``ws``: max, sum or average."""

    def infer_type(self, x: Variable) -> TensorType:
        _check_input("pool_2d", x)
        if self.mode.startswith("average") and x.dtype[0] not in "fc":
            raise TypeError(f"pool_2d: averaging needs a float input, got {x!r} of type {x.type}")
        return TensorType(x.dtype, self.pooled_shape(x.type.shape))

    def impl(self, x: np.ndarray) -> np.ndarray:
        out = np.empty(self.pooled_shape(x.shape), x.dtype)
        for r, c, region, count in self.regions(x.shape):
            window = x[region]
            if self.mode == "max":
                out[..., r, c] = window.max(axis=(-2, -1))
            elif self.mode == "sum":
                out[..., r, c] = window.sum(axis=(-2, -1))
            else:
                out[..., r, c] = window.sum(axis=(-2, -1)) / count
        return out

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x,) = outs, names
        windows = local(out, "windows")
        lines = self.windows(windows, x, x, EDGE if self.mode == "max" else "")
        # order="K": the result keeps the input's memory layout (channels first after a conv2d)
        lines.append(f'{out} = {windows}[..., 0, 0].copy(order="K")')
        if self.ws != (1, 1):
            loop, i, j = offset_loop(out, self.ws, skip_first=True)
            window = f"{windows}[..., {i}, {j}]"
            step = (
                f"np.maximum({out}, {window}, out={out})"
                if self.mode == "max"
                else f"{out} += {window}"
            )
            lines += [loop, f"    {step}"]
        if self.mode.startswith("average"):
            lines.append(f"{out} /= {self.counts(x, out)}")
        return lines

    def pullback(self, inputs, outputs, output_grads):
        (x,), (z,), (g,) = inputs, outputs, output_grads
        if x.dtype[0] not in "fc":
            return [None]
        if self.mode == "max":
            return [MaxPoolGrad(**self.settings())(x, z, g)]
        return [AveragePoolGrad(**self.settings())(x, g)]

    def pretty(self, x: str) -> str:
        return f"pool_2d({x}, ws={self.ws}, mode={self.mode!r})"


@dataclass(frozen=True)
class MaxPoolGrad(PoolSettings, TensorOp):
    """The gradient of max pooling: inputs (x, pooled maxima, their gradient).

    Every element equal to its window's maximum receives the window's gradient.
    """

    def infer_type(self, x: Variable, z: Variable, gz: Variable) -> TensorType:
        _check_input("max pool gradient", x)
        _gradient_type("max pool gradient", x, z, self.pooled_shape(x.type.shape))
        return _gradient_type("max pool gradient", x, gz, self.pooled_shape(x.type.shape))

    def impl(self, x: np.ndarray, z: np.ndarray, gz: np.ndarray) -> np.ndarray:
        gx = np.zeros_like(x)
        for r, c, region, _ in self.regions(x.shape):
            winner = x[region] == z[..., r, c, None, None]
            gx[region] += winner * gz[..., r, c, None, None]
        return gx

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x, z, gz) = outs, names
        seen = local(out, "input_windows")
        loop, i, j = offset_loop(out, self.ws)
        target, winners = f"{local(out, 'windows')}[..., {i}, {j}]", f"{seen}[..., {i}, {j}] == {z}"
        if self.stride[0] >= self.ws[0] and self.stride[1] >= self.ws[1]:  # windows apart
            add = f"np.multiply({gz}, {winners}, out={target})"
        else:
            add = f"{target} += {gz} * ({winners})"
        tiled = self.stride == self.ws and not self.padded()  # side by side, from the corner
        rest = [
            f"{out}[..., {z}.shape[-2] * {self.ws[0]}:, :] = 0",
            f"{out}[..., {z}.shape[-1] * {self.ws[1]}:] = 0",
        ]
        return [
            *self.windows(seen, x, x, EDGE),
            *self.gradient_buffer(out, x, tiled),
            loop,
            f"    {add}",
            *(rest if tiled else self.cropped(out, x)),
        ]

    def pullback(self, inputs, outputs, output_grads):
        (x, z, _), (g,) = inputs, output_grads
        return [None, None, DownsampleFactorMaxGradGrad(**self.settings())(x, z, g)]

    def pretty(self, x: str, z: str, gz: str) -> str:
        return f"max_pool_grad({x}, {z}, {gz}, ws={self.ws})"


@dataclass(frozen=True)
class AveragePoolGrad(PoolSettings, TensorOp):
    """The gradient of sum and average pooling: inputs (x, the pooled gradient); x gives the shape."""

    def infer_type(self, x: Variable, gz: Variable) -> TensorType:
        _check_input("average pool gradient", x)
        return _gradient_type("average pool gradient", x, gz, self.pooled_shape(x.type.shape))

    def impl(self, x: np.ndarray, gz: np.ndarray) -> np.ndarray:
        gx = np.zeros_like(x)
        for r, c, region, count in self.regions(x.shape):
            share = gz[..., r, c, None, None]
            gx[region] += share if self.mode == "sum" else share / count
        return gx

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x, gz) = outs, names
        lines, share = [], gz
        if self.mode != "sum":
            share = local(out, "share")
            lines.append(f"{share} = {gz} / {self.counts(x, gz)}")
        loop, i, j = offset_loop(out, self.ws)
        return [
            *lines,
            *self.gradient_buffer(out, x),
            loop,
            f"    {local(out, 'windows')}[..., {i}, {j}] += {share}",
            *self.cropped(out, x),
        ]

    def pullback(self, inputs, outputs, output_grads):
        (g,) = output_grads
        return [None, Pool(**self.settings())(g)]

    def pretty(self, x: str, gz: str) -> str:
        return f"average_pool_grad({x}, {gz}, ws={self.ws}, mode={self.mode!r})"


@dataclass(frozen=True)
class DownsampleFactorMaxGradGrad(PoolSettings, TensorOp):
    """The gradient of ``MaxPoolGrad`` with respect to its last input: inputs (x, maxima, ggx).

    Each window sums ``ggx`` over the elements equal to its maximum.
    """

    def infer_type(self, x: Variable, z: Variable, ggx: Variable) -> TensorType:
        _check_input("max pool second gradient", x)
        _gradient_type("max pool second gradient", x, ggx, x.type.shape)
        _gradient_type("max pool second gradient", x, z, self.pooled_shape(x.type.shape))
        return TensorType(ggx.dtype, self.pooled_shape(x.type.shape))

    def impl(self, x: np.ndarray, z: np.ndarray, ggx: np.ndarray) -> np.ndarray:
        ggz = np.zeros(z.shape, ggx.dtype)
        for r, c, region, _ in self.regions(x.shape):
            winner = x[region] == z[..., r, c, None, None]
            ggz[..., r, c] = (ggx[region] * winner).sum(axis=(-2, -1))
        return ggz

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        (out,), (x, z, ggx) = outs, names
        seen, grads = local(out, "input_windows"), local(out, "windows")
        lines = [*self.windows(seen, x, x, EDGE), *self.windows(grads, ggx, x)]
        lines.append(f"{out} = {grads}[..., 0, 0] * ({seen}[..., 0, 0] == {z})")
        if self.ws != (1, 1):
            loop, i, j = offset_loop(out, self.ws, skip_first=True)
            lines += [loop, f"    {out} += {grads}[..., {i}, {j}] * ({seen}[..., {i}, {j}] == {z})"]
        return lines

    def pullback(self, inputs, outputs, output_grads):
        (x, z, _), (g,) = inputs, output_grads
        return [None, None, MaxPoolGrad(**self.settings())(x, z, g)]

    def pretty(self, x: str, z: str, ggx: str) -> str:
        return f"max_pool_grad_grad({x}, {z}, {ggx}, ws={self.ws})"


# -- Theano's functions ------------------------------------------------------------------------


def _pair(value: Any, what: str, low: int) -> tuple[int, int]:
    """A pair of ints >= ``low``: from ints, a sequence, an array or a constant."""
    if isinstance(value, Constant):
        value = value.value
    elif isinstance(value, Variable):
        raise TypeError(f"pool_2d: {what} must be known when the graph is built, got {value!r}")
    entries = np.asarray(value).ravel()
    if entries.shape != (2,) or entries.dtype.kind not in "iu" or entries.min() < low:
        raise ValueError(f"pool_2d: {what} must be two ints >= {low}, got {value!r}")
    return int(entries[0]), int(entries[1])


def _renamed(new: Any, old: Any, new_name: str, old_name: str, unset: Any = None) -> Any:
    """Theano 1.0's handling of a deprecated keyword: warn, and refuse both at once."""
    if old is None:
        return new
    if new is not unset and new != unset:
        raise ValueError(
            f"You can't provide a tuple value to both '{new_name}' and '{old_name}'. "
            f"Please provide a value only to '{new_name}'."
        )
    warnings.warn(
        f"DEPRECATION: the '{old_name}' parameter is not going to exist anymore as it is going "
        f"to be replaced by the parameter '{new_name}'.",
        stacklevel=3,
    )
    return old


def pool_2d(
    input: Any,
    ws: Any = None,
    ignore_border: bool | None = None,
    stride: Any = None,
    pad: Any = (0, 0),
    mode: str = "max",
    ds: Any = None,
    st: Any = None,
    padding: Any = None,
) -> Variable:
    """Downscale the last two axes of ``input`` by pooling windows of ``ws``, as Theano's ``pool_2d``.

    Parameters
    ----------
    input : tensor of 2 or more dimensions
        Pooled over its last two axes.
    ws : pair of ints
        Window rows and columns.
    ignore_border : bool
        True: only whole windows (a 5x5 input in 2x2 windows gives 2x2);
        False: a partial window covers the border (3x3). Unset, it warns and
        means False, as in Theano 1.0.
    stride : pair of ints, optional
        Distance between windows; ``ws`` by default (no overlap).
    pad : pair of ints
        Zeros added before and after each axis (needs ``ignore_border=True``).
    mode : 'max', 'sum', 'average_inc_pad', 'average_exc_pad'
        What a window computes. Max and sum never see the padding; the
        averages count it ('inc') or not ('exc').
    ds, st, padding
        Theano's deprecated names of ``ws``, ``stride`` and ``pad``.

    Examples
    --------
    >>> import numpy as np
    >>> import symgraph.tensor as T
    >>> from symgraph.tensor.signal import pool
    >>> x = T.dmatrix("x")
    >>> pool.pool_2d(x, ws=(2, 2), ignore_border=True).eval({x: np.arange(16.0).reshape(4, 4)})
    array([[ 5.,  7.],
           [13., 15.]])
    """
    ws = _renamed(ws, ds, "ws", "ds")
    stride = _renamed(stride, st, "stride", "st")
    pad = _renamed(pad, padding, "pad", "padding", unset=(0, 0))
    if ws is None:
        raise ValueError("You must provide a tuple value for the window size.")
    input = as_tensor_variable(input)
    if input.ndim < 2:
        raise NotImplementedError("pool_2d requires a dimension >= 2")
    if ignore_border is None:
        warnings.warn(
            "pool_2d() will have the parameter ignore_border default value changed to True "
            "(currently False). To have consistent behavior with all Theano versions, "
            "explicitly add the parameter ignore_border=True.",
            stacklevel=2,
        )
        ignore_border = False
    if mode == "max_deterministic":
        mode = "max"
    if mode not in MODES:
        raise ValueError(f"pool_2d: mode must be one of {', '.join(MODES)}; got {mode!r}")
    ws = _pair(ws, "ws", 1)
    stride = ws if stride is None else _pair(stride, "stride", 1)
    pad = _pair(pad, "pad", 0)
    if pad != (0, 0) and not ignore_border:
        raise NotImplementedError("padding works only with ignore_border=True")
    if pad[0] >= ws[0] or pad[1] >= ws[1]:
        raise NotImplementedError(
            f"pool_2d: the padding {pad} must be smaller than the window {ws}"
        )
    return Pool(ws, stride, pad, bool(ignore_border), mode)(input)


def max_pool_2d_same_size(input: Any, patch_size: Any) -> Variable:
    """``input`` with every element that is not its window's maximum set to zero (Theano's)."""
    input = as_tensor_variable(input)
    ws = _pair(patch_size, "patch_size", 1)
    settings = {"ws": ws, "stride": ws, "ignore_border": True}
    maxima = Pool(**settings)(input)
    return MaxPoolGrad(**settings)(input, maxima, maxima)
