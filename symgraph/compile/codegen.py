"""Graph -> one Python function of NumPy calls, one line per node, readable as ``f.source``.

Each node becomes the lines of its op's ``emit`` (``t3 = np.exp(t2)``), with a
comment naming the op and the user's ``file:line``. Variables take the user's
names where those are unique identifiers, ``t1, t2, ...`` otherwise. Small
scalar constants are written as literals where that leaves the result dtype
unchanged; other constants are bound once, as globals of the generated module.
Nodes the memory plan runs in place are written ``t3 += t1`` or
``np.exp(t2, out=t2)``, and those it computes into the function's workspace
``t4 = np.matmul(t3, w, out=ws[0])``. Every line is recorded with what it
computes, so a failure at run time can be reported in terms of the user's graph.

Ops holding inner graphs (ifelse, scan) emit their bodies with ``inline``. An op
without generated code (a Theano-style op with ``perform``, an ``as_op``) is bound
once as a global named after it, and its line calls its ``impl``: ``t2 = double_op.impl(x)``.
"""

from __future__ import annotations

import builtins
import contextvars
import copy
import functools
import itertools
import keyword
import linecache
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from symgraph.backends import Backend, is_dask_array
from symgraph.backends.numpy import BACKEND as NUMPY
from symgraph.compile.inplace import Chains, chain_calls, root_expression
from symgraph.compile.memory import (
    Plan,
    Workspace,
    alias_input,
    computes_into,
    destroyed_inputs,
    floats_quiet,
    plan_memory,
)
from symgraph.compile.shared import SharedVariable, filter_value
from symgraph.graph.basic import Apply, Constant, Op, Variable
from symgraph.graph.fgraph import Graph
from symgraph.rewrite.engine import short_where
from symgraph.tensor import special_functions
from symgraph.tensor.elemwise import Elemwise
from symgraph.tensor.linalg_base import scipy_linalg
from symgraph.tensor.reduction import ones_for_rows
from symgraph.tensor.type import TensorType

if TYPE_CHECKING:
    from symgraph.compile.profile import Profile

#: comments start at this column when the code is shorter
COMMENT_COLUMN = 44

_generating: contextvars.ContextVar[Namespace | None] = contextvars.ContextVar(
    "symgraph_codegen", default=None
)
_counter = itertools.count(1)


@dataclass(frozen=True)
class LineInfo:
    """What one generated line does: ``kind`` is 'node', 'input', 'check' or 'setup'.

    For a node line, ``names`` are the texts of the node's inputs (to report
    their shapes when the line fails) and ``inplace`` says whether it writes
    into an input's buffer.
    """

    kind: str
    node: Apply | None = None
    names: tuple[str, ...] = ()
    inplace: bool = False


@dataclass
class Line:
    """One line of a body before rendering: its code, what it does, its comment."""

    code: str
    info: LineInfo
    comment: str = ""


@dataclass
class Generated:
    """A compiled function with its source and a line number -> ``LineInfo`` table."""

    fn: Callable
    source: str
    filename: str
    lines: dict[int, LineInfo]
    saves: dict[SharedVariable, str] = field(default_factory=dict)
    workspace: Workspace | None = None


