"""No import loop among the parts of symgraph, read from every module's source with ``ast``.

A part is a top-level package or module of ``symgraph/`` (graph, tensor, gradient,
rewrite, compile, printing, scan, ifelse, ...). Every import counts, at module level
or inside a function, and so does any string naming a symgraph module such as
``"symgraph.compile.function"`` (what ``importlib.import_module`` would load), except the names of a ``lazy_names``
table: those are a lower part's declared re-exports of a later part's names
(``T.grad``), served on first use, not imports. ``symgraph/__init__.py``, the
Theano-compatible surface, may import every part; a part that imports the
surface imports all of them.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "symgraph"
SURFACE = "symgraph"


def module_names() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def part(module: str) -> str:
    """``symgraph.tensor.elemwise`` -> ``tensor``; the package itself is the surface."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else SURFACE


def lazy_tables(tree: ast.AST) -> list[ast.Dict]:
    """The dict literals a module hands to ``lazy_names``, directly or through a name."""
    tables, named = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    named[target.id] = node.value
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy_names":
            table = node.args[1]
            tables.append(named[table.id] if isinstance(table, ast.Name) else table)
    return tables


def imports(module: str, source: str, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """The symgraph modules ``module`` imports, each with the line that imports it."""
    tree = ast.parse(source)
    declared = {id(v) for table in lazy_tables(tree) for v in table.values}
    is_package = modules.get(module, Path()).name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.append((child if child in modules else base, node.lineno))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # a dotted name: "symgraph" alone is also a plain word (a graph's default name)
            if "." in node.value and node.value in modules and id(node) not in declared:
                found.append((node.value, node.lineno))
    return [(name, line) for name, line in found if name in modules]


def part_edges() -> dict[tuple[str, str], list[str]]:
    """(importing part, imported part) -> where: ``file:line`` of each import making the edge."""
    modules = module_names()
    edges: dict[tuple[str, str], list[str]] = {}
    for module, path in modules.items():
        for target, line in imports(module, path.read_text(), modules):
            if part(module) != part(target):
                where = f"{path.relative_to(PACKAGE.parent)}:{line}"
                edges.setdefault((part(module), part(target)), []).append(where)
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one part (Tarjan's algorithm, iteratively)."""
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(graph[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def test_the_parts_import_each_other_without_a_loop():
    edges = part_edges()
    parts = {p for edge in edges for p in edge}
    assert {"graph", "tensor", "gradient", "rewrite", "compile", "printing", "scan"} <= parts
    report = []
    for group in cycles({e: w for e, w in edges.items() if e[0] != SURFACE}):
        report.append(f"a loop among {', '.join(group)}:")
        for (a, b), where in sorted(edges.items()):
            if a in group and b in group:
                places = list(dict.fromkeys(where))
                more = f" and {len(places) - 3} more" if len(places) > 3 else ""
                report.append(f"  {a} -> {b} at {', '.join(places[:3])}{more}")
    assert not report, "\n".join(report)


def test_the_surface_may_import_every_part_but_no_part_imports_it():
    edges = part_edges()
    assert not [(a, b) for a, b in edges if b == SURFACE], edges


def test_every_lazily_served_name_exists_where_its_table_says():
    for module, path in module_names().items():
        for table in lazy_tables(ast.parse(path.read_text())):
            for key, value in zip(table.keys, table.values):
                home = importlib.import_module(value.value)
                if value.value != f"{module}.{key.value}":  # else the submodule itself
                    assert hasattr(home, key.value), f"{module}: {key.value} not in {value.value}"
                    home = getattr(home, key.value)
                assert getattr(importlib.import_module(module), key.value) is home


def test_the_check_sees_imports_inside_functions_and_module_names_in_strings():
    source = (
        "import importlib\n"
        "def f():\n"
        "    from symgraph.compile.function import function\n"
        "    return importlib.import_module('symgraph.rewrite.pipeline')\n"
        "__getattr__ = lazy_names(__name__, {'grad': 'symgraph.gradient'})\n"
    )
    found = {name for name, _ in imports("symgraph.tensor.example", source, module_names())}
    assert found == {"symgraph.compile.function", "symgraph.rewrite.pipeline"}
