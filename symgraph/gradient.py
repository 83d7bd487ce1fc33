"""Symbolic differentiation by graph construction: grad, Lop and Rop.

Every op states its derivative as a ``pullback`` that returns new graph
variables, so a gradient is an ordinary graph: it prints, rewrites, compiles
and can be differentiated again. ``grad`` walks the graph once in reverse
topological order and sums the contributions each variable receives.

Conventions, as in Theano:

* a pullback returns None for an input that receives no gradient (an integer
  index, a piecewise-constant op); such an input still counts as connected;
* only float and complex variables carry gradients; the gradient of a
  connected integer input is zero;
* an input the cost does not depend on at all (or only through
  ``disconnected_grad`` or the ``consider_constant`` argument) is
  *disconnected*: ``DisconnectedInputError`` unless told otherwise;
* a pullback that raises ``NotImplementedError`` (no derivative rule) makes
  ``grad`` raise ``NullTypeGradError`` naming the op and where it was built.
"""

from __future__ import annotations

import functools
import warnings
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

import symgraph.tensor as T
from symgraph.config import config
from symgraph.graph.basic import Apply, Constant, Type, Variable, building_at
from symgraph.graph.null_type import NullType, grad_not_implemented, grad_undefined
from symgraph.graph.traversal import graph_inputs, rebuild, toposort
from symgraph.lazy import lazy_names
from symgraph.tensor.elemwise import sum_to_shape
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp, as_tensor_variable

# Theano's names in this module for what later parts build on grad: the Jacobian and Hessian
# need scan, the numeric checks need grad itself; importing them here would be an import loop.
_LATER = {
    "jacobian": "symgraph.jacobian",
    "hessian": "symgraph.jacobian",
    "GradientError": "symgraph.gradient_check",
    "numeric_grad": "symgraph.gradient_check",
    "verify_grad": "symgraph.gradient_check",
}
__getattr__ = lazy_names(__name__, _LATER)


__all__ = [
    "DisconnectedInputError",
    "DisconnectedType",
    "GradScale",
    "Lop",
    "NullType",
    "NullTypeGradError",
    "Rop",
    "UndefinedGrad",
    "consider_constant",
    "disconnected_grad",
    "disconnected_type",
    "format_as",
    "grad",
    "grad_clip",
    "grad_not_implemented",
    "grad_scale",
    "grad_undefined",
    "subgraph_grad",
    "undefined_grad",
    "zero_grad",
    *_LATER,
]


class DisconnectedInputError(ValueError):
    """A gradient was asked with respect to a variable the cost does not depend on."""


class NullTypeGradError(TypeError):
    """A gradient passes through an op whose derivative is not implemented."""


class DisconnectedType(Type):
    """The type of what ``return_disconnected='Disconnected'`` gives: a gradient with no value."""

    def filter(self, value: Any, allow_downcast: bool = False) -> Any:
        raise TypeError("a disconnected gradient has no value; it cannot be computed")

    def __str__(self) -> str:
        return "Disconnected"


# -- identity ops that change only the backward pass ------------------------------------------


class GradientIdentity(TensorOp):
    """The identity in the forward pass; no gradient or tangent flows through unless overridden.

    ``forward_identity`` tells the rewrite engine it may drop the node once
    gradients have been built.
    """

    forward_identity = True
    view_map = {0: (0,)}
    #: how the node prints: the name of the function that builds it (each subclass sets it)
    label: ClassVar[str]

    def infer_type(self, x: Variable) -> TensorType:
        return x.type

    def impl(self, x: np.ndarray) -> np.ndarray:
        return x

    def code(self, x: str) -> str:
        return x

    def pullback(self, inputs, outputs, output_grads):
        return [None]

    def pushforward(self, inputs, outputs, tangents):
        return [None]

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class DisconnectedGrad(GradientIdentity):
    """Stop-gradient (detach): ``grad`` does not walk above this node at all."""

    label = "disconnected_grad"


@dataclass(frozen=True)
class ZeroGrad(GradientIdentity):
    """The gradient through this node is zero, but its input stays connected."""

    label = "zero_grad"


@dataclass(frozen=True)
class ConsiderConstant(ZeroGrad):
    """Theano's name for a zero-gradient node, kept so graphs print as the user wrote them."""

    label = "consider_constant"


