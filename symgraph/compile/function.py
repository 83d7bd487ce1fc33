"""``function()``: check the arguments, build the Graph, rewrite it, plan memory, generate code.

    inputs/outputs/updates/givens -> Graph -> rewrite.pipeline.optimize -> memory plan -> codegen

A ``Function`` call is a short fast path into the generated code: keyword
arguments and defaults are bound only when given, the inputs are checked by
the generated code itself, and errors are explained only when they happen.
"""

from __future__ import annotations

import functools
import linecache
import time
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from symgraph.backends import get_backend, is_dask_array
from symgraph.compile.codegen import Generated, LineInfo, generate, short_where
from symgraph.compile.io import In, Out, as_in, as_out
from symgraph.compile.memory import eager_order, plan_memory
from symgraph.compile.mode import Mode, get_mode
from symgraph.compile.profile import Profile
from symgraph.compile.shared import SharedVariable, default_updates
from symgraph.config import config
from symgraph.gradient import gradient_wrt
from symgraph.graph.basic import Constant, Variable
from symgraph.graph.fgraph import Graph
from symgraph.graph.traversal import ancestors, rebuild
from symgraph.tensor.evaluate import MissingInputError
from symgraph.tensor.shape import shape
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import as_tensor_variable


class UnusedInputError(TypeError):
    """An input of ``function`` that no output or update depends on."""


def function(
    inputs: Sequence[Any],
    outputs: Any = None,
    updates: Any = None,
    givens: Any = None,
    mode: str | Mode | None = None,
    name: str | None = None,
    on_unused_input: str = "raise",
    allow_input_downcast: bool | None = None,
    profile: bool = False,
    no_default_updates: bool | Sequence[SharedVariable] = False,
) -> Function:
    """Compile a graph into a callable ``Function``, as Theano's ``theano.function``.

    Parameters
    ----------
    inputs : list of Variable or In
        The arguments of the function, in call order.
    outputs : Variable, Out, list of them, or None
        A single output makes the call return one array; a list returns a
        list; None returns ``[]``.
    updates : dict or list of (SharedVariable, expression) pairs
        New values of shared variables. All are computed from the values
        before the call, then written together after the outputs.
    givens : dict or list of (Variable, Variable) pairs
        Substitutions made in the outputs and updates before compiling.
    mode : str or Mode, optional
        'FAST_RUN', 'FAST_COMPILE', 'DEBUG_MODE', 'DASK' (code over dask
        arrays, see docs/distributed.md) or a ``Mode``; by default the
        optimizer is ``config.optimizer``.
    name : str, optional
        Name of the generated Python function (shown in tracebacks).
    on_unused_input : {'raise', 'warn', 'ignore'}
        What to do about an input no output or update depends on.
    allow_input_downcast : bool, optional
        Accept input values whose conversion to the input's dtype loses
        precision (e.g. float64 data for a float32 input).
    profile : bool
        Time every node; read the table with ``print(f.profile)``.
    no_default_updates : bool or list of SharedVariable
        Leave out the default updates (``SharedVariable.default_update``) of
        every shared variable (True) or of those listed. A random stream's
        generators advance through default updates, so this freezes them.

    Returns
    -------
    Function

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> x, y = T.dscalars("x", "y")
    >>> f = function([x, In(y, value=1.0)], x + y)
    >>> f(2.0), f(2.0, y=3.0)
    (array(3.), array(5.))
    """
    start = time.perf_counter()
    mode = get_mode(mode)
    ins = _inputs(inputs)
    outs, single = _outputs(outputs)
    update_pairs = _updates(updates)
    replace = _givens(givens, ins)
    targets = [o.variable for o in outs] + [u for _, u in update_pairs]
    if replace:
        targets = rebuild(targets, replace)
    updated = [s for s, _ in update_pairs]
    defaults = _updates(default_updates(targets, updated, no_default_updates, replace))
    update_pairs += defaults
    targets += [u for _, u in defaults]
    _check_roots(ins, targets, on_unused_input)
    graph = Graph([i.variable for i in ins], targets)
    from symgraph.rewrite.pipeline import optimize

    if mode.debug:
        optimized, firings = optimize(graph, mode.optimizer_name, check=True)
    else:
        optimized, firings = optimize(graph, mode.optimizer_name)
    _check_optimized(graph, optimized)
    compiled = Function(
        ins,
        outs,
        single,
        [s for s, _ in update_pairs],
        optimized,
        firings,
        mode,
        name or "fn",
        bool(allow_input_downcast),
        Profile(name or "fn") if profile else None,
        time.perf_counter() - start,
    )
    if mode.debug:
        updated = [s for s, _ in update_pairs]
        compiled._wrap = _gradient_shape_check(ins, outs, replace, updated, mode.backend)
        compiled._fn = compiled._wrap(compiled._fn)
    return compiled