@dataclass
class Namespace:
    """The globals of one generated module, and which names are taken in it."""

    check_types: bool = False
    backend: Backend = NUMPY
    values: dict[str, Any] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)
    #: the number to try first for each numbered base (names are never given back)
    next_number: dict[str, int] = field(default_factory=dict)
    bound: dict[Any, str] = field(default_factory=dict)
    described: dict[str, str] = field(default_factory=dict)
    #: each line an inlined body returned (stripped text) -> that line, to render it again
    inner_lines: dict[str, Line] = field(default_factory=dict)
    checks: list[tuple[Apply, int]] = field(default_factory=list)
    saves: dict[SharedVariable, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        base = {
            "np": np,
            "special": special_functions,
            "scipy_linalg": scipy_linalg,  # imported on first call
            "ones_for_rows": ones_for_rows,
            "ndarray": np.ndarray,
            "asarray": np.asarray,
            "deepcopy": copy.deepcopy,
        }
        self.values.update(base, **self.backend.globals)
        self.taken.update(base, self.backend.globals, keyword.kwlist, keyword.softkwlist)
        if self.check_types:
            self.values["_check"] = partial(check_output, self.checks)
            self.taken.add("_check")

    def fresh(self, base: str) -> str:
        """An unused name: ``base`` itself, or ``base`` with a number (``t`` gives t1, t2...)."""
        base = identifier(base)
        numbered = base in ("t", "c") or base.endswith("_t")
        if not numbered and base not in self.taken:
            self.taken.add(base)
            return base
        sep = "" if numbered else "_"
        n = self.next_number.get(base, 1 if numbered else 2)
        while f"{base}{sep}{n}" in self.taken:
            n += 1
        self.next_number[base] = n + 1
        self.taken.add(f"{base}{sep}{n}")
        return f"{base}{sep}{n}"

    def bind(self, base: str, value: Any, key: Any = None, description: str = "") -> str:
        """A global bound to ``value`` (once per ``key``), named after ``base``."""
        if key is not None and key in self.bound:
            return self.bound[key]
        name = self.fresh(base)
        self.values[name] = value
        if key is not None:
            self.bound[key] = name
        if description:
            self.described[name] = description
        return name

    def storage(self, var: SharedVariable) -> str:
        """The global holding a shared variable's storage cell."""
        key = ("storage", id(var.storage))
        return self.bind(f"{var.name or 'shared'}_storage", var.storage, key)

    def op(self, op: Op) -> str:
        """The global holding an op whose generated code calls its ``impl``, named after its class."""
        name = getattr(op, "name", None)
        if not (isinstance(name, str) and name.isidentifier()):
            name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", type(op).__name__).lower()
        if hasattr(builtins, name):
            name += "_op"  # ``print`` stays Python's print
        return self.bind(name, op, ("op", id(op)))

    def constant(self, const: Constant) -> str:
        """The global holding a constant's value, bound once per distinct value."""
        value = np.asarray(const.value)
        text = repr(value.tolist()) if value.size <= 8 else f"array of shape {value.shape}"
        description = f"{text} ({value.dtype})"
        key = ("constant", const.signature())
        return self.bind(const.name or "c", const.value, key, description)


class _Body:
    """The lines computing a schedule of nodes, and the name each variable has in them."""

    def __init__(
        self, ns: Namespace, prefix: str, plan: Plan, names: dict, preset: dict | None = None
    ) -> None:
        self.ns = ns
        self.prefix = prefix
        self.plan = plan
        self.names: dict[Variable, str] = dict(names)
        #: names chosen in advance for some nodes' outputs
        self.preset: dict[Variable, str] = dict(preset or {})
        self.temporaries: set[str] = set()
        self.lines: list[Line] = []
        self.profile_ticks: list[Apply] | None = None
        #: the array each planned result is computed into (``ws[3]``, a loop's ``h[t + 1]``)
        self.slots: dict[Variable, str] = {}
        #: the generated names of the workspace, its shapes and its arrays
        self.workspace_names: tuple[str, str, str] | None = None
        #: each late shape the workspace checks -> its position in ``workspace.late``
        self.late_positions: dict[Variable, int] = {}

    def line(self, code: str, info: LineInfo, comment: str = "") -> None:
        self.lines.append(Line(code, info, comment))

    def new_name(self, var: Variable) -> str:
        if var in self.preset:
            return self.preset.pop(var)
        if var.name and var.name.isidentifier():
            return self.ns.fresh(self.prefix + var.name)
        name = self.ns.fresh(self.prefix + "t")
        self.temporaries.add(name)
        return name

    def name_of(self, var: Variable) -> str:
        if var in self.names:
            return self.names[var]
        if isinstance(var, Constant):
            return self.ns.constant(var)
        raise ValueError(f"code generation: no value for {var!r} (built at {var.where})")

    def read_shared(self, variables: Sequence[SharedVariable]) -> None:
        """Locals holding the shared variables' values at the start of the call."""
        for var in variables:
            if var in self.names:
                continue
            name = self.ns.fresh(self.prefix + (var.name or "shared"))
            storage = self.ns.storage(var)
            self.names[var] = name
            self.line(f"{name} = {storage}.value", LineInfo("setup"))
            if var in self.plan.snapshots:
                saved = self.ns.saves[var] = self.ns.fresh(f"{name}_state")
                self.line(f"{saved} = {var.type.save_code(name)}", LineInfo("setup"))

    def emit(self, node: Apply) -> None:
        """The lines of one node: its op's own, or an in-place form chosen by the plan."""
        names = self.input_names(node)
        alias = alias_input(node)
        if alias is not None:
            self.names[node.outputs[0]] = names[alias]
            return
        chains = self.plan.inplace.get(node)
        info = LineInfo("node", node, tuple(names), chains is not None)
        if chains is not None:
            codes, outs = self._inplace(node, names, chains)
        else:
            overwritten = self._overwritten(node, names, info)
            outs = [overwritten.get(k) or self.new_name(v) for k, v in enumerate(node.outputs)]
            slot = self.slots.get(node.outputs[0])
            if slot is not None:
                codes = [f"{outs[0]} = {node.op.code_into(names, slot)}"]
            else:
                codes = self.ns.backend.emit(node, outs, names)
            if codes is None:
                codes = [f"{', '.join(outs)} = {self._impl_call(node, names)}"]
        self.names.update(zip(node.outputs, outs))
        comment = node_comment(node)
        for k, code in enumerate(codes):
            inner = self.ns.inner_lines.get(code.strip())
            if inner is None:
                self.line(code, info, comment if k == 0 else "")
            else:  # rendered again at this indentation, so its comment aligns with the others
                indent = code[: len(code) - len(code.lstrip())]
                self.line(indent + inner.code.lstrip(), inner.info, inner.comment)
        self._after(node, outs)

    def _impl_call(self, node: Apply, names: list[str]) -> str:
        """``op.impl(x)``; ``unaliased(op.impl(x), x)`` for an op that declares no views, whose
        ``perform`` may still store an input itself (Theano asks for a ``view_map`` then, but
        a missing one goes unnoticed): the result is copied only when it shares memory."""
        call = f"{self.ns.op(node.op)}.impl({', '.join(names)})"
        tensors = [n for n, v in zip(names, node.inputs) if isinstance(v.type, TensorType)]
        if node.op.view_map or not tensors:
            return call
        return (
            f"{self.ns.bind('unaliased', unaliased, key='unaliased')}({call}, {', '.join(tensors)})"
        )

    def _overwritten(self, node: Apply, names: list[str], info: LineInfo) -> dict[int, str]:
        """The outputs that are inputs overwritten in place (a draw advances its generator):
        each takes its input's name, copied first unless the plan says nothing reads it later."""
        result = {}
        for out, position in destroyed_inputs(node).items():
            if position not in self.plan.destroys.get(node, ()):
                copied = self.new_name(node.inputs[position])
                self.line(
                    f"{copied} = {node.inputs[position].type.copy_code(names[position])}", info
                )
                names[position] = copied
            result[out] = names[position]
        return result

    def open_workspace(self, roots: Sequence[Variable]) -> Workspace | None:
        """``ws = workspace.arrays if shapes == workspace.shapes else workspace.unset``: the
        arrays kept from the last call when the roots have the shapes they had then."""
        if not self.plan.workspace:
            return None
        workspace = Workspace(self.plan.workspace.values(), len(self.plan.late_shapes))
        held = self.ns.bind("workspace", workspace)
        shaped = [self.names[v] for v in roots if isinstance(v.type, TensorType) and v.type.ndim]
        shapes, ws = self.ns.fresh("shapes"), self.ns.fresh("ws")
        self.line(f"{shapes} = {_tuple([f'{n}.shape' for n in shaped])}", LineInfo("setup"))
        repeats = f"{shapes} == {held}.shapes"
        if self.plan.early_updates:
            repeats += f" and {self.ns.bind('floats_quiet', floats_quiet, key='floats_quiet')}()"
        self.line(f"{ws} = {held}.arrays if {repeats} else {held}.unset", LineInfo("setup"))
        self.slots = {v: f"{ws}[{k}]" for k, v in enumerate(self.plan.workspace)}
        self.late_positions = {v: k for k, v in enumerate(self.plan.late_shapes)}
        self.workspace_names = (held, shapes, ws)
        return workspace

    def check_late_shapes(self, node: Apply) -> None:
        """``if t3.shape != workspace.late[0]: ws = workspace.unset`` after a node making a
        late shape: the workspace is used while that shape repeats too."""
        for v in node.outputs:
            if v in self.late_positions:
                held, _, ws = self.workspace_names
                late = f"{held}.late[{self.late_positions[v]}]"
                self.line(
                    f"if {self.names[v]}.shape != {late}: {ws} = {held}.unset", LineInfo("setup")
                )

    def _keep_line(self) -> str:
        """``workspace.keep(shapes, late, [t1, t2])``: the arrays this call made become the
        workspace."""
        held, shapes, _ = self.workspace_names
        late = _tuple([f"{self.names[v]}.shape" for v in self.plan.late_shapes])
        made = ", ".join(self.names[v] for v in self.plan.workspace)
        return f"{held}.keep({shapes}, {late}, [{made}])"

    def close_workspace(self) -> None:
        """After a call that allocated, the arrays it made become the workspace (with early
        updates, where the in-place updates run: ``emit_shared_updates``)."""
        if self.plan.workspace and not self.plan.early_updates:
            held, _, ws = self.workspace_names
            self.line(f"if {ws} is {held}.unset: {self._keep_line()}", LineInfo("setup"))

    def emit_early_updates(self, nodes: Sequence[Apply]) -> None:
        """``if ws is not workspace.unset: gw *= 0.1; w -= gw``: updates written in place where
        the plan placed them, in a call repeating the shapes of one that ran (whose updates
        were written in place, so every operand has its buffer's shape)."""
        held, _, ws = self.workspace_names
        self.line(f"if {ws} is not {held}.unset:", LineInfo("setup"))
        for node in nodes:
            info, writes, _ = self._update_forms(node)
            self._lines(node, writes, info, "    ")

    def emit_shared_updates(self, nodes: Sequence[Apply], storages: Sequence[str]) -> None:
        """Updates computed into their shared variable's buffer, as one guarded block.

        When every operand has the buffer's shape, the in-place writes cannot
        fail, and the storage cells (``storages``, one per node) keep their
        arrays; otherwise every update is computed out of place first, then
        stored. Either way nothing is written before all that can fail has run.
        With early updates the block is for calls that allocated (the others
        ran them already), and its in-place branch keeps the workspace.
        """
        guards: dict[str, None] = {}
        forms = []
        for node in nodes:
            info, writes, fallback = self._update_forms(node)
            forms.append((node, info, writes, fallback))
            chains = self.plan.inplace[node]
            buffer = info.names[chains.target]
            for i, (name, v) in enumerate(zip(info.names, node.inputs)):
                if i != chains.target and v.type.ndim > 0:
                    guards.setdefault(f"{name}.shape == {buffer}.shape")
        indent = ""
        if self.plan.early_updates:
            held, _, ws = self.workspace_names
            self.line(f"if {ws} is {held}.unset:", LineInfo("setup"))
            indent = "    "
        if guards:
            self.line(f"{indent}if {' and '.join(guards)}:", LineInfo("setup"))
        inner = indent + ("    " if guards else "")
        for node, info, writes, _ in forms:
            self._lines(node, writes, info, inner)
        if self.plan.early_updates:
            self.line(inner + self._keep_line(), LineInfo("setup"))
        if guards:
            self.line(f"{indent}else:", LineInfo("setup"))
            for node, info, _, fallback in forms:
                self._lines(node, fallback, info, inner)
            for node, storage in zip(nodes, storages):
                self.line(
                    f"{inner}{storage}.value = {self.names[node.outputs[0]]}", LineInfo("setup")
                )
        for node in nodes:
            self._after(node, [self.names[node.outputs[0]]])

    def _update_forms(self, node: Apply) -> tuple[LineInfo, list[str], list[str]]:
        """An in-place update's line info, its writes into the shared buffer
        (``gw *= 0.1; w -= gw``) and its out-of-place form (``w = w - 0.1 * gw``)."""
        names = self.input_names(node)
        chains = self.plan.inplace[node]
        buffer = names[chains.target]
        writes = [call.into(names[p]) for p, call in chain_calls(node.op, chains, names)]
        self.names[node.outputs[0]] = buffer
        return LineInfo("node", node, tuple(names)), writes, node.op.emit([buffer], names)

    def _lines(self, node: Apply, codes: Sequence[str], info: LineInfo, indent: str) -> None:
        for k, code in enumerate(codes):
            self.line(indent + code, info, node_comment(node) if k == 0 else "")

    def collect(self, compute: str, variables: Sequence[Variable]) -> None:
        """``t3, w = compute(t3, t7)``: every result computed at once, by the backend's ``compute``.

        Each result keeps its name, unless that is a global (a constant), which
        a local of the same name would hide.
        """
        texts = list(dict.fromkeys(self.name_of(v) for v in variables))
        if not texts:
            return
        targets = [t if t not in self.ns.values else self.ns.fresh("t") for t in texts]
        assigned = ", ".join(targets) + ("," if len(targets) == 1 else "")
        code = f"{assigned} = {compute}({', '.join(texts)})"
        self.line(code, LineInfo("setup"), "every output and update at once")
        renamed = dict(zip(texts, targets))
        for v in variables:
            self.names[v] = renamed[self.name_of(v)]

    def input_names(self, node: Apply) -> list[str]:
        literals = literal_inputs(node)
        return [literals.get(i) or self.name_of(v) for i, v in enumerate(node.inputs)]

    def _after(self, node: Apply, outs: Sequence[str]) -> None:
        """DEBUG_MODE checks of the node's outputs, and its profile tick."""
        if self.ns.check_types:
            for index, out in enumerate(outs):
                self.ns.checks.append((node, index))
                self.line(f"_check({out}, {len(self.ns.checks) - 1})", LineInfo("check", node))
        if self.profile_ticks is not None:
            self.profile_ticks.append(node)
            self.line(f"_clock = _tick({len(self.profile_ticks) - 1}, _clock)", LineInfo("setup"))

    def _inplace(
        self, node: Apply, names: list[str], chains: Chains
    ) -> tuple[list[str], list[str]]:
        """``t2 -= y; t2 /= n`` or ``np.exp(t2, out=t2)``: members computed into dead buffers.

        When the result itself goes into a buffer, the temporary's name is
        reused for it, unless the result has a user name or the buffer's name is
        a user's (``z = np.add(t1, y, out=t1)``).
        """
        calls = chain_calls(node.op, chains, names)
        target = chains.target
        if target is None:
            out = self.new_name(node.outputs[0])
            codes = [call.into(names[p]) for p, call in calls]
            return [*codes, f"{out} = {root_expression(node.op, chains, names)}"], [out]
        codes = [call.into(names[p]) for p, call in calls[:-1]]
        buffer, last = names[target], calls[-1][1]
        named = node.outputs[0].name and node.outputs[0].name.isidentifier()
        if buffer in self.temporaries and not named:
            return [*codes, last.into(buffer)], [buffer]
        out = self.new_name(node.outputs[0])
        return [*codes, last.assigned(out, buffer)], [out]


@functools.lru_cache(maxsize=4096)
def identifier(text: str) -> str:
    """``text`` as a Python identifier: other characters become ``_``, a digit first gets
    ``v_`` in front, nothing at all is ``t``."""
    text = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in text) or "t"
    return text if text[0].isalpha() or text[0] == "_" else f"v_{text}"