@dataclass(frozen=True)
class GradClip(GradientIdentity):
    """The gradient flowing through this node is clipped to ``[lower, upper]``."""

    lower: float
    upper: float

    def pullback(self, inputs, outputs, output_grads):
        return [T.clip(output_grads[0], self.lower, self.upper)]

    def pushforward(self, inputs, outputs, tangents):
        return list(tangents)

    def __str__(self) -> str:
        return f"grad_clip{{{self.lower}, {self.upper}}}"


@dataclass(frozen=True)
class GradScale(GradientIdentity):
    """The gradient flowing through this node is multiplied by ``multiplier``."""

    multiplier: float

    def pullback(self, inputs, outputs, output_grads):
        return [output_grads[0] * self.multiplier]

    def pushforward(self, inputs, outputs, tangents):
        return list(tangents)

    def __str__(self) -> str:
        return f"grad_scale{{{self.multiplier}}}"


@dataclass(frozen=True)
class UndefinedGrad(GradientIdentity):
    """Asking for a gradient through this node is an error (Theano's ``undefined_grad``)."""

    label = "undefined_grad"

    def pullback(self, inputs, outputs, output_grads):
        return [grad_undefined(self, 0, inputs[0], "(undefined_grad marks it so)")]


def grad_scale(x: Any, multiplier: float) -> Variable:
    """``x`` unchanged; the gradient flowing back through it is multiplied by ``multiplier``."""
    return GradScale(float(multiplier))(x)


def undefined_grad(x: Any) -> Variable:
    """``x`` unchanged; a gradient that has to pass through it raises ``NullTypeGradError``."""
    return UndefinedGrad()(x)


def disconnected_grad(x: Any) -> Variable:
    """``x`` unchanged, but gradients do not flow through it (stop-gradient, detach).

    An input reached only through it is disconnected, as in Theano.
    """
    return DisconnectedGrad()(x)


def zero_grad(x: Any) -> Variable:
    """``x`` unchanged, with a zero gradient through it (its inputs stay connected)."""
    return ZeroGrad()(x)


def consider_constant(x: Any) -> Variable:
    """``x`` unchanged, treated as a constant by ``grad`` (zero gradient through it)."""
    return ConsiderConstant()(x)


def grad_clip(x: Any, lower_bound: float, upper_bound: float) -> Variable:
    """``x`` unchanged; the gradient flowing back through it is clipped to the bounds."""
    if lower_bound > upper_bound:
        raise TypeError(f"grad_clip: lower bound {lower_bound} exceeds upper bound {upper_bound}")
    return GradClip(float(lower_bound), float(upper_bound))(x)


#: Theano's instance, called to make a variable of no value: ``disconnected_type()``
disconnected_type = DisconnectedType()


def format_as(use_list: bool, use_tuple: bool, outputs: Sequence[Any]) -> Any:
    """``outputs`` as a list, a tuple, or (when neither) its single element: Theano's helper."""
    if use_list:
        return list(outputs)
    if use_tuple:
        return tuple(outputs)
    (single,) = outputs
    return single


# -- reverse mode ------------------------------------------------------------------------------


def _differentiable(v: Variable) -> bool:
    return str(getattr(v.type, "dtype", "")).startswith(("float", "complex"))


def _float_zeros_like(v: Variable) -> Variable:
    """Zeros shaped like ``v``, in its dtype when it is a float type (else floatX)."""
    return T.zeros_like(v, dtype=v.dtype if _differentiable(v) else config.floatX)


def as_variable_list(x: Any, what: str) -> tuple[list[Variable], bool]:
    """``x`` as a list of variables, and whether the caller passed a list or tuple."""
    is_list = isinstance(x, (list, tuple))
    items = list(x) if is_list else [x]
    for item in items:
        if not isinstance(item, Variable):
            raise TypeError(f"{what}: expected a Variable or a list of Variables, got {item!r}")
    return items, is_list


def _pullback(node: Apply, output_grads: Sequence[Variable]) -> list[Variable | None]:
    """``node.op.pullback`` with the node's ``file:line`` on new nodes and on errors.

    A gradient of ``DisconnectedType`` is None; one of ``NullType`` is kept, to
    raise only if it is needed.
    """
    with building_at(node.where):
        try:
            grads = node.op.pullback(node.inputs, node.outputs, output_grads)
        except NotImplementedError as err:
            raise NullTypeGradError(
                f"the gradient of {node.op} (node built at {node.where}) is not implemented: {err}"
            ) from err
    return [_connected(g) for g in grads]


