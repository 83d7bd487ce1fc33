"""The ```python blocks of a docs page, each paired with the output block right after it.

One parser for the docs test (``tests/test_docs.py``, which checks outputs) and
the page generators (``docs/gen_*.py``, which rewrite them).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass
class Block:
    """A python block: its code, its first line, and the fenced block directly after it."""

    code: str
    line: int
    output_fence: str | None = None
    output: str | None = None
    output_span: tuple[int, int] | None = None


def python_blocks(text: str) -> list[Block]:
    """The page's python blocks in order; a fence separated by prose is no output."""
    blocks: list[Block] = []
    fences = list(FENCE.finditer(text))
    for i, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        block = Block(fence.group(2), text.count("\n", 0, fence.start(2)) + 1)
        after = fences[i + 1] if i + 1 < len(fences) else None
        if after is not None and not text[fence.end() : after.start()].strip():
            block.output_fence, block.output = after.group(1), after.group(2)
            block.output_span = after.span(2)
        blocks.append(block)
    return blocks


def refresh_outputs(
    text: str,
    display: str,
    namespace: dict,
    output_fences: Sequence[str],
    clean: Callable[[str], str] = str,
) -> str:
    """The page with each output block (of ``output_fences``) replaced by what its code prints.

    The blocks run in order in ``namespace``, compiled under ``display`` with
    the page's line numbers, as the docs test runs them.
    """
    pieces, last = [], 0
    for block in python_blocks(text):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile("\n" * (block.line - 1) + block.code, display, "exec"), namespace)
        if block.output_fence in output_fences:
            start, end = block.output_span
            pieces += [text[last:start], clean(printed.getvalue())]
            last = end
    return "".join(pieces) + text[last:]
