"""Every ```python block of README.md and docs/*.md runs, and prints what the page shows.

The blocks of one page run in order in one fresh interpreter, as a reader would
type them (so a page that sets ``config.floatX`` or defines an op changes
nothing for other tests). A ```python block followed directly by a ```text (or
```output) block must print exactly that text; ``...`` in the expected text
matches anything (ids, timings, addresses) and runs of whitespace compare
equal, as doctest's ELLIPSIS and NORMALIZE_WHITESPACE options do. Snippets that
must not run (shell commands, Theano code) use another fence, such as ```bash.
"""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
import docblocks  # noqa: E402  (docs/docblocks.py: the page parser the docs generators share)

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OUTPUT_FENCES = ("text", "output")
MARKER = "\x1e-- symgraph docs block --\x1e"

# Runs in the child interpreter: each block compiled with the page's name and line
# numbers (leading newlines), so a traceback points into the page itself.
DRIVER = f"""
import json, sys
page, blocks = json.load(sys.stdin)
namespace = {{"__name__": "__docs__"}}
for code, line in blocks:
    print({MARKER!r}, flush=True)
    exec(compile("\\n" * (line - 1) + code, page, "exec"), namespace)
    sys.stdout.flush()
"""


@dataclass
class Block:
    """One ```python block: its code, the line it starts on, and the output it shows."""

    code: str
    line: int
    expected: str | None


def python_blocks(text: str) -> list[Block]:
    """The page's python blocks, each with the output it must print (or None)."""
    return [
        Block(b.code, b.line, b.output if b.output_fence in OUTPUT_FENCES else None)
        for b in docblocks.python_blocks(text)
    ]


def display_name(page: Path) -> str:
    """The page's path relative to the repository: node locations print the same everywhere."""
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else page.name


def run_blocks(page: Path, blocks: list[Block], cwd: Path) -> tuple[list[str], str, int]:
    """Each block's printed output, the child's stderr and its exit code."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps([display_name(page), [(b.code, b.line) for b in blocks]]),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )
    printed = result.stdout.split(MARKER + "\n")[1:]
    return printed, result.stderr, result.returncode


def check_page(page: Path, cwd: Path) -> None:
    blocks = python_blocks(page.read_text(encoding="utf-8"))
    if not blocks:
        return
    printed, stderr, returncode = run_blocks(page, blocks, cwd)
    if returncode != 0:
        failed = blocks[len(printed) - 1]
        pytest.fail(f"{page.name}: the block at line {failed.line} raised:\n{stderr}")
    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for block, got in zip(blocks, printed):
        if block.expected is not None and not checker.check_output(block.expected, got, flags):
            pytest.fail(
                f"{page.name}:{block.line}: the block printed\n{got}\n"
                f"but the page shows\n{block.expected}"
            )


def test_block_parser_pairs_code_with_its_output():
    page = "```python\nprint(1)\n```\n\n```text\n1\n```\n```python\nx = 2\n```\nprose\n```text\nno\n```\n"
    blocks = python_blocks(page)
    assert [(b.code, b.line, b.expected) for b in blocks] == [
        ("print(1)\n", 2, "1\n"),
        ("x = 2\n", 9, None),
    ]


def test_a_wrong_output_or_an_error_fails_the_page(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nprint(6 * 7)\n```\n```text\n41\n```\n")
    with pytest.raises(pytest.fail.Exception, match="page.md:2: the block printed\n42"):
        check_page(page, tmp_path)
    page.write_text("```python\nx = 1\n```\n\n```python\n\nraise KeyError('k')\n```\n")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)line 6 raised.*page.md\", line 7"):
        check_page(page, tmp_path)


def test_pages_exist():
    names = {p.name for p in PAGES}
    expected = {"index.md", "tutorial.md", "theano_migration.md", "architecture.md", "ops.md"}
    assert expected | {"api.md", "README.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_code_blocks_run_and_print_what_they_show(page, tmp_path):
    check_page(page, tmp_path)
