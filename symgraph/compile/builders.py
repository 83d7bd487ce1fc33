"""``OpFromGraph``: a graph packaged as an op, applied like any other and differentiable.

The op holds the graph as an inner ``Graph`` over placeholders: one per input,
then one per shared variable the graph reads (those become extra node inputs,
so gradients reach them). Generated code inlines the optimized inner graph at
each application, under the name of the node's output. ``inline=True`` goes
further: the rewrites replace the node by its graph before optimizing (the
``expand`` fact), so they see through it. As in Theano, the gradient is an
OpFromGraph too, of the inputs, outputs and output gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from symgraph.compile.codegen import inline
from symgraph.compile.shared import SharedVariable
from symgraph.config import config
from symgraph.gof.op import Op, fits
from symgraph.gradient import Rop, grad
from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.fgraph import Graph
from symgraph.graph.traversal import ancestors, rebuild
from symgraph.tensor.elemwise import cast
from symgraph.tensor.evaluate import evaluate_all
from symgraph.tensor.shape import shape, zeros_like
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import as_tensor_variable

__all__ = ["OpFromGraph"]

#: what a gradient or R_op override may be (Theano's forms)
Override = Any


class OpFromGraph(Op):
    """An op computing ``outputs`` from ``inputs``, as Theano's ``theano.OpFromGraph``.

    Parameters
    ----------
    inputs, outputs : list of Variable
        The graph to package. Shared variables it reads are handled implicitly.
    inline : bool
        Replace each application by the graph itself before the rewrites run
        (better optimized code); otherwise the node stays, and its graph is
        optimized on its own.
    grad_overrides : 'default', callable, OpFromGraph, or a list of them
        ``callable(inputs, output_grads) -> gradients``; an OpFromGraph takes
        ``*inputs, *output_grads``; a list gives one entry per input, each
        'default', a callable or op returning one gradient, or a variable of
        ``NullType``/``DisconnectedType``.
    lop_overrides : 'default' or callable
        ``callable(inputs, outputs, output_grads) -> gradients`` (exclusive with
        ``grad_overrides``).
    rop_overrides : 'default', callable, or a list of them
        ``callable(inputs, eval_points) -> tangents``; a list gives one entry
        per output.
    name : str, optional

    Examples
    --------
    >>> import symgraph as theano
    >>> import symgraph.tensor as T
    >>> x, y, z = T.dscalars("x", "y", "z")
    >>> op = theano.OpFromGraph([x, y, z], [x + y * z])
    >>> f = theano.function([x, y, z], op(x, y, z) + op(z, y, x))
    >>> float(f(1.0, 2.0, 3.0))
    11.0
    """

    def __init__(
        self,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        inline: bool = False,
        lop_overrides: Override = "default",
        grad_overrides: Override = "default",
        rop_overrides: Override = "default",
        connection_pattern: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(outputs, (list, tuple)):
            raise TypeError(f"OpFromGraph: outputs must be a list, got {type(outputs).__name__}")
        for v in [*inputs, *outputs]:
            if not isinstance(v, Variable):
                raise TypeError(f"OpFromGraph: inputs and outputs must be variables, got {v!r}")
        if "updates" in kwargs or "givens" in kwargs:
            raise TypeError("OpFromGraph: updates and givens are not allowed")
        if lop_overrides != "default" and grad_overrides != "default":
            raise ValueError("OpFromGraph: lop_overrides and grad_overrides are mutually exclusive")
        placeholders = [v.type(v.name) for v in inputs]
        inner = rebuild(list(outputs), dict(zip(inputs, placeholders)))
        self.shared_inputs = tuple(
            v for v in ancestors(inner, placeholders) if isinstance(v, SharedVariable)
        )
        shared_placeholders = [v.type(v.name) for v in self.shared_inputs]
        inner = rebuild(inner, dict(zip(self.shared_inputs, shared_placeholders)))
        known = {*placeholders, *shared_placeholders}
        for v in ancestors(inner, known):
            if v.owner is None and v not in known and not isinstance(v, Constant):
                raise TypeError(
                    f"OpFromGraph: the outputs depend on {v!r} (created at {v.where}), which is "
                    f"not among the inputs"
                )
        self.inner = Graph([*placeholders, *shared_placeholders], inner)
        self.is_inline = inline
        self.grad_overrides = grad_overrides
        self.lop_overrides = lop_overrides
        self.rop_overrides = rop_overrides
        self.connection_pattern = connection_pattern
        self.name = name
        self._compiled: dict[str, tuple[Graph, dict]] = {}
        self._gradient: tuple[OpFromGraph | None, list[bool]] | None = None

    # -- build ---------------------------------------------------------------------------------
    def make_node(self, *inputs: Any) -> Apply:
        n = len(self.inner.inputs) - len(self.shared_inputs)
        if len(inputs) != n:
            raise TypeError(f"{self} takes {n} inputs, got {len(inputs)}")
        inputs = [
            as_tensor_variable(x) if isinstance(p.type, TensorType) else x
            for x, p in zip(inputs, self.inner.inputs)
        ]
        for position, (x, p) in enumerate(zip(inputs, self.inner.inputs)):
            if not fits(x.type, p.type):
                raise TypeError(
                    f"{self}: input {position} ({x!r}) has type {x.type}, expected {p.type}"
                )
        return Apply(self, [*inputs, *self.shared_inputs], [o.type for o in self.inner.outputs])

    def expand(self, inputs: Sequence[Variable]) -> list[Variable] | None:
        """The graph itself on ``inputs``, for ``inline=True`` (the rewrites inline it)."""
        if not self.is_inline:
            return None
        return rebuild(list(self.inner.outputs), dict(zip(self.inner.inputs, inputs)))

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple]) -> list[tuple]:
        """The shapes of the inner outputs, computed from the node's inputs."""
        entries = [shape(o)[i] for o in self.inner.outputs for i in range(o.type.ndim)]
        entries = rebuild(entries, dict(zip(self.inner.inputs, node.inputs)))
        result, start = [], 0
        for o in self.inner.outputs:
            result.append(tuple(entries[start : start + o.type.ndim]))
            start += o.type.ndim
        return result

    # -- evaluate and generate -----------------------------------------------------------------
    def impl(self, *values: Any) -> Any:
        results = evaluate_all(self.inner.outputs, dict(zip(self.inner.inputs, values)))
        return results[0] if len(results) == 1 else tuple(results)

    def compiled(self) -> tuple[Graph, dict[int, tuple[int, ...]]]:
        """The optimized inner graph and its view map (once per optimizer)."""
        key = config.optimizer
        if key not in self._compiled:
            from symgraph.rewrite.pipeline import optimize  # the optimizer compiles OpFromGraphs

            graph, _ = optimize(self.inner, key)
            self._compiled[key] = (graph, _views(graph))
        return self._compiled[key]

    @property
    def view_map(self) -> dict[int, tuple[int, ...]]:
        """An output may be an input, or a view of one, as the inner graph computes it."""
        return self.compiled()[1]

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        """The optimized inner graph's lines, inlined; constant results are copied."""
        graph, _ = self.compiled()
        lines, results = inline(graph, names, f"{outs[0]}_", output_names=outs)
        for out, result, var in zip(outs, results, graph.outputs):
            if isinstance(_view_root(var), Constant):
                lines.append(f"{out} = np.array({result})")
            elif result != out:
                lines.append(f"{out} = {result}")
        return lines

    # -- differentiate -------------------------------------------------------------------------
    def pullback(self, inputs, outputs, output_grads):
        if callable(self.lop_overrides):
            return list(self.lop_overrides(list(inputs), list(outputs), list(output_grads)))
        overrides = self.grad_overrides
        n = len(self.inner.inputs) - len(self.shared_inputs)
        given = list(inputs[:n])
        if overrides == "default":
            return self._default_pullback(inputs, outputs, output_grads)
        if not isinstance(overrides, (list, tuple)):
            return list(_call(overrides, given, output_grads)) + [None] * len(self.shared_inputs)
        if len(overrides) != n:
            raise ValueError(f"{self}: {len(overrides)} gradient overrides for {n} inputs")
        default = self._default_pullback(inputs, outputs, output_grads)
        return _entries(overrides, default, given, output_grads) + default[n:]

    def _default_pullback(self, inputs, outputs, output_grads) -> list[Variable | None]:
        """The gradient op applied to the node's inputs, outputs and output gradients."""
        op, connected = self.gradient_op()
        if op is None:
            return [None] * len(inputs)
        grads = [
            g if fits(g.type, o.type) else cast(g, o.dtype) for g, o in zip(output_grads, outputs)
        ]
        results = iter(op(*inputs, *outputs, *grads, return_list=True))
        return [next(results) if c else None for c in connected]

    def gradient_op(self) -> tuple[OpFromGraph | None, list[bool]]:
        """The gradients of the inputs as an OpFromGraph of (inputs, outputs, output gradients),
        as in Theano; and which inputs receive one. Built once."""
        if self._gradient is None:
            inner = self.inner
            ins = [v.type(v.name) for v in inner.inputs]
            outs = [v.type(v.name) for v in inner.outputs]
            output_grads = [v.type(f"d_{v.name}" if v.name else None) for v in inner.outputs]
            seeds = {o: g for o, g in zip(inner.outputs, output_grads) if _differentiable(o)}
            grads = [None] * len(ins)
            if seeds:
                grads = grad(
                    None,
                    list(inner.inputs),
                    known_grads=seeds,
                    disconnected_inputs="ignore",
                    return_disconnected="None",
                )
            found = [g for g in grads if g is not None]
            mapping = dict(zip(inner.outputs, outs)) | dict(zip(inner.inputs, ins))
            op = None
            if found:
                name = f"{self.name or 'OpFromGraph'}.grad"
                op = OpFromGraph(
                    [*ins, *outs, *output_grads], rebuild(found, mapping), self.is_inline, name=name
                )
            self._gradient = (op, [g is not None for g in grads])
        return self._gradient

    @property
    def pushforward(self) -> Callable | None:
        """``rop_overrides`` when given; otherwise ``Rop`` builds tangents from two pullbacks."""
        if self.rop_overrides == "default":
            return None
        return self._overridden_rop

    def _overridden_rop(self, inputs, outputs, tangents):
        n = len(self.inner.inputs) - len(self.shared_inputs)
        given, points = list(inputs[:n]), list(tangents[:n])
        overrides = self.rop_overrides
        if not isinstance(overrides, (list, tuple)):
            return list(_call(overrides, given, points))
        if len(overrides) != len(outputs):
            raise ValueError(f"{self}: {len(overrides)} R_op overrides for {len(outputs)} outputs")
        default = None
        if any(o == "default" for o in overrides):
            filled = [zeros_like(x) if t is None else t for x, t in zip(inputs, tangents)]
            expanded = rebuild(list(self.inner.outputs), dict(zip(self.inner.inputs, inputs)))
            default = Rop(expanded, list(inputs), filled, disconnected_outputs="ignore")
        return _entries(overrides, default, given, points)

    # -- identity ------------------------------------------------------------------------------
    def __str__(self) -> str:
        return f"{self.name or 'OpFromGraph'}{{inline={self.is_inline}}}"

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_compiled"], state["_gradient"] = {}, None  # rebuilt on demand
        return state


