"""Elementwise ops: one ``Elemwise`` class, one table row per scalar function.

A row holds everything about the function: its NumPy implementation, its text
in generated code, its derivative, its SymPy counterpart and how ``pprint``
shows it. Inputs broadcast as in NumPy; no broadcasting nodes are inserted.
Derivatives are written for the broadcast output shape and summed back to each
input's shape once, in ``Elemwise.pullback``.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.config import config
from symgraph.graph.basic import Constant, Variable
from symgraph.lazy import LazyFunctions
from symgraph.tensor import special_functions as special
from symgraph.tensor.type import TensorType, broadcast_shapes
from symgraph.tensor.variable import TensorOp, as_tensor_variable, constant

sympy = LazyFunctions("sympy")

# Python's operator precedences, higher binds tighter; atoms and calls are 100.
PREC_COMPARE, PREC_OR, PREC_XOR, PREC_AND, PREC_ADD, PREC_MUL, PREC_UNARY, PREC_POW = range(5, 13)


@dataclass(frozen=True, eq=False)
class Elemwise(TensorOp):
    """A scalar function applied to every element of broadcast inputs.

    Each instance is a singleton (one per table row), so identity equality is
    op equality, and it pickles by name.
    """

    name: str
    nin: int
    template: str
    fn: Callable[..., Any]
    derivative: Callable[..., Sequence[Any]] | None
    sympy: Callable[..., Any] | None = None
    precedence: int = 100
    commutative: bool = False

    elementwise = True

    def prepare_inputs(self, inputs: Sequence[Any]) -> list[Variable]:
        if len(inputs) != self.nin:
            raise TypeError(f"{self.name} takes {self.nin} inputs, got {len(inputs)}")
        return weak_scalars_as_constants(inputs)

    def infer_type(self, *inputs: Variable) -> TensorType:
        shape = broadcast_shapes(*(x.type.shape for x in inputs), op=self.name)
        return TensorType(self.out_dtype(tuple(x.dtype for x in inputs)), shape)

    @functools.cache  # noqa: B019 (ops are module-level singletons)
    def out_dtype(self, dtypes: tuple[str, ...]) -> str:
        """NumPy's own answer: the dtype of ``fn`` applied to one element of each dtype."""
        try:
            with np.errstate(all="ignore"):
                return str(np.asarray(self.fn(*(np.ones((), d) for d in dtypes))).dtype)
        except TypeError:
            raise TypeError(f"{self.name} is not defined for dtypes {', '.join(dtypes)}") from None

    def impl(self, *arrays: np.ndarray) -> np.ndarray:
        return self.fn(*arrays)

    def code(self, *names: str) -> str:
        return self.template.format(*names)

    def pullback(self, inputs, outputs, output_grads):
        (out,), (gz,) = outputs, output_grads
        if self.derivative is None or out.dtype[0] not in "fc":
            return [None] * len(inputs)
        grads = self.derivative(*inputs, out, gz)
        return [None if g is None else sum_to_shape(g, x) for g, x in zip(grads, inputs)]

    def pretty(self, *args: str) -> str:
        if self.precedence < 100:
            return self.template.format(*args)
        return f"{self.name}({', '.join(args)})"

    def __str__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name


def weak_scalars_as_constants(inputs: Sequence[Any]) -> list[Variable]:
    """Convert inputs; Python numbers take the dtype the other operands imply.

    As NumPy 2 does, ``x_float32 * 0.5`` stays float32 and ``x_int8 + 1`` stays
    int8: a bare Python number does not widen a tensor's dtype.
    """
    dtypes = [x.dtype for x in inputs if isinstance(x, Variable)]
    result = []
    for x in inputs:
        if isinstance(x, (bool, int, float, complex)) and dtypes:
            dtype = np.result_type(*dtypes, x)
            if isinstance(x, int) and not isinstance(x, bool) and dtype.kind in "iu":
                # an int too large for the tensor's dtype widens it, as Theano did
                dtype = np.result_type(*dtypes, _smallest_int_dtype(x))
            result.append(constant(x, dtype=dtype))
        else:
            result.append(as_tensor_variable(x))
    return result