def node_comment(node: Apply) -> str:
    return f"{node.op}  {short_where(node.where)}"


def literal_inputs(node: Apply) -> dict[int, str]:
    """Literal texts for the scalar constants of an Elemwise node, when they keep its dtype.

    NumPy treats a Python number as "weak" (``float32_array * 0.5`` stays
    float32), so a literal is used only where the result dtype equals the
    declared one; a node of literals only is left alone (it would compute a
    Python number, not an array). An op with ``literal_scalars`` (a draw, which
    fixes its result's dtype itself) takes every scalar constant as a literal.
    """
    if getattr(node.op, "literal_scalars", False):
        return {i: t for i, v in enumerate(node.inputs) if (t := literal_text(v)) is not None}
    if not isinstance(node.op, Elemwise):
        return {}
    texts = {}
    for i, v in enumerate(node.inputs):
        text = literal_text(v)
        if text is not None:
            texts[i] = text
    if not texts or len(texts) == len(node.inputs):
        return {}
    numbers = {i: np.asarray(node.inputs[i].value).item() for i in texts}
    return texts if node.op.keeps_dtype_with_numbers(node.inputs, numbers) else {}


def literal_text(var: Variable) -> str | None:
    """Python source for a finite real 0-d constant that reads back exactly, else None."""
    if not isinstance(var, Constant) or not isinstance(var.type, TensorType):
        return None
    value = np.asarray(var.value)
    if value.ndim != 0 or value.dtype.kind not in "biuf" or not np.isfinite(value):
        return None
    # str() of a NumPy scalar is the shortest text that reads back as the same value
    text = str(value[()]) if value.dtype.kind == "f" else repr(value.item())
    if value.dtype.kind == "f" and value.dtype.type(float(text)) != value:
        return None
    return f"({text})" if text.startswith("-") else text