def _call(override: Any, inputs: list, grads: Sequence[Any]) -> Any:
    """An override's result: an OpFromGraph takes ``*inputs, *grads``, a callable two lists."""
    if isinstance(override, OpFromGraph):
        return override(*inputs, *grads, return_list=True)
    return override(inputs, list(grads))


def _entries(overrides: Sequence[Any], default: Any, inputs: list, grads: Sequence[Any]) -> list:
    """One result per entry of a list of overrides: the default's for 'default', a variable
    as it is, else what the callable or op returns."""
    return [
        default[k] if o == "default" else o if isinstance(o, Variable) else _call(o, inputs, grads)
        for k, o in enumerate(overrides)
    ]


def _differentiable(v: Variable) -> bool:
    return str(getattr(v.type, "dtype", ""))[:1] in ("f", "c")


def _views(graph: Graph) -> dict[int, tuple[int, ...]]:
    """For each output, the inputs whose memory it may share through the inner nodes' views."""
    shares: dict[Variable, set[int]] = {v: {i} for i, v in enumerate(graph.inputs)}
    for node in graph.apply_nodes:
        for k, out in enumerate(node.outputs):
            views = node.op.view_map.get(k, ())
            shares[out] = set().union(*(shares.get(node.inputs[i], set()) for i in views))
    result = {k: tuple(sorted(shares.get(o, set()))) for k, o in enumerate(graph.outputs)}
    return {k: v for k, v in result.items() if v}


def _view_root(var: Variable) -> Variable:
    """The variable ``var`` is, or is a view of, following first-input views up the graph."""
    while var.owner is not None:
        views = var.owner.op.view_map.get(var.index, ())
        if not views:
            return var
        var = var.owner.inputs[views[0]]
    return var
