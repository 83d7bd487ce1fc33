"""``compare``: what the optimizer did, as two ``debugprint`` trees side by side."""

from __future__ import annotations

import sys
from typing import IO, Any

from symgraph.printing.common import node_count
from symgraph.printing.debugprint import debugprint

GAP = "  ┃  "


def side_by_side(left: str, right: str, gap: str = GAP) -> str:
    """Two blocks of text as columns, the left one padded to its widest line."""
    left_lines, right_lines = left.splitlines(), right.splitlines()
    width = max((len(s) for s in left_lines), default=0)
    rows = max(len(left_lines), len(right_lines))
    left_lines += [""] * (rows - len(left_lines))
    right_lines += [""] * (rows - len(right_lines))
    lines = ((a.ljust(width) + gap + b).rstrip() for a, b in zip(left_lines, right_lines))
    return "\n".join(lines) + "\n"


def _nodes(n: int) -> str:
    return f"{n} node{'s' if n != 1 else ''}"


def compare(
    before: Any,
    after: Any,
    file: IO[str] | str | None = None,
    print_type: bool = False,
    titles: tuple[str, str] = ("before", "after"),
) -> str | None:
    """Print two graphs side by side, each headed by its number of apply nodes.

    Typically ``before`` is what the user built and ``after`` the compiled
    function: ``compare(cost, theano.function([x], cost))``. A compiled side
    shows each node's position in the schedule.

    Parameters
    ----------
    before, after
        Each a variable, a list of variables, a ``Graph`` or a compiled function.
    file
        None for ``sys.stdout``, ``'str'`` to return the text, or a stream.
    print_type
        Also show each variable's type.
    titles
        The headings of the two columns.

    Returns
    -------
    The text when ``file='str'``, else None.

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> x = T.dvector("x")
    >>> compare(x * 1.0, x)
    before: 1 node  ┃  after: 0 nodes
    ──────────────  ┃  ──────────────
    mul [id A]      ┃  x [id A]
     ├─ x [id B]    ┃
     └─ 1.0 [id C]  ┃
    """
    columns = []
    for title, obj in zip(titles, (before, after)):
        tree = debugprint(obj, file="str", print_type=print_type)
        columns.append(f"{title}: {_nodes(node_count(obj))}\n{tree}")
    columns = [
        column.replace("\n", "\n" + "─" * max(map(len, column.splitlines())) + "\n", 1)
        for column in columns
    ]
    text = side_by_side(*columns)
    if file == "str":
        return text
    (sys.stdout if file is None else file).write(text)
    return None