def render(lines: Sequence[Line], indent: str = "") -> list[str]:
    """Source lines, comments aligned at ``COMMENT_COLUMN`` when the code leaves room."""
    texts = []
    for line in lines:
        code = indent + line.code
        if line.comment:
            code = (
                f"{code:<{COMMENT_COLUMN}}# {line.comment}"
                if len(code) < COMMENT_COLUMN
                else (f"{code}  # {line.comment}")
            )
        texts.append(code)
    return texts


def check_output(checks: list[tuple[Apply, int]], value: Any, index: int) -> None:
    """DEBUG_MODE: ``value`` must have the dtype, ndim and static shape its node declared."""
    node, position = checks[index]
    declared = node.outputs[position].type
    if not isinstance(declared, TensorType):
        return
    array = isinstance(value, (np.ndarray, np.generic)) or is_dask_array(value)
    ok = (
        array
        and str(value.dtype) == declared.dtype
        and value.ndim == declared.ndim
        # a dask array's length is NaN where a boolean mask decides it
        and all(s is None or s == g or g != g for s, g in zip(declared.shape, value.shape))
    )
    if not ok:
        got = f"{value.dtype} array of shape {value.shape}" if array else type(value).__name__
        raise TypeError(
            f"DEBUG_MODE: {node.op} (built at {node.where}) returned a {got}, but its declared "
            f"type is {declared}"
        )