def _connected(g: Any) -> Any:
    """None for a gradient of ``DisconnectedType``, else ``g`` (a variable, or raw values)."""
    return None if isinstance(g, Variable) and isinstance(g.type, DisconnectedType) else g


def _needed(g: Variable, node: Apply) -> Variable:
    """``g`` itself, a gradient that is needed; ``NullTypeGradError`` when it is a null one."""
    if isinstance(g, Variable) and isinstance(g.type, NullType):
        raise NullTypeGradError(f"{g.type.why_null} (node built at {node.where})")
    return g


def _backpropagate(
    seeds: Mapping[Variable, Variable], wrt: Sequence[Variable], stop: set[Variable]
) -> tuple[dict[Variable, Variable], set[Variable]]:
    """Gradients of the seeded variables w.r.t. ``wrt``, and the set of connected variables.

    A variable is connected when the seeds depend on it through a path that
    does not cross ``stop`` or a ``disconnected_grad`` node. Only pullbacks
    of nodes lying between the seeds and ``wrt`` are built.
    """
    nodes = toposort(seeds, stop=stop)
    from_wrt = set(wrt)
    for node in nodes:
        if any(x in from_wrt for x in node.inputs):
            from_wrt.update(node.outputs)
    contributions: dict[Variable, list[Variable]] = {v: [g] for v, g in seeds.items()}
    totals: dict[Variable, Variable | None] = {}

    def total(v: Variable) -> Variable | None:
        """The summed gradient of ``v``, with ``v``'s dtype and broadcast pattern."""
        if v not in totals:
            totals[v] = None
            if v in contributions:
                with building_at(v.where):
                    totals[v] = sum_to_shape(functools.reduce(T.add, contributions[v]), v)
        return totals[v]

    connected = set(seeds)
    for node in reversed(nodes):
        if isinstance(node.op, DisconnectedGrad) or not connected.intersection(node.outputs):
            continue
        connected.update(node.inputs)
        wanted = [x in from_wrt and _differentiable(x) for x in node.inputs]
        output_grads = [total(o) for o in node.outputs]
        if not any(wanted) or all(g is None for g in output_grads):
            continue
        output_grads = [
            _float_zeros_like(o) if g is None and isinstance(o.type, TensorType) else g
            for o, g in zip(node.outputs, output_grads)
        ]
        for x, g, want in zip(node.inputs, _pullback(node, output_grads), wanted):
            if want and g is not None:
                contributions.setdefault(x, []).append(_needed(g, node))
    grads = {w: total(w) for w in wrt if _differentiable(w) and total(w) is not None}
    return grads, connected


def _seed(var: Variable, value: Any) -> Variable:
    value = as_tensor_variable(value)
    if value.ndim != var.ndim:
        raise TypeError(
            f"known_grads: the gradient {value!r} of {var!r} has {value.ndim} dimensions, "
            f"the variable has {var.ndim}"
        )
    return value


#: each gradient ``grad`` returned -> the variable it is the gradient with respect to
_wrt_of: weakref.WeakKeyDictionary[Variable, Variable] = weakref.WeakKeyDictionary()


def gradient_wrt(var: Variable) -> Variable | None:
    """The variable ``var`` is the gradient with respect to, when ``grad`` returned it.

    DEBUG_MODE checks at run time that such an output has that variable's shape.
    """
    return _wrt_of.get(var)


def _disconnected(message: str, policy: str) -> None:
    """Apply a 'raise' / 'warn' / 'ignore' policy to a disconnection."""
    if policy == "raise":
        raise DisconnectedInputError(message)
    if policy == "warn":
        warnings.warn(message, stacklevel=3)


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, not {value!r}")