class Function:
    """A compiled function: call it with the inputs' values, positionally or by keyword.

    Attributes
    ----------
    inputs : list of In
    outputs : list of Out
    updates : list of (SharedVariable, Variable)
        Each shared variable and its update expression in the optimized graph.
    graph : Graph
        The optimized graph; its outputs are the outputs, then the update values.
    source : str
        The generated Python source.
    rewrites : list
        The rewrite firings of the optimizer, in order.
    profile : Profile or None
        Per-node times when compiled with ``profile=True``.
    compile_time : float
        Seconds ``function()`` took.
    """

    __slots__ = (
        "inputs",
        "outputs",
        "updates",
        "graph",
        "rewrites",
        "mode",
        "name",
        "profile",
        "compile_time",
        "_single",
        "_allow_downcast",
        "_generated",
        "_fn",
        "_wrap",
        "_nargs",
        "_positions",
        "__weakref__",
    )

    def __init__(
        self,
        inputs: list[In],
        outputs: list[Out],
        single: bool,
        shared: list[SharedVariable],
        graph: Graph,
        rewrites: list,
        mode: Mode,
        name: str,
        allow_downcast: bool,
        profile: Profile | None,
        build_time: float,
    ) -> None:
        start = time.perf_counter()
        self.inputs = inputs
        self.outputs = outputs
        n_out = len(outputs)
        self.updates = list(zip(shared, graph.outputs[n_out:]))
        self.graph = graph
        self.rewrites = rewrites
        self.mode = mode
        self.name = name
        self.profile = profile
        self._single = single
        self._allow_downcast = allow_downcast
        self._nargs = len(inputs)
        self._positions = _keyword_positions(inputs)
        self._generated = self._generate(inplace=self.mode.inplace)
        self._wrap = _unchanged
        self._fn = self._generated.fn
        self.compile_time = build_time + time.perf_counter() - start

    def copy(
        self,
        share_memory: bool = False,
        swap: Mapping[SharedVariable, SharedVariable] | None = None,
        delete_updates: bool = False,
        name: str | None = None,
        profile: bool | None = None,
    ) -> Function:
        """A new function computing the same graph, as Theano's ``Function.copy``.

        ``swap`` maps shared variables to others of the same type, which the copy
        reads and updates instead; ``delete_updates`` drops the updates.
        ``share_memory`` is accepted for Theano programs: the copy shares the
        shared variables unless swapped, and keeps its own workspace.
        """
        swap = dict(swap or {})
        for old, new in swap.items():
            if not isinstance(new, SharedVariable) or not _fits(new.type, old.type):
                raise TypeError(f"copy(swap=...): {new!r} cannot stand for {old!r} ({old.type})")
        updates = [] if delete_updates else self.updates
        n_out = len(self.outputs)
        targets = [*self.graph.outputs[:n_out], *(value for _, value in updates)]
        graph = Graph(self.graph.inputs, rebuild(targets, swap) if swap else targets)
        name = name or self.name
        return Function(
            self.inputs,
            self.outputs,
            self._single,
            [swap.get(var, var) for var, _ in updates],
            graph,
            self.rewrites,
            self.mode,
            name,
            self._allow_downcast,
            Profile(name) if profile else None,
            0.0,
        )

    def _generate(self, inplace: bool) -> Generated:
        graph, n_out = self.graph, len(self.outputs)
        outputs = list(graph.outputs[:n_out])
        roots = list(graph.inputs) + list(graph.roots)
        borrowed = [o.borrow for o in self.outputs]
        backend = get_backend(self.mode.backend)
        inplace = inplace and backend.inplace
        restorable = [v for v in graph.roots if hasattr(v.type, "save_code")]
        plan = plan_memory(
            eager_order(graph.apply_nodes),
            roots,
            outputs,
            borrowed,
            self.updates,
            inplace,
            restorable,
            workspace=not config.allow_gc,
            checked=self.mode.debug,
        )
        generated = generate(
            self.name,
            list(graph.inputs),
            [i.name for i in self.inputs],
            outputs,
            self._single,
            self.updates,
            plan,
            self._allow_downcast,
            check_types=self.mode.debug,
            profile=self.profile,
            backend=backend,
        )
        weakref.finalize(self, linecache.cache.pop, generated.filename, None)
        return generated

    @property
    def source(self) -> str:
        return self._generated.source

    def free(self) -> None:
        """Let go of the workspace, the intermediate arrays kept from the last call (Theano's
        ``Function.free``); the next call allocates them again."""
        if self._generated.workspace is not None:
            self._generated.workspace.clear()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != self._nargs:
            args = self._bind(args, kwargs)
        try:
            return self._fn(*args)
        except Exception as err:
            return self._failed(err, args)

    def _bind(self, args: tuple, kwargs: dict) -> list:
        """The positional values for a call with keywords, defaults, or a wrong count."""
        if len(args) > self._nargs:
            raise TypeError(
                f"{self.name}() takes {self._nargs} inputs ({self._names()}) "
                f"but {len(args)} were given"
            )
        values: list[Any] = [*args, *[_MISSING] * (self._nargs - len(args))]
        for key, value in kwargs.items():
            position = self._positions.get(key)
            if position is None:
                raise TypeError(
                    f"{self.name}() got an unexpected keyword {key!r}; inputs: {self._names()}"
                )
            if position == _AMBIGUOUS:
                raise TypeError(
                    f"{self.name}(): several inputs are named {key!r}; pass it by position"
                )
            if values[position] is not _MISSING:
                raise TypeError(f"{self.name}() got two values for input {key!r}")
            values[position] = value
        for position, value in enumerate(values):
            if value is _MISSING:
                spec = self.inputs[position]
                if spec.required:
                    label = spec.name or f"at position {position}"
                    raise TypeError(
                        f"{self.name}() is missing input {label!r} (inputs: {self._names()})"
                    )
                values[position] = spec.value
        return values

    def _names(self) -> str:
        return ", ".join(i.name or f"<input {k}>" for k, i in enumerate(self.inputs))

    def _failed(self, err: Exception, args: Sequence[Any]) -> Any:
        """Re-raise ``err`` naming the node that failed, or rerun without in-place work."""
        _restore_saved(err, self._generated)
        found = _failing_line(err, self._generated)
        if found is None:
            raise err
        info, frame, lineno = found
        if info.inplace and isinstance(err, ValueError) and "non-broadcastable output" in str(err):
            # a size-1 dimension broadcast at run time, so the planned buffer is too small;
            # NumPy refused before writing anything, so the call can run again safely
            self._generated = self._generate(inplace=False)
            self._fn = self._wrap(self._generated.fn)
            return self(*args)
        if info.kind != "node":
            raise err
        line = linecache.getline(self._generated.filename, lineno)
        raise _explained(err, info, frame, line) from None

    def __reduce__(self) -> tuple:
        """Pickled as its optimized graph and settings; loading generates its code again."""
        from symgraph.compile.pickling import function_state, restore_function

        return restore_function, (function_state(self),)

    def __repr__(self) -> str:
        names = ", ".join(i.name or "?" for i in self.inputs)
        return f"<Function {self.name}({names}): {len(self.outputs)} outputs, {len(self.updates)} updates>"