def inline(
    graph: Graph,
    input_names: Sequence[str],
    prefix: str,
    *,
    owned: Sequence[int] = (),
    output_names: Sequence[str] = (),
    into: Mapping[int, str] | None = None,
) -> tuple[list[str], list[str]]:
    """Body lines computing ``graph``'s outputs, for an op that holds an inner graph.

    Call it from an op's ``emit`` while a function is being generated: the
    lines use the same per-node emission as the enclosing function (literal
    constants, comments with ``file:line``, DEBUG_MODE checks), and every
    temporary they create starts with ``prefix``, so several inlined bodies
    do not collide. Constants and shared storage cells are bound in the
    enclosing module; shared variables are read at the start of the lines.
    No in-place work is planned inside: an inner body may run many times.

    Parameters
    ----------
    graph : Graph
        The inner graph; ``graph.inputs`` are bound to ``input_names``.
    input_names : sequence of str
        Names (or expressions) holding the inner inputs' values.
    prefix : str
        Prefix for every name the lines create, e.g. ``"then_"``.
    owned : sequence of int
        Positions of inputs whose values the lines may overwrite (a loop's
        generator state, which a draw advances in place); others are copied
        before a node overwrites them.
    output_names : sequence of str, optional
        Names for the outputs that nodes compute, used instead of temporaries
        (an output that is an input or a constant keeps its own name).
    into : mapping of int to str, optional
        Output position -> an array expression the output is stored in (a
        loop's history row ``h[t + 1]``): the node computing it writes there
        when it can (``code_into``; not a 0-d value, as ``h[t]`` is then a
        NumPy scalar), else the value is copied in at the end.

    Returns
    -------
    lines : list of str
        Unindented statements (indent them to place them in a block).
    output_names : list of str
        The names (or literal texts) holding ``graph.outputs`` after the lines.

    Examples
    --------
    Inside ``IfElse.emit(outs, names)``::

        then_lines, then_outs = inline(self.then_graph, names[1:], "then_")
        return [f"if {names[0]}:"] + ["    " + s for s in then_lines] + ...
    """
    ns = _generating.get()
    if ns is None:
        raise RuntimeError("inline() works only inside an op's emit() during code generation")
    if len(input_names) != len(graph.inputs):
        raise ValueError(f"inline: {len(graph.inputs)} inputs, {len(input_names)} names")
    inputs = list(graph.inputs)
    plan = plan_memory(
        graph.apply_nodes,
        inputs + list(graph.roots),
        graph.outputs,
        [True] * len(graph.outputs),
        (),
        inplace=False,
        owned=[inputs[i] for i in owned],
    )
    preset = {}
    for var, name in zip(graph.outputs, output_names):
        if var.owner is not None:
            preset.setdefault(var, name)
    body = _Body(ns, prefix, plan, dict(zip(inputs, input_names)), preset)
    body.read_shared([v for v in graph.roots if isinstance(v, SharedVariable)])
    into = dict(into or {})
    for i, buffer in into.items():
        var = graph.outputs[i]
        computed = var.owner is not None and computes_into(var.owner)
        if computed and getattr(var.type, "ndim", 0) and var not in body.slots:
            body.slots[var] = buffer
    for node in graph.apply_nodes:
        body.emit(node)
    outs = [body.name_of(v) for v in graph.outputs]
    for i, buffer in into.items():
        if body.slots.get(graph.outputs[i]) != buffer:
            body.line(f"{buffer} = {outs[i]}", LineInfo("setup"))
    texts = render(body.lines)
    for text, line in zip(texts, body.lines):
        ns.inner_lines[text.strip()] = line
    return texts, outs