def _smallest_int_dtype(value: int) -> np.dtype:
    for dtype in (np.int8, np.int16, np.int32, np.int64):
        info = np.iinfo(dtype)
        if info.min <= value <= info.max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def sum_to_shape(grad: Variable, x: Variable) -> Variable:
    """Sum a broadcast gradient back to the static shape of ``x``.

    A dimension is treated as broadcast only when ``x``'s static shape says 1
    (or ``x`` lacks it), as in Theano; see docs/theano_migration.md.
    """
    grad = as_tensor_variable(grad)
    lead = grad.ndim - x.ndim
    axes = [i for i in range(lead)] + [
        lead + i
        for i, (s, g) in enumerate(zip(x.type.shape, grad.type.shape[lead:]))
        if s == 1 and g != 1
    ]
    if axes:
        grad = T.sum(grad, axis=tuple(axes), keepdims=True)
        if lead:
            grad = T.dimshuffle(grad, list(range(lead, grad.ndim)))
    if grad.dtype != x.dtype and x.dtype[0] in "fc":
        grad = T.cast(grad, x.dtype)
    return grad


def _row(name, nin, template, fn, derivative=None, sympy=None, precedence=100, commutative=False):
    return Elemwise(name, nin, template, fn, derivative, sympy, precedence, commutative)


def _ln(k: float) -> Variable:
    return constant(math.log(k))


def _pow_derivative(x, y, z, g):
    """d/dx = y x^(y-1), 0 where y == 0 (even at x == 0); d/dy = x^y log x, 0 at x == 0 (limit)."""
    dx = y * x ** (y - 1)
    if not (isinstance(y, Constant) and np.all(np.asarray(y.value) != 0)):
        dx = switch(eq(y, 0), 0, dx)
    return g * dx, g * z * log(switch(eq(x, 0), 1, x))


def _not_implemented(name: str) -> Callable[..., Sequence[Any]]:
    """The derivative of a function symgraph cannot differentiate: an error, not a silent zero."""

    def derivative(*args):
        raise NotImplementedError(f"{name} has no derivative rule")

    return derivative


# Each derivative maps (inputs..., output, output gradient) to one gradient per input,
# shaped like the output; None marks a piecewise-constant input (zero gradient).

# -- arithmetic --------------------------------------------------------------------------------
add = _row("add", 2, "{0} + {1}", np.add, lambda x, y, z, g: (g, g), operator.add, PREC_ADD, True)
sub = _row("sub", 2, "{0} - {1}", np.subtract, lambda x, y, z, g: (g, -g), operator.sub, PREC_ADD)
mul = _row(
    "mul",
    2,
    "{0} * {1}",
    np.multiply,
    lambda x, y, z, g: (g * y, g * x),
    operator.mul,
    PREC_MUL,
    True,
)
true_div = _row(
    "true_div",
    2,
    "{0} / {1}",
    np.true_divide,
    lambda x, y, z, g: (g / y, -g * z / y),
    operator.truediv,
    PREC_MUL,
)
int_div = _row(
    "int_div", 2, "{0} // {1}", np.floor_divide, None, lambda a, b: sympy.floor(a / b), PREC_MUL
)
mod = _row(
    "mod", 2, "{0} % {1}", np.mod, lambda x, y, z, g: (g, -g * int_div(x, y)), sympy.Mod, PREC_MUL
)
neg = _row("neg", 1, "-{0}", np.negative, lambda x, z, g: (-g,), operator.neg, PREC_UNARY)
pow = _row(
    "pow",
    2,
    "{0} ** {1}",
    np.power,
    _pow_derivative,
    operator.pow,
    PREC_POW,
)
abs = _row("abs", 1, "np.abs({0})", np.abs, lambda x, z, g: (g * sgn(x),), sympy.Abs)
sgn = _row("sgn", 1, "np.sign({0})", np.sign, None, sympy.sign)
sqr = _row("sqr", 1, "np.square({0})", np.square, lambda x, z, g: (g * 2 * x,), lambda a: a**2)
sqrt = _row("sqrt", 1, "np.sqrt({0})", np.sqrt, lambda x, z, g: (g * 0.5 / z,), sympy.sqrt)
maximum = _row(
    "maximum",
    2,
    "np.maximum({0}, {1})",
    np.maximum,
    lambda x, y, z, g: (g * (x >= y), g * (x < y)),
    sympy.Max,
    commutative=True,
)
minimum = _row(
    "minimum",
    2,
    "np.minimum({0}, {1})",
    np.minimum,
    lambda x, y, z, g: (g * (x <= y), g * (x > y)),
    sympy.Min,
    commutative=True,
)
floor = _row("floor", 1, "np.floor({0})", np.floor, None, sympy.floor)
ceil = _row("ceil", 1, "np.ceil({0})", np.ceil, None, sympy.ceiling)
round = _row("round", 1, "np.rint({0})", np.rint, None, lambda a: sympy.Function("round")(a))