_MISSING = object()
_AMBIGUOUS = -1


def _keyword_positions(inputs: Sequence[In]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for k, spec in enumerate(inputs):
        if spec.name is not None:
            positions[spec.name] = _AMBIGUOUS if spec.name in positions else k
    return positions


def _failing_line(err: Exception, generated: Generated) -> tuple[LineInfo, Any, int] | None:
    """The generated line that raised ``err``: its info, frame and number, if it did."""
    found = None
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == generated.filename:
            info = generated.lines.get(tb.tb_lineno)
            if info is not None:
                found = (info, tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _restore_saved(err: Exception, generated: Generated) -> None:
    """Undo what a call that raised did to shared values it changes in place (a draw advances
    its generator): each is reset to the state the call saved when it started."""
    if not generated.saves:
        return
    tb = err.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != generated.filename:
        tb = tb.tb_next
    if tb is None:
        return
    saved = tb.tb_frame.f_locals
    for var, name in generated.saves.items():
        if name in saved:  # saved before anything could change it
            var.type.restore(var.storage.value, saved[name])


def _where_text(where: str) -> str:
    """``logreg.py:24 (/home/me/logreg.py:24)``: short first, the full path when it adds to it."""
    short = short_where(where)
    return short if short == where else f"{short} ({where})"


def _explained(err: Exception, info: LineInfo, frame: Any, line: str) -> Exception:
    """``err`` again, with the op, its inputs' shapes and dtypes, and the user's line."""
    node = info.node
    described = []
    for text, var in zip(info.names, node.inputs):
        value = frame.f_locals.get(text, frame.f_globals.get(text, _MISSING))
        if value is _MISSING and isinstance(var, Constant):
            value = np.asarray(var.value)
        if isinstance(value, (np.ndarray, np.generic)) or is_dask_array(value):
            described.append(f"{text}: {value.dtype}, shape {value.shape}")
        else:
            described.append(f"{text}: {type(value).__name__}")
    message = (
        f"{node.op} failed at {_where_text(node.where)}: {err}\n"
        f"  input shapes and dtypes: {'; '.join(described)}\n"
        f"  generated line: {line.split('  #')[0].strip()}"
    )
    try:
        new = type(err)(message)
    except TypeError:  # an exception class that wants other arguments: keep it as it is
        return err
    return new.with_traceback(err.__traceback__)


def _inputs(inputs: Any) -> list[In]:
    if isinstance(inputs, (Variable, In)) or not isinstance(inputs, (list, tuple)):
        raise TypeError(f"function() takes a list of inputs, got {type(inputs).__name__}")
    ins = [as_in(i) for i in inputs]
    seen: set[Variable] = set()
    for spec in ins:
        if spec.variable in seen:
            raise TypeError(f"the input {spec.variable!r} is given twice to function()")
        seen.add(spec.variable)
    return ins


def _outputs(outputs: Any) -> tuple[list[Out], bool]:
    if outputs is None:
        return [], False
    if isinstance(outputs, (Variable, Out)):
        return [as_out(outputs)], True
    if not isinstance(outputs, (list, tuple)):
        raise TypeError(f"function() outputs must be variables, got {type(outputs).__name__}")
    return [as_out(o) for o in outputs], False


def _updates(updates: Any) -> list[tuple[SharedVariable, Variable]]:
    """Update pairs with checked types; the message offers the cast users usually need."""
    if updates is None:
        return []
    pairs = list(updates.items()) if isinstance(updates, Mapping) else list(updates)
    result: list[tuple[SharedVariable, Variable]] = []
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"updates must be (shared variable, expression) pairs, got {pair!r}")
        target, value = pair
        if not isinstance(target, SharedVariable):
            raise TypeError(f"the update target {target!r} is not a shared variable")
        if any(target is t for t, _ in result):
            raise TypeError(f"the shared variable {target!r} has two updates")
        if not isinstance(value, Variable):
            value = as_tensor_variable(value)
        if not _fits(value.type, target.type):
            cast = (
                f"({target!r}, T.cast(expression, {target.type.dtype!r}))"
                if isinstance(target.type, TensorType)
                and isinstance(value.type, TensorType)
                and value.type.ndim == target.type.ndim
                else "an expression of that type"
            )
            raise TypeError(
                f"the update of shared variable {target!r} has type {value.type}, but "
                f"{target!r} is {target.type} (update built at {value.where}); updates keep "
                f"the shared variable's type: cast the expression, e.g. updates=[{cast}]"
            )
        result.append((target, value))
    return result


def _fits(value: Any, target: Any) -> bool:
    """True when a value of type ``value`` may be stored in (or stand for) a ``target``."""
    if not (isinstance(value, TensorType) and isinstance(target, TensorType)):
        return value == target
    return (
        value.dtype == target.dtype
        and value.ndim == target.ndim
        and all(a is None or b is None or a == b for a, b in zip(value.shape, target.shape))
    )


def _givens(givens: Any, ins: Sequence[In]) -> dict[Variable, Variable]:
    if givens is None:
        return {}
    pairs = list(givens.items()) if isinstance(givens, Mapping) else list(givens)
    inputs = {i.variable for i in ins}
    result: dict[Variable, Variable] = OrderedDict()
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"givens must be (variable, replacement) pairs, got {pair!r}")
        old, new = pair
        if not isinstance(old, Variable) or isinstance(old, Constant):
            raise TypeError(f"givens can only replace variables, not {old!r}")
        if old in inputs:
            raise TypeError(f"{old!r} is both an input and replaced by givens")
        if not isinstance(new, Variable):
            new = as_tensor_variable(new)
        if not _fits(new.type, old.type):
            raise TypeError(
                f"givens: the replacement for {old!r} ({old.type}) has type {new.type}; "
                f"cast it to {old.type}"
            )
        result[old] = new
    return result


