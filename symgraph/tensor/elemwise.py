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
from symgraph.graph.syntax import ATOM, CALL, RECEIVER, UNARY, Form, infix, nest, prefix
from symgraph.lazy import LazyFunction, LazyFunctions
from symgraph.tensor import special_functions as special
from symgraph.tensor.type import TensorType, broadcast_shapes
from symgraph.tensor.variable import TensorOp, as_tensor_variable, constant

sympy = LazyFunctions("sympy")

#: the most operands one generated expression takes: Python's compiler nests ``a + b + c``
#: one level per operator, so longer sums are written a chunk per line
MAX_OPERANDS = 32


@dataclass(frozen=True, eq=False)
class Elemwise(TensorOp):
    """A scalar function applied to every element of broadcast inputs.

    A row declares its facts: ``fn`` computes it (a NumPy ufunc where NumPy
    has one), ``call`` names that function in generated code (``np.exp``), and
    ``operator`` is the Python operator rows like ``add`` are written with
    (``"+"``), whose precedence comes from the one table in ``graph.syntax``.
    ``leading`` are literal arguments the call takes before the operands
    (``np.logaddexp(0, x)``). ``variadic`` rows (``add``, ``mul``) take two or
    more inputs, as Theano's do: ``a + b + c`` is one node.

    Each instance is a singleton (one per table row), so identity equality is
    op equality, and it pickles by name.
    """

    name: str
    nin: int
    fn: Callable[..., Any]
    call: str
    derivative: Callable[..., Sequence[Any]] | None
    sympy: Callable[..., Any] | None = None
    operator: str | None = None
    commutative: bool = False
    variadic: bool = False
    leading: tuple[str, ...] = ()
    #: inputs before this one select (switch's condition): a Python number takes its dtype
    #: from the inputs from here on, the values, as ``np.where``'s result does
    first_value: int = 0
    #: False where NumPy computes a wrong result into the row's own input (``out=x``)
    in_place: bool = True
    #: True where some values raise (NumPy: integers to negative integer powers; ``math``'s
    #: gamma functions, used without SciPy: poles and overflow), not only wrong shapes
    raises_on_values: bool = False

    elementwise = True
    shapes_from_shapes = True

    @property
    def form(self) -> Form:
        if self.operator is None:
            return CALL
        return prefix(self.operator) if self.nin == 1 else infix(self.operator)

    print_form = form

    @property
    def precedence(self) -> int:
        return self.form.precedence

    @property
    def ufunc(self) -> bool:
        """True when ``call`` is a NumPy ufunc, which accepts ``out=``."""
        return _is_ufunc(self.fn)

    def prepare_inputs(self, inputs: Sequence[Any]) -> list[Variable]:
        if len(inputs) != self.nin and not (self.variadic and len(inputs) > self.nin):
            wanted = f"{self.nin} or more" if self.variadic else str(self.nin)
            raise TypeError(f"{self.name} takes {wanted} inputs, got {len(inputs)}")
        leading = [as_tensor_variable(x) for x in inputs[: self.first_value]]
        return leading + weak_scalars_as_constants(inputs[self.first_value :])

    def infer_type(self, *inputs: Variable) -> TensorType:
        shape = broadcast_shapes(*(x.type.shape for x in inputs), op=self.name)
        return TensorType(self.out_dtype(tuple(x.dtype for x in inputs)), shape)

    @functools.cache  # noqa: B019 (ops are module-level singletons)
    def out_dtype(self, dtypes: tuple[str, ...]) -> str:
        """NumPy's own answer: the dtype of ``fn`` applied to one element of each dtype."""
        try:
            with np.errstate(all="ignore"):
                return str(np.asarray(self.impl(*(np.ones((), d) for d in dtypes))).dtype)
        except TypeError:
            raise TypeError(f"{self.name} is not defined for dtypes {', '.join(dtypes)}") from None

    def keeps_dtype_with_numbers(self, inputs: Sequence[Variable], numbers: dict[int, Any]) -> bool:
        """True when NumPy computes ``out_dtype`` with Python ``numbers`` (position -> value)
        in place of those inputs: a ufunc takes a number as "weak" (``float32_x * 0.5`` stays
        float32), ``np.where(c, 2, -4)`` does not (int64)."""
        samples = [
            numbers[i] if i in numbers else np.ones((), v.dtype) for i, v in enumerate(inputs)
        ]
        try:
            with np.errstate(all="ignore"):
                dtype = np.asarray(self.impl(*samples)).dtype
        except (ValueError, TypeError, ArithmeticError):  # NumPy refuses (e.g. int ** -1)
            return False
        return dtype == self.out_dtype(tuple(v.dtype for v in inputs))

    def impl(self, *arrays: np.ndarray) -> np.ndarray:
        if len(arrays) > 2 and self.variadic:
            return functools.reduce(self.fn, arrays)  # a + b + c: left to right, as Python
        return self.fn(*arrays)

    def code(self, *names: str) -> str:
        form = self.form
        if form.symbol is None:
            return f"{self.call}({', '.join([*self.leading, *names])})"
        return form.join([nest_operand(form, i, name) for i, name in enumerate(names)])

    def code_into(self, names: Sequence[str], buffer: str) -> str | None:
        """``np.add(a, b, out=buffer)``: a ufunc row given as many operands as it takes."""
        if not self.ufunc or len(names) != self.nin:
            return None
        return f"{self.call}({', '.join([*self.leading, *names])}, out={buffer})"

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        """One line; a long sum as ``t = a + ... + p`` then ``t = t + q + ...``, the same
        left-to-right order a single expression has."""
        (out,) = outs
        lines = [f"{out} = {self.code(*names[:MAX_OPERANDS])}"]
        for start in range(MAX_OPERANDS, len(names), MAX_OPERANDS - 1):
            lines.append(f"{out} = {self.code(out, *names[start : start + MAX_OPERANDS - 1])}")
        return lines

    def pullback(self, inputs, outputs, output_grads):
        (out,), (gz,) = outputs, output_grads
        if self.derivative is None or out.dtype[0] not in "fc":
            return [None] * len(inputs)
        grads = self.derivative(*inputs, out, gz)
        return [None if g is None else sum_to_shape(g, x) for g, x in zip(grads, inputs)]

    def pretty(self, *args: str) -> str:
        if self.operator is None:
            return f"{self.name}({', '.join(args)})"
        return self.form.join(args)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Elemwise({self.name})"

    def __reduce__(self) -> str:
        return self.name

    def sympy_form(self, node, args, bound):
        """The row's SymPy function of the operands' elements, broadcast by index."""
        from symgraph.tensor.sympy_elements import Elements, align, broadcast

        fn = self.sympy
        if fn is None:
            raise NotImplementedError("has no SymPy counterpart")
        return Elements(
            broadcast(args),
            lambda index: fn(*(a.at(align(a.sizes, index)) for a in args)),
            any(a.explicit for a in args),
        )

    def sympy_matrix(self, node, forms):
        """Matrix algebra where the row means it: negation, sums and differences of
        same-shape matrices, scaling by scalars."""
        from symgraph.tensor.sympy_elements import is_matrix, same_shape

        matrices = [is_matrix(f) for f in forms]
        if self.name in ("neg", "add", "sub") and all(matrices) and same_shape(*node.inputs):
            return self.sympy(*forms)
        scaled = self.name == "mul" and sum(matrices) == 1
        if scaled or self.name == "true_div" and matrices == [True, False]:
            return self.sympy(*forms)
        return None