# -- exponentials and logarithms ---------------------------------------------------------------
exp = _row("exp", 1, "np.exp({0})", np.exp, lambda x, z, g: (g * z,), sympy.exp)
exp2 = _row("exp2", 1, "np.exp2({0})", np.exp2, lambda x, z, g: (g * z * _ln(2),), lambda a: 2**a)
expm1 = _row(
    "expm1",
    1,
    "np.expm1({0})",
    np.expm1,
    lambda x, z, g: (g * (z + 1),),
    lambda a: sympy.exp(a) - 1,
)
log = _row("log", 1, "np.log({0})", np.log, lambda x, z, g: (g / x,), sympy.log)
log2 = _row(
    "log2",
    1,
    "np.log2({0})",
    np.log2,
    lambda x, z, g: (g / (x * _ln(2)),),
    lambda a: sympy.log(a, 2),
)
log10 = _row(
    "log10",
    1,
    "np.log10({0})",
    np.log10,
    lambda x, z, g: (g / (x * _ln(10)),),
    lambda a: sympy.log(a, 10),
)
log1p = _row(
    "log1p",
    1,
    "np.log1p({0})",
    np.log1p,
    lambda x, z, g: (g / (x + 1),),
    lambda a: sympy.log(1 + a),
)

# -- trigonometric and hyperbolic --------------------------------------------------------------
sin = _row("sin", 1, "np.sin({0})", np.sin, lambda x, z, g: (g * cos(x),), sympy.sin)
cos = _row("cos", 1, "np.cos({0})", np.cos, lambda x, z, g: (-g * sin(x),), sympy.cos)
tan = _row("tan", 1, "np.tan({0})", np.tan, lambda x, z, g: (g * (1 + z * z),), sympy.tan)
arcsin = _row(
    "arcsin", 1, "np.arcsin({0})", np.arcsin, lambda x, z, g: (g / sqrt(1 - x * x),), sympy.asin
)
arccos = _row(
    "arccos", 1, "np.arccos({0})", np.arccos, lambda x, z, g: (-g / sqrt(1 - x * x),), sympy.acos
)
arctan = _row(
    "arctan", 1, "np.arctan({0})", np.arctan, lambda x, z, g: (g / (1 + x * x),), sympy.atan
)
arctan2 = _row(
    "arctan2",
    2,
    "np.arctan2({0}, {1})",
    np.arctan2,
    lambda y, x, z, g: (g * x / (x * x + y * y), -g * y / (x * x + y * y)),
    sympy.atan2,
)
sinh = _row("sinh", 1, "np.sinh({0})", np.sinh, lambda x, z, g: (g * cosh(x),), sympy.sinh)
cosh = _row("cosh", 1, "np.cosh({0})", np.cosh, lambda x, z, g: (g * sinh(x),), sympy.cosh)
tanh = _row("tanh", 1, "np.tanh({0})", np.tanh, lambda x, z, g: (g * (1 - z * z),), sympy.tanh)
arcsinh = _row(
    "arcsinh", 1, "np.arcsinh({0})", np.arcsinh, lambda x, z, g: (g / sqrt(x * x + 1),), sympy.asinh
)
arccosh = _row(
    "arccosh", 1, "np.arccosh({0})", np.arccosh, lambda x, z, g: (g / sqrt(x * x - 1),), sympy.acosh
)
arctanh = _row(
    "arctanh", 1, "np.arctanh({0})", np.arctanh, lambda x, z, g: (g / (1 - x * x),), sympy.atanh
)

