"""``debugprint``: Theano's indented tree, one line per variable, shared subtrees printed once."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from symgraph.graph.basic import Apply, Variable
from symgraph.printing.common import as_graph, op_label, schedule, variable_label

ID_STYLES = ("CHAR", "int", "id", "")

BRANCH, LAST, PIPE, SPACE = "├─ ", "└─ ", "│  ", "   "


def char_id(n: int) -> str:
    """``A``..``Z``, then ``AA``, ``AB``...: spreadsheet column names, short and unambiguous."""
    text = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


def _id_maker(ids: str) -> Callable[[Variable, int], str]:
    if ids not in ID_STYLES:
        raise ValueError(f"debugprint: ids must be one of {ID_STYLES}, got {ids!r}")
    if ids == "CHAR":
        return lambda var, n: f" [id {char_id(n)}]"
    if ids == "int":
        return lambda var, n: f" [id {n}]"
    if ids == "id":
        return lambda var, n: f" [id {id(var):x}]"
    return lambda var, n: ""


def _label(var: Variable) -> str:
    """An op's name for a computed variable (``.i`` for one of several outputs), else its value."""
    node = var.owner
    if node is None:
        return variable_label(var)
    if len(node.outputs) > 1:
        return f"{op_label(node.op)}.{var.index}"
    return op_label(node.op)


def tree_lines(
    outputs: list[Variable],
    print_type: bool = False,
    ids: str = "CHAR",
    positions: dict[Apply, int] | None = None,
    notes: Sequence[str] = (),
    seen: dict[Variable, str] | None = None,
) -> Iterator[str]:
    """The lines of the tree; a variable seen before gets its line again but not its subtree.

    ``notes[k]``, when given, ends the first line of output ``k``. ``seen`` maps
    variables already printed to their ids, so several trees share one id space.
    """
    make_id = _id_maker(ids)
    seen: dict[Variable, str] = {} if seen is None else seen

    def line(var: Variable) -> tuple[str, bool]:
        first = var not in seen
        if first:
            seen[var] = make_id(var, len(seen))
        text = _label(var) + seen[var]
        if print_type:
            text += f" <{var.type}>"
        if var.name is not None and var.owner is not None:
            text += f" '{var.name}'"
        if positions is not None and var.owner in positions:
            text += f"  {positions[var.owner]}"
        if not first and var.owner is not None and var.owner.inputs:
            text += " ···"
        return text, first

    # iterative depth-first walk: (variable, prefix of its own line, prefix of its children)
    for out, note in itertools.zip_longest(outputs, notes[: len(outputs)], fillvalue=""):
        stack = [(out, "", " ")]
        while stack:
            var, head, rest = stack.pop()
            text, first = line(var)
            yield head + text + (f"  ({note})" if note and var is out else "")
            if not first or var.owner is None:
                continue
            inputs = var.owner.inputs
            for i in reversed(range(len(inputs))):
                last = i == len(inputs) - 1
                stack.append(
                    (inputs[i], rest + (LAST if last else BRANCH), rest + (SPACE if last else PIPE))
                )


def inner_graph_lines(
    printed: list[Variable], print_type: bool, ids: str, seen: dict[Variable, str]
) -> list[str]:
    """Trees of the inner graphs (scan steps, ifelse branches) of the printed nodes, as Theano does.

    Nodes inside an inner graph may hold inner graphs themselves; they are
    printed in turn, after their parents.
    """
    lines: list[str] = []
    done: set[Apply] = set()
    queue = list(printed)
    while queue:
        node = queue.pop(0).owner
        graphs = node.op.inner_graphs if node is not None else None
        if not graphs or node in done:
            continue
        done.add(node)
        lines += ["", "Inner graphs:"] if not lines else [""]
        lines.append(f"{_label(node.outputs[0])}{seen[node.outputs[0]]}")
        for name, graph in graphs.items():
            lines.append(f" {name}:")
            known = set(seen)
            for line in tree_lines(list(graph.outputs), print_type, ids, seen=seen):
                lines.append("  " + line)
            queue += [v for v in seen if v not in known]
    return lines


def debugprint(
    obj: Any, file: IO[str] | str | None = None, print_type: bool = False, ids: str = "CHAR"
) -> str | None:
    """Print a graph as an indented tree, each variable marked ``[id X]``.

    A subtree used in several places is printed in full the first time; later
    uses repeat only its line, marked ``···``. Constants show their values and
    named intermediate variables their ``'name'``. For a compiled function the
    optimized graph ``f.graph`` is printed, each node followed by its position
    in the execution schedule, and the new values of shared variables marked
    ``(update of w)``.

    Parameters
    ----------
    obj
        A variable, a list of variables, a ``Graph`` or a compiled function.
    file
        Where to write: None for ``sys.stdout``, ``'str'`` to return the text,
        or any object with a ``write`` method.
    print_type
        Also show each variable's type: dtype and static shape, ``?`` where unknown.
    ids
        ``'CHAR'`` (A, B, ..., AA), ``'int'``, ``'id'`` (Python ids) or ``''`` for none.

    Returns
    -------
    The text when ``file='str'``, else None.

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> x = T.dvector("x")
    >>> e = T.exp(x)
    >>> debugprint(e * e)
    mul [id A]
     ├─ exp [id B]
     │  └─ x [id C]
     └─ exp [id B] ···
    """
    graph, compiled = as_graph(obj)
    positions = schedule(graph) if compiled else None
    updates = getattr(obj, "updates", None) if compiled else None
    notes = []
    if updates:  # a compiled function's outputs end with the new values of its shared variables
        notes = [""] * (len(graph.outputs) - len(updates))
        notes += [f"update of {shared!r}" for shared, _ in updates]
    seen: dict[Variable, str] = {}
    lines = list(tree_lines(list(graph.outputs), print_type, ids, positions, notes, seen))
    lines += inner_graph_lines(list(seen), print_type, ids, seen)
    text = "\n".join(lines) + "\n"
    if file == "str":
        return text
    (sys.stdout if file is None else file).write(text)
    return None