def grad(
    cost: Variable | None,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    known_grads: Mapping[Variable, Any] | None = None,
    return_disconnected: str = "zero",
) -> Variable | list[Variable]:
    """Symbolic gradient of a scalar ``cost`` with respect to ``wrt``.

    Parameters
    ----------
    cost
        A scalar (0-d) variable, or None when ``known_grads`` seeds the walk.
    wrt
        A variable or a list of variables (a list in gives a list out).
        Shared variables and intermediate variables are allowed.
    consider_constant
        Variables treated as constants: the walk does not go above them.
    disconnected_inputs
        'raise' (``DisconnectedInputError``), 'warn' or 'ignore' when the cost
        does not depend on an element of ``wrt``.
    known_grads
        ``{variable: gradient}`` to start from, added to the cost's.
    return_disconnected
        What a disconnected input gets: 'zero', 'None' or 'Disconnected'.

    Returns
    -------
    One gradient graph per element of ``wrt``, each with its type.

    Examples
    --------
    >>> import symgraph.tensor as T
    >>> x = T.dvector('x')
    >>> T.grad((2 * x * x).sum(), x).eval({x: [1.0, 2.0]})
    array([4., 8.])
    """
    wrt_list, is_list = as_variable_list(wrt, "grad")
    _check_choice("disconnected_inputs", disconnected_inputs, ("raise", "warn", "ignore"))
    _check_choice("return_disconnected", return_disconnected, ("zero", "None", "Disconnected"))
    seeds: dict[Variable, Variable] = {}
    if cost is not None:
        cost = as_tensor_variable(cost)
        if cost.ndim != 0:
            raise TypeError(
                f"grad: the cost must be a scalar, got {cost!r} of type {cost.type}. For a "
                f"vector-Jacobian product v^T J use grad((v * y).sum(), x) or Lop(y, x, v); "
                f"for the whole Jacobian use jacobian(y, x)."
            )
        dtype = cost.dtype if _differentiable(cost) else config.floatX
        # Theano's seed ``second(cost, 1)``: a one that reads the cost, so every input of the
        # cost is an input of its gradients (``function([x, w], grad(dot(x, w), w))`` uses w);
        # the optimizer folds it to the constant.
        seeds[cost] = T.ones_like(cost, dtype=dtype)
    for var, value in (known_grads or {}).items():
        value = _seed(var, value)
        seeds[var] = seeds[var] + value if var in seeds else value
    if not seeds:
        raise TypeError("grad: give a cost, or known_grads to start from")
    grads, connected = _backpropagate(seeds, wrt_list, set(consider_constant or ()))
    result = []
    for w in wrt_list:
        if w not in grads and w not in connected:
            _disconnected(
                f"grad was asked for the gradient with respect to {w!r} (created at {w.where}), "
                f"but the cost does not depend on it, or only through disconnected_grad or "
                f"consider_constant. Pass disconnected_inputs='ignore' (or 'warn') to get zeros.",
                disconnected_inputs,
            )
            if return_disconnected != "zero":
                result.append(None if return_disconnected == "None" else DisconnectedType()())
                continue
        result.append(grads[w] if w in grads else _float_zeros_like(w))
        _wrt_of[result[-1]] = w
    if not is_list:
        return result[0]
    return tuple(result) if isinstance(wrt, tuple) else result


def subgraph_grad(
    wrt: Sequence[Variable],
    end: Sequence[Variable],
    start: Mapping[Variable, Any] | None = None,
    cost: Variable | None = None,
    details: bool = False,
) -> tuple:
    """Gradients of a subgraph, for backpropagating through a graph piece by piece (Theano's).

    The gradients flowing into the subgraph are ``start`` (``{variable: gradient}``)
    and the gradient of ``cost``; the walk stops at ``end``. Returns the gradients
    with respect to ``wrt`` and to ``end`` (with ``details``, also those of the
    two sources apart).
    """
    params = list(dict.fromkeys([*wrt, *end]))
    start_grads = None if start is None else grad(None, params, end, "ignore", known_grads=start)
    cost_grads = None if cost is None else grad(cost, params, end, "ignore")
    sources = [gs for gs in (start_grads, cost_grads) if gs is not None]
    if not sources:
        raise TypeError("subgraph_grad: give start gradients, a cost, or both")
    total = dict(zip(params, [functools.reduce(T.add, gs) for gs in zip(*sources)]))
    result = ([total[w] for w in wrt], [total[e] for e in end])
    return (*result, start_grads, cost_grads) if details else result