# -- special functions -------------------------------------------------------------------------
sigmoid = _row(
    "sigmoid",
    1,
    "special.expit({0})",
    special.expit,
    lambda x, z, g: (g * z * (1 - z),),
    lambda a: 1 / (1 + sympy.exp(-a)),
)
softplus = _row(
    "softplus",
    1,
    "np.logaddexp(0, {0})",
    lambda a: np.logaddexp(0, a),
    lambda x, z, g: (g * sigmoid(x),),
    lambda a: sympy.log(1 + sympy.exp(a)),
)
erf = _row(
    "erf",
    1,
    "special.erf({0})",
    special.erf,
    lambda x, z, g: (g * (2 / math.sqrt(math.pi)) * exp(-x * x),),
    sympy.erf,
)
erfc = _row(
    "erfc",
    1,
    "special.erfc({0})",
    special.erfc,
    lambda x, z, g: (g * (-2 / math.sqrt(math.pi)) * exp(-x * x),),
    sympy.erfc,
)
gamma = _row(
    "gamma", 1, "special.gamma({0})", special.gamma, lambda x, z, g: (g * z * psi(x),), sympy.gamma
)
gammaln = _row(
    "gammaln",
    1,
    "special.gammaln({0})",
    special.gammaln,
    lambda x, z, g: (g * psi(x),),
    sympy.loggamma,
)
psi = _row(
    "psi", 1, "special.psi({0})", special.psi, lambda x, z, g: (g * trigamma(x),), sympy.digamma
)
trigamma = _row(
    "trigamma",
    1,
    "special.trigamma({0})",
    special.trigamma,
    _not_implemented("trigamma"),
    lambda a: sympy.polygamma(1, a),
)
xlogx = _row(
    "xlogx",
    1,
    "special.xlogy({0}, {0})",
    lambda a: special.xlogy(a, a),
    lambda x, z, g: (g * (1 + log(x)),),
    lambda a: a * sympy.log(a),
)
xlogy0 = _row(
    "xlogy0",
    2,
    "special.xlogy({0}, {1})",
    special.xlogy,
    lambda x, y, z, g: (g * log(y), g * x / y),
    lambda a, b: a * sympy.log(b),
)

# -- comparisons, logic and tests: piecewise constant, no gradient -----------------------------
eq = _row("eq", 2, "np.equal({0}, {1})", np.equal, None, sympy.Eq, commutative=True)
neq = _row("neq", 2, "np.not_equal({0}, {1})", np.not_equal, None, sympy.Ne, commutative=True)
lt = _row("lt", 2, "{0} < {1}", np.less, None, operator.lt, PREC_COMPARE)
le = _row("le", 2, "{0} <= {1}", np.less_equal, None, operator.le, PREC_COMPARE)
gt = _row("gt", 2, "{0} > {1}", np.greater, None, operator.gt, PREC_COMPARE)
ge = _row("ge", 2, "{0} >= {1}", np.greater_equal, None, operator.ge, PREC_COMPARE)
and_ = _row("and_", 2, "{0} & {1}", np.bitwise_and, None, sympy.And, PREC_AND, True)
or_ = _row("or_", 2, "{0} | {1}", np.bitwise_or, None, sympy.Or, PREC_OR, True)
xor = _row("xor", 2, "{0} ^ {1}", np.bitwise_xor, None, sympy.Xor, PREC_XOR, True)
invert = _row("invert", 1, "~{0}", np.invert, None, sympy.Not, PREC_UNARY)
isnan = _row("isnan", 1, "np.isnan({0})", np.isnan, None)
isinf = _row("isinf", 1, "np.isinf({0})", np.isinf, None)

# -- selection ---------------------------------------------------------------------------------
switch = _row(
    "switch",
    3,
    "np.where({0}, {1}, {2})",
    np.where,
    lambda c, a, b, z, g: (None, switch(c, g, 0), switch(c, 0, g)),
    lambda c, a, b: sympy.Piecewise((a, c), (b, True)),
)
clip = _row(
    "clip",
    3,
    "np.clip({0}, {1}, {2})",
    np.clip,
    lambda x, lo, hi, z, g: (g * ((x >= lo) & (x <= hi)), g * (x < lo), g * (x > hi)),
    lambda x, lo, hi: sympy.Min(sympy.Max(x, lo), hi),
)

ELEMWISE_OPS: tuple[Elemwise, ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, Elemwise)
)


@dataclass(frozen=True)
class Cast(TensorOp):
    """Conversion to ``dtype``; elementwise, so fusion can absorb it."""

    dtype: str

    elementwise = True

    def infer_type(self, x: Variable) -> TensorType:
        return TensorType(self.dtype, x.type.shape)

    def impl(self, x: np.ndarray) -> np.ndarray:
        return x.astype(self.dtype)

    def code(self, x: str) -> str:
        return f"{x}.astype(np.{self.dtype})"

    def pullback(self, inputs, outputs, output_grads):
        (x,), (g,) = inputs, output_grads
        return [cast(g, x.dtype) if x.dtype[0] in "fc" and self.dtype[0] in "fc" else None]

    def pretty(self, x: str) -> str:
        return f"cast<{self.dtype}>({x})"


def cast(x: Any, dtype: str) -> Variable:
    """``x`` converted to ``dtype`` (a no-op when it already has it)."""
    x = as_tensor_variable(x)
    dtype = str(np.dtype(config.floatX if dtype == "floatX" else dtype))
    return x if x.dtype == dtype else Cast(dtype)(x)