def nest_operand(form: Form, i: int, text: str) -> str:
    """A name or literal as operand ``i`` of ``form``: negative literals need parentheses."""
    return nest(text, UNARY if text.startswith("-") else ATOM, form.operand(i))


@functools.cache
def _is_ufunc(fn: Callable[..., Any]) -> bool:
    target = fn.resolve() if isinstance(fn, LazyFunction) else fn
    return isinstance(target, np.ufunc)


def weak_scalars_as_constants(inputs: Sequence[Any]) -> list[Variable]:
    """Convert inputs; Python numbers take the dtype the other operands imply.

    As NumPy 2 does, ``x_float32 * 0.5`` stays float32 and ``x_int8 + 1`` stays
    int8: a bare Python number does not widen a tensor's dtype.
    """
    dtypes = [x.dtype for x in inputs if isinstance(x, (Variable, np.ndarray, np.generic))]
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


def _row(name, nin, fn, call, derivative=None, sympy=None, **facts) -> Elemwise:
    return Elemwise(name, nin, fn, call, derivative, sympy, **facts)


def _ln(k: float) -> Variable:
    return constant(math.log(k))


def _sum_derivative(*args):
    """Each term of ``a + b + ...`` receives the output's gradient."""
    return (args[-1],) * (len(args) - 2)