def _check_roots(ins: Sequence[In], targets: Sequence[Variable], on_unused: str) -> None:
    """Every root the targets need has a value; every input is needed (per ``on_unused``)."""
    if on_unused not in ("raise", "warn", "ignore"):
        raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore', not {on_unused!r}")
    inputs = [i.variable for i in ins]
    needed = ancestors(targets, stop=inputs)
    used = set(needed)
    for var in needed:
        if var.owner is None and var not in inputs:
            if not isinstance(var, (Constant, SharedVariable)):
                raise MissingInputError(
                    f"the graph needs a value for {var!r} (created at {var.where}), which is "
                    f"not among the inputs of function(); add it to the inputs or to givens"
                )
    unused = [v for v in inputs if v not in used]
    if unused and on_unused != "ignore":
        names = ", ".join(repr(v) for v in unused)
        message = (
            f"function() inputs {names} are not used to compute the outputs or updates; pass "
            f"on_unused_input='ignore' (or 'warn') if this is intended"
        )
        if on_unused == "raise":
            raise UnusedInputError(message)
        warnings.warn(message, stacklevel=3)


def _gradient_shape_check(
    ins: Sequence[In],
    outs: Sequence[Out],
    replace: Mapping[Variable, Variable],
    updated: Sequence[SharedVariable],
    backend: str,
) -> Any:
    """DEBUG_MODE: a wrapper of the generated function that checks after each call that
    every output ``grad`` returned has the shape of the variable it is the gradient of.

    The variables' shapes come from a FAST_COMPILE function of the same inputs (on the
    same backend, so dask inputs stay lazy), so no rewrite under test computes them; gradients of variables the inputs do not
    determine are not checked. A failing check restores the updated shared variables.
    """
    checks = [(i, w) for i, o in enumerate(outs) if (w := gradient_wrt(o.variable)) is not None]
    if not checks:
        return _unchanged
    inputs = [i.variable for i in ins]
    try:
        shapes_of = function(
            inputs,
            [shape(w) for _, w in checks],
            givens=list(replace.items()),
            mode=Mode(optimizer="fast_compile", backend=backend),
            on_unused_input="ignore",
        )
    except MissingInputError:
        return _unchanged

    def checked(fn: Any) -> Any:
        return functools.partial(_call_checked, fn, shapes_of, checks, len(outs), updated)

    return checked


