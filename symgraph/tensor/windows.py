"""Generated code over the sliding windows of an array, shared by convolution and pooling.

``np.lib.stride_tricks.sliding_window_view`` shows every window of an array
as a view, without copying; with a step it keeps every s-th window, and a
step inside the window dilates it. Convolution contracts such a view with the
filters in one BLAS product; pooling and the gradients visit the few offsets
inside a window, each a strided view of the whole batch. These helpers write
those texts so that every op reads alike.

A size is an ``int`` when it is known as the graph is built, else the text
computing it at run time (``"w.shape[2]"``). Names an op creates besides its
output are ``<output>_<what>_t``: the code generator never hands out a name
ending in ``_t`` unnumbered, and the output's name makes them unique.
"""

from __future__ import annotations

from collections.abc import Sequence

Size = int | str


def local(out: str, what: str) -> str:
    """A name for a temporary of the node computing ``out``, free in any generated function."""
    return f"{out}_{what}_t"


def plus(*sizes: Size) -> Size:
    """The sum of ``sizes``: an int when all are ints, else code (zeros left out)."""
    if all(isinstance(s, int) for s in sizes):
        return sum(sizes)
    return " + ".join(str(s) for s in sizes if s != 0)


def dilated(size: Size, dilation: int) -> Size:
    """The extent ``(size - 1) * dilation + 1`` of a window with ``size`` taps ``dilation`` apart."""
    if isinstance(size, int):
        return (size - 1) * dilation + 1
    return size if dilation == 1 else f"({size} - 1) * {dilation} + 1"


def pad_text(x: str, pads: Sequence[tuple[Size, Size]], ndim: int | None, how: str = "") -> str:
    """``np.pad`` of the last two axes of ``x`` (of ``ndim`` axes, or any when None)."""
    last = ", ".join(f"({lo}, {hi})" for lo, hi in pads)
    if ndim is None:
        width = f"[(0, 0)] * ({x}.ndim - 2) + [{last}]"
    else:
        width = "(" + "(0, 0), " * (ndim - 2) + last + ")"
    return f"np.pad({x}, {width}{how})"


def windows_text(
    x: str,
    extent: Sequence[Size],
    step: Sequence[int] = (1, 1),
    dilation: Sequence[int] = (1, 1),
    writeable: bool = False,
) -> str:
    """The windows of the last two axes of ``x``: axes (..., rows, cols, window rows, window cols).

    Every ``step``-th window is kept, and every ``dilation``-th tap inside one.
    """
    text = (
        f"np.lib.stride_tricks.sliding_window_view({x}, ({extent[0]}, {extent[1]}), "
        f"axis=(-2, -1){', writeable=True' if writeable else ''})"
    )
    if tuple(step) == (1, 1) and tuple(dilation) == (1, 1):
        return text
    parts = [f"::{s}" if s != 1 else ":" for s in (*step, *dilation)]
    return f"{text}[..., {', '.join(parts)}]"


def offset_loop(out: str, window: Sequence[Size], skip_first: bool = False) -> tuple[str, str, str]:
    """``for i, j in np.ndindex(rows, cols):`` over the offsets inside a window: (line, i, j).

    With ``skip_first`` the loop starts after offset (0, 0), which the caller
    has used to start its result.
    """
    i, j = local(out, "i"), local(out, "j")
    offsets = f"np.ndindex({window[0]}, {window[1]})"
    if skip_first:
        offsets = f"list({offsets})[1:]"
    return f"for {i}, {j} in {offsets}:", i, j