def generate(
    name: str,
    inputs: Sequence[Variable],
    keywords: Sequence[str | None],
    outputs: Sequence[Variable],
    single: bool,
    updates: Sequence[tuple[SharedVariable, Variable]],
    plan: Plan,
    allow_downcast: bool,
    check_types: bool = False,
    profile: Profile | None = None,
    backend: Backend = NUMPY,
) -> Generated:
    """Generate, compile and register (with ``linecache``) the function running ``plan``.

    The function takes the inputs positionally, checks each with a short
    fast path, reads the shared variables, runs the nodes, computes the
    results when the backend says so, copies what the plan says, writes the
    in-place updates, stores every update, and returns the outputs (one
    array when ``single``, else a list). The backend first checks it can run
    every node.
    """
    shared = _shared_read(plan.schedule, [*outputs, *(v for _, v in updates)])
    backend.check(plan.schedule, inputs, {var: var.storage.value for var in shared})
    ns = Namespace(check_types, backend)
    token = _generating.set(ns)
    try:
        fname = ns.fresh(name)
        params = [ns.fresh(k if k and k.isidentifier() else "arg") for k in keywords]
        body = _Body(ns, "", plan, dict(zip(inputs, params)))
        for var, param, keyword_name in zip(inputs, params, keywords):
            what = f"input {keyword_name or param!r} of {fname}()"
            body.line(_input_check(ns, var, param, allow_downcast, what), LineInfo("input"))
        body.read_shared(shared)
        workspace = body.open_workspace([*inputs, *shared])
        if profile is not None:
            start = ns.bind("_start", profile.start)
            body.line(f"_clock = {start}()", LineInfo("setup"))
            ns.values["_tick"] = profile.tick
            ns.taken.update(("_tick", "_clock"))
            profile.nodes = body.profile_ticks = []
        early: list[Apply] = []  # consecutive early updates, written as one block
        for node in plan.schedule:
            if node in plan.early_updates:
                early.append(node)
                continue
            if early:
                body.emit_early_updates(early)
                early = []
            if node not in plan.shared_inplace:
                body.emit(node)
                body.check_late_shapes(node)
        if backend.compute is not None:
            body.collect(backend.compute, [*outputs, *(v for _, v in updates)])
        results = [_result(body, v, i in plan.copy_outputs) for i, v in enumerate(outputs)]
        stored = [
            _result(body, v, i in plan.copy_updates) if v.owner not in plan.shared_inplace else None
            for i, (_, v) in enumerate(updates)
        ]
        if early:  # those after every node, once the outputs are copied
            body.emit_early_updates(early)
        updated = {value.owner: var for var, value in updates}
        in_place = list(plan.shared_inplace)
        body.emit_shared_updates(in_place, [ns.storage(updated[node]) for node in in_place])
        for (var, _), text in zip(updates, stored):
            if text is not None:  # an update written in place is in its storage already
                body.line(f"{ns.storage(var)}.value = {text}", LineInfo("setup"))
        for var, restore in plan.snapshots.items():
            if restore:  # no update keeps what the call's draws did to it
                body.line(var.type.restore_code(body.names[var], ns.saves[var]), LineInfo("setup"))
        body.close_workspace()
        returned = results[0] if single else f"[{', '.join(results)}]"
        body.line(f"return {returned}", LineInfo("setup"))
    finally:
        _generating.reset(token)
    if profile is not None:
        profile.times = [0.0] * len(profile.nodes)
    header = [f"def {fname}({', '.join(params)}):"]
    if ns.described:
        header.append("    # constants, bound once:")
        header += [f"    #   {n} = {d}" for n, d in ns.described.items()]
    texts = header + render(body.lines, "    ")
    source = "\n".join(texts) + "\n"
    filename = f"<symgraph {fname}#{next(_counter)}>"
    exec(compile(source, filename, "exec"), ns.values)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    table = {len(header) + 1 + i: line.info for i, line in enumerate(body.lines)}
    return Generated(ns.values[fname], source, filename, table, ns.saves, workspace)