def _unchanged(fn: Any) -> Any:
    return fn


def _call_checked(
    fn: Any, shapes_of: Any, checks: list, n_out: int, updated: list, *args: Any
) -> Any:
    """``fn(*args)``, undone and raising when a gradient's shape differs from its variable's."""
    expected = shapes_of(*args)
    saved = [(var.storage, var.get_value()) for var in updated]
    results = fn(*args)
    values = [results] if n_out == 1 and not isinstance(results, list) else results
    for (i, w), want in zip(checks, expected):
        got, want = np.shape(values[i]), tuple(int(n) for n in want)
        if got != want:
            for storage, value in saved:
                storage.value = value
            raise ValueError(
                f"DEBUG_MODE: the gradient with respect to {w!r} (created at {w.where}) "
                f"has shape {got}, but {w!r} has shape {want}"
            )
    return results


def _check_optimized(before: Graph, after: Graph) -> None:
    """The rewrites must keep the inputs and each output's type (the pipeline's contract)."""
    if tuple(after.inputs) != tuple(before.inputs) or len(after.outputs) != len(before.outputs):
        raise RuntimeError("the optimizer changed the inputs or the number of outputs")
    for old, new in zip(before.outputs, after.outputs):
        if not _fits(new.type, old.type):
            raise RuntimeError(
                f"the optimizer changed the type of {old!r}: {old.type} -> {new.type}"
            )