def _product_derivative(*args):
    """Each factor of ``a * b * ...`` receives the gradient times the other factors."""
    *factors, _, g = args
    return tuple(
        g * (others[0] if len(others) == 1 else mul(*others))
        for others in (factors[:i] + factors[i + 1 :] for i in range(len(factors)))
    )


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


def _sympy_chain(combine: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    return lambda *args: functools.reduce(combine, args)


# Each derivative maps (inputs..., output, output gradient) to one gradient per input,
# shaped like the output; None marks a piecewise-constant input (zero gradient).

# -- arithmetic --------------------------------------------------------------------------------
add = _row(
    "add",
    2,
    np.add,
    "np.add",
    _sum_derivative,
    _sympy_chain(operator.add),
    operator="+",
    commutative=True,
    variadic=True,
)
sub = _row(
    "sub", 2, np.subtract, "np.subtract", lambda x, y, z, g: (g, -g), operator.sub, operator="-"
)
mul = _row(
    "mul",
    2,
    np.multiply,
    "np.multiply",
    _product_derivative,
    _sympy_chain(operator.mul),
    operator="*",
    commutative=True,
    variadic=True,
)
true_div = _row(
    "true_div",
    2,
    np.true_divide,
    "np.true_divide",
    lambda x, y, z, g: (g / y, -g * z / y),
    operator.truediv,
    operator="/",
)
int_div = _row(
    "int_div",
    2,
    np.floor_divide,
    "np.floor_divide",
    None,
    lambda a, b: sympy.floor(a / b),
    operator="//",
)
mod = _row(
    "mod",
    2,
    np.mod,
    "np.mod",
    lambda x, y, z, g: (g, -g * int_div(x, y)),
    sympy.Mod,
    operator="%",
)
# NumPy 2.4's np.negative(x, out=x) is wrong for views of some strides (x = a[::2, 1] of a
# 3x4 float64 a gives [-1, -2] for [1, 9]); with another out= array it is right
neg = _row(
    "neg",
    1,
    np.negative,
    "np.negative",
    lambda x, z, g: (-g,),
    operator.neg,
    operator="-",
    in_place=False,
)
pow = _row(
    "pow",
    2,
    np.power,
    "np.power",
    _pow_derivative,
    operator.pow,
    operator="**",
    raises_on_values=True,
)
abs = _row("abs", 1, np.abs, "np.abs", lambda x, z, g: (g * sgn(x),), sympy.Abs)
sgn = _row("sgn", 1, np.sign, "np.sign", None, sympy.sign)
sqr = _row("sqr", 1, np.square, "np.square", lambda x, z, g: (g * 2 * x,), lambda a: a**2)
sqrt = _row("sqrt", 1, np.sqrt, "np.sqrt", lambda x, z, g: (g * 0.5 / z,), sympy.sqrt)
maximum = _row(
    "maximum",
    2,
    np.maximum,
    "np.maximum",
    lambda x, y, z, g: (g * (x >= y), g * (x < y)),
    sympy.Max,
    commutative=True,
)
minimum = _row(
    "minimum",
    2,
    np.minimum,
    "np.minimum",
    lambda x, y, z, g: (g * (x <= y), g * (x > y)),
    sympy.Min,
    commutative=True,
)
floor = _row("floor", 1, np.floor, "np.floor", None, sympy.floor)
ceil = _row("ceil", 1, np.ceil, "np.ceil", None, sympy.ceiling)
round = _row("round", 1, np.rint, "np.rint", None, lambda a: sympy.Function("round")(a))

# -- exponentials and logarithms ---------------------------------------------------------------
exp = _row("exp", 1, np.exp, "np.exp", lambda x, z, g: (g * z,), sympy.exp)
exp2 = _row("exp2", 1, np.exp2, "np.exp2", lambda x, z, g: (g * z * _ln(2),), lambda a: 2**a)
expm1 = _row(
    "expm1", 1, np.expm1, "np.expm1", lambda x, z, g: (g * (z + 1),), lambda a: sympy.exp(a) - 1
)
log = _row("log", 1, np.log, "np.log", lambda x, z, g: (g / x,), sympy.log)
log2 = _row(
    "log2", 1, np.log2, "np.log2", lambda x, z, g: (g / (x * _ln(2)),), lambda a: sympy.log(a, 2)
)
log10 = _row(
    "log10",
    1,
    np.log10,
    "np.log10",
    lambda x, z, g: (g / (x * _ln(10)),),
    lambda a: sympy.log(a, 10),
)
log1p = _row(
    "log1p", 1, np.log1p, "np.log1p", lambda x, z, g: (g / (x + 1),), lambda a: sympy.log(1 + a)
)

# -- trigonometric and hyperbolic --------------------------------------------------------------
sin = _row("sin", 1, np.sin, "np.sin", lambda x, z, g: (g * cos(x),), sympy.sin)
cos = _row("cos", 1, np.cos, "np.cos", lambda x, z, g: (-g * sin(x),), sympy.cos)
tan = _row("tan", 1, np.tan, "np.tan", lambda x, z, g: (g * (1 + z * z),), sympy.tan)
arcsin = _row(
    "arcsin", 1, np.arcsin, "np.arcsin", lambda x, z, g: (g / sqrt(1 - x * x),), sympy.asin
)
arccos = _row(
    "arccos", 1, np.arccos, "np.arccos", lambda x, z, g: (-g / sqrt(1 - x * x),), sympy.acos
)
arctan = _row("arctan", 1, np.arctan, "np.arctan", lambda x, z, g: (g / (1 + x * x),), sympy.atan)
arctan2 = _row(
    "arctan2",
    2,
    np.arctan2,
    "np.arctan2",
    lambda y, x, z, g: (g * x / (x * x + y * y), -g * y / (x * x + y * y)),
    sympy.atan2,
)
sinh = _row("sinh", 1, np.sinh, "np.sinh", lambda x, z, g: (g * cosh(x),), sympy.sinh)
cosh = _row("cosh", 1, np.cosh, "np.cosh", lambda x, z, g: (g * sinh(x),), sympy.cosh)
tanh = _row("tanh", 1, np.tanh, "np.tanh", lambda x, z, g: (g * (1 - z * z),), sympy.tanh)
arcsinh = _row(
    "arcsinh", 1, np.arcsinh, "np.arcsinh", lambda x, z, g: (g / sqrt(x * x + 1),), sympy.asinh
)
arccosh = _row(
    "arccosh", 1, np.arccosh, "np.arccosh", lambda x, z, g: (g / sqrt(x * x - 1),), sympy.acosh
)
arctanh = _row(
    "arctanh", 1, np.arctanh, "np.arctanh", lambda x, z, g: (g / (1 - x * x),), sympy.atanh
)

# -- special functions -------------------------------------------------------------------------
sigmoid = _row(
    "sigmoid",
    1,
    special.expit,
    "special.expit",
    lambda x, z, g: (g * z * (1 - z),),
    lambda a: 1 / (1 + sympy.exp(-a)),
)
softplus = _row(
    "softplus",
    1,
    lambda a: np.logaddexp(0, a),
    "np.logaddexp",
    lambda x, z, g: (g * sigmoid(x),),
    lambda a: sympy.log(1 + sympy.exp(a)),
    leading=("0",),
)
erf = _row(
    "erf",
    1,
    special.erf,
    "special.erf",
    lambda x, z, g: (g * (2 / math.sqrt(math.pi)) * exp(-x * x),),
    sympy.erf,
)
erfc = _row(
    "erfc",
    1,
    special.erfc,
    "special.erfc",
    lambda x, z, g: (g * (-2 / math.sqrt(math.pi)) * exp(-x * x),),
    sympy.erfc,
)
gamma = _row(
    "gamma",
    1,
    special.gamma,
    "special.gamma",
    lambda x, z, g: (g * z * psi(x),),
    sympy.gamma,
    raises_on_values=True,
)
gammaln = _row(
    "gammaln",
    1,
    special.gammaln,
    "special.gammaln",
    lambda x, z, g: (g * psi(x),),
    sympy.loggamma,
    raises_on_values=True,
)
psi = _row("psi", 1, special.psi, "special.psi", lambda x, z, g: (g * trigamma(x),), sympy.digamma)
trigamma = _row(
    "trigamma",
    1,
    special.trigamma,
    "special.trigamma",
    _not_implemented("trigamma"),
    lambda a: sympy.polygamma(1, a),
)
xlogx = _row(
    "xlogx",
    1,
    special.xlogx,
    "special.xlogx",
    lambda x, z, g: (g * (1 + log(x)),),
    lambda a: a * sympy.log(a),
)
xlogy0 = _row(
    "xlogy0",
    2,
    special.xlogy,
    "special.xlogy",
    lambda x, y, z, g: (g * log(y), g * x / y),
    lambda a, b: a * sympy.log(b),
)

# -- comparisons, logic and tests: piecewise constant, no gradient -----------------------------
eq = _row("eq", 2, np.equal, "np.equal", None, sympy.Eq, commutative=True)
neq = _row("neq", 2, np.not_equal, "np.not_equal", None, sympy.Ne, commutative=True)
lt = _row("lt", 2, np.less, "np.less", None, operator.lt, operator="<")
le = _row("le", 2, np.less_equal, "np.less_equal", None, operator.le, operator="<=")
gt = _row("gt", 2, np.greater, "np.greater", None, operator.gt, operator=">")
ge = _row("ge", 2, np.greater_equal, "np.greater_equal", None, operator.ge, operator=">=")
and_ = _row(
    "and_", 2, np.bitwise_and, "np.bitwise_and", None, sympy.And, operator="&", commutative=True
)
or_ = _row("or_", 2, np.bitwise_or, "np.bitwise_or", None, sympy.Or, operator="|", commutative=True)
xor = _row(
    "xor", 2, np.bitwise_xor, "np.bitwise_xor", None, sympy.Xor, operator="^", commutative=True
)
invert = _row("invert", 1, np.invert, "np.invert", None, sympy.Not, operator="~")
isnan = _row("isnan", 1, np.isnan, "np.isnan", None)
isinf = _row("isinf", 1, np.isinf, "np.isinf", None)

# -- selection ---------------------------------------------------------------------------------
switch = _row(
    "switch",
    3,
    np.where,
    "np.where",
    lambda c, a, b, z, g: (None, switch(c, g, 0), switch(c, 0, g)),
    lambda c, a, b: sympy.Piecewise((a, c), (b, True)),
    first_value=1,
)
clip = _row(
    "clip",
    3,
    np.clip,
    "np.clip",
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

    form = RECEIVER

    elementwise = True
    shapes_from_shapes = True
    raises_on_values = False

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

    def sympy_form(self, node, args, bound):
        """Mathematics has no dtypes: a cast is its operand."""
        return args[0]


def cast(x: Any, dtype: str) -> Variable:
    """``x`` converted to ``dtype`` (a no-op when it already has it)."""
    x = as_tensor_variable(x)
    dtype = str(np.dtype(config.floatX if dtype == "floatX" else dtype))
    return x if x.dtype == dtype else Cast(dtype)(x)