def unaliased(result: Any, *inputs: Any) -> Any:
    """``result`` (or each of a tuple), copied where it shares memory with an input."""
    if isinstance(result, tuple):
        return tuple(unaliased(r, *inputs) for r in result)
    if isinstance(result, np.ndarray) and any(
        isinstance(x, np.ndarray) and np.may_share_memory(result, x) for x in inputs
    ):
        return result.copy()
    return result


def _tuple(items: Sequence[str]) -> str:
    """Python's text of a tuple of ``items``: ``()``, ``(a,)``, ``(a, b)``."""
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _input_check(ns: Namespace, var: Variable, name: str, allow_downcast: bool, what: str) -> str:
    """``if x.__class__ is not ndarray or ...: x = filter_x(x)``: a fast path for good input.

    The class is the backend's array type; its ``accept`` may widen the slow path.
    """
    convert = input_converter(var.type, what, allow_downcast)
    if ns.backend.accept is not None:
        convert = ns.backend.accept(convert, var.type, what, allow_downcast)
    convert = ns.bind(f"filter_{name}", convert)
    t = var.type
    if not isinstance(t, TensorType):
        return f"{name} = {convert}({name})"
    dtype = ns.bind(t.dtype, np.dtype(t.dtype), ("dtype", t.dtype))
    conditions = [
        f"{name}.__class__ is not {ns.backend.array_type}",
        f"{name}.dtype is not {dtype}",
        f"{name}.ndim != {t.ndim}",
    ] + [f"{name}.shape[{i}] != {s}" for i, s in enumerate(t.shape) if s is not None]
    return f"if {' or '.join(conditions)}: {name} = {convert}({name})"