def Lop(
    f: Variable | Sequence[Variable],
    wrt: Variable | Sequence[Variable],
    eval_points: Any,
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
) -> Variable | list[Variable]:
    """The vector-Jacobian product ``eval_points^T · ∂f/∂wrt`` (reverse mode).

    ``f`` and ``eval_points`` are a variable and an array-like of its shape, or
    lists of them; the result has the structure of ``wrt``.
    """
    outputs, _ = as_variable_list(f, "Lop")
    points = list(eval_points) if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(points) != len(outputs):
        raise TypeError(f"Lop: {len(outputs)} outputs but {len(points)} eval_points")
    return grad(
        None,
        wrt,
        consider_constant,
        disconnected_inputs,
        known_grads=dict(zip(outputs, points)),
    )


def _pushforward(node: Apply, tangents: list[Variable | None]) -> list[Variable | None]:
    """Tangents of ``node``'s outputs: its ``pushforward``, or else two pullbacks.

    A pullback ``u -> J^T u`` is linear in ``u``, so pulling ``t`` back
    through it (the gradient of ``<J^T u, t>`` with respect to ``u``) gives
    the tangent ``J t``. That may still read ``u``'s shape, so ``u`` is then
    replaced by the output it stands for.
    """
    if node.op.pushforward is not None:
        with building_at(node.where):
            results = node.op.pushforward(node.inputs, node.outputs, tangents)
        return [None if t is None else _needed(_connected(t), node) for t in results]
    cotangents = [o.type(f"cotangent of {o!r}") for o in node.outputs]
    seeds: dict[Variable, Variable] = {}
    for back, t in zip(_pullback(node, cotangents), tangents):
        if back is not None and t is not None:
            seeds[back] = seeds[back] + t if back in seeds else t
    if not seeds:
        return [None] * len(node.outputs)
    with building_at(node.where):
        results = grad(
            None,
            cotangents,
            known_grads=seeds,
            disconnected_inputs="ignore",
            return_disconnected="None",
        )
        found = rebuild([t for t in results if t is not None], dict(zip(cotangents, node.outputs)))
    return [None if t is None else found.pop(0) for t in results]


def Rop(
    f: Variable | Sequence[Variable],
    wrt: Variable | Sequence[Variable],
    eval_points: Any,
    disconnected_outputs: str = "raise",
) -> Variable | list[Variable]:
    """The Jacobian-vector product ``∂f/∂wrt · eval_points`` (forward mode).

    Each node's tangent comes from its op's ``pushforward`` when it has one,
    else from two pullbacks. The result has the structure of ``f``.
    """
    outputs, outputs_is_list = as_variable_list(f, "Rop")
    inputs, _ = as_variable_list(wrt, "Rop")
    points = list(eval_points) if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(points) != len(inputs):
        raise TypeError(f"Rop: {len(inputs)} inputs but {len(points)} eval_points")
    _check_choice("disconnected_outputs", disconnected_outputs, ("raise", "warn", "ignore"))
    tangents: dict[Variable, Variable] = {}
    for x, point in zip(inputs, points):
        tangents[x] = _seed(x, point)
    depends = set(inputs)
    # the roots the tangents pass by: Theano's Rop reads them all (zero tangents for the others)
    passed: set[Variable] = set()
    for node in toposort(outputs, stop=inputs):
        if not depends.intersection(node.inputs):
            continue
        depends.update(node.outputs)
        passed.update(v for v in node.inputs if v.owner is None and not isinstance(v, Constant))
        ins = [tangents.get(x) if _differentiable(x) else None for x in node.inputs]
        if all(t is None for t in ins) or not any(map(_differentiable, node.outputs)):
            continue
        for o, t in zip(node.outputs, _pushforward(node, ins)):
            if t is not None and _differentiable(o):
                tangents[o] = T.cast(t, o.dtype)
    for out in outputs:
        if out not in depends:
            message = f"Rop: the output {out!r} (created at {out.where}) does not depend on wrt"
            _disconnected(message, disconnected_outputs)
    result = [
        _reading_all(tangents[out], out, passed) if out in tangents else _float_zeros_like(out)
        for out in outputs
    ]
    return result if outputs_is_list else result[0]


def _reading_all(tangent: Variable, out: Variable, passed: set[Variable]) -> Variable:
    """``tangent``, made to read the roots the walk ``passed`` by, as the zero tangents Theano
    gives them make it (``Rop(x @ W, W, V)`` is ``x @ V`` but reads W, so ``function`` accepts
    W as an input): ``+ zeros_like(out)``, which the optimizer drops."""
    if passed <= set(graph_inputs([tangent])):
        return tangent
    return tangent + _float_zeros_like(out)