def input_converter(type_: Any, what: str, allow_downcast: bool) -> Callable[[Any], Any]:
    """The slow path of an input check: ``type_.filter``, quick for Python numbers.

    ``f(2.0, 3.0)`` is the commonest call of a scalar function, and ``filter``
    accepts a Python float for any float dtype, so those skip the general checks.
    """
    if not isinstance(type_, TensorType):
        return partial(filter_value, type_, what=what, allow_downcast=allow_downcast)
    dtype = np.dtype(type_.dtype)
    quick = type_.ndim == 0 and dtype.kind in "fc"

    def convert(value: Any) -> Any:
        if quick and value.__class__ is float:
            return np.asarray(value, dtype)
        return type_.filter(value, allow_downcast, what)

    return convert


def _shared_read(schedule: Sequence[Apply], results: Sequence[Variable]) -> list[SharedVariable]:
    """The shared variables whose values the call reads (nodes, results), in order of use."""
    seen: dict[SharedVariable, None] = {}
    for var in [v for node in schedule for v in node.inputs] + list(results):
        if isinstance(var, SharedVariable):
            seen.setdefault(var)
    return list(seen)


def _result(body: _Body, var: Variable, copied: bool) -> str:
    """The text returned or stored for ``var``: a copy when planned, a 0-d array for scalars."""
    text = body.name_of(var)
    scalar = isinstance(var.type, TensorType) and var.type.ndim == 0
    if copied:
        name = body.ns.fresh("t")
        if not isinstance(var.type, TensorType):
            expression = var.type.copy_code(text)
        else:
            expression = f"np.array({text})" if scalar else f"{text}.copy()"
        body.line(f"{name} = {expression}", LineInfo("setup"))
        return name
    return f"asarray({text})" if scalar else text
