"""``RandomVariable``: one draw from NumPy's ``Generator``, and the table of distributions.

A draw node reads a generator (input 0), an optional symbolic size, and the
distribution's parameters; it returns the generator advanced (output 0) and
the sample (output 1). Its generated code is one call of the generator,
``x = rng.normal(0.0, 1.0, size=(500, 784))``: NumPy advances the generator
in place, which the op declares (``destroy_map``), so the memory plan copies a
generator first only when something reads it after the draw.

Each distribution is one row of ``DISTRIBUTIONS``: its parameters, its line
of generated code, a reference sampler, NumPy's result dtype, and for
location-scale families the derivative of a reparameterized draw
(``x = loc + scale * z``: ``dx/dloc = 1``, ``dx/dscale = z``), so a cost
differentiates through ``avg``/``std``/``low``/``high`` but sees the noise as
a constant.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgraph.tensor as T
from symgraph.config import config
from symgraph.graph.basic import Apply, Constant, Op, Variable
from symgraph.tensor.random.type import RandomGeneratorType, random_generator_type
from symgraph.tensor.shape import as_shape_vector, static_int_entries
from symgraph.tensor.type import TensorType, broadcast_shapes
from symgraph.tensor.variable import TensorVariable, as_tensor_variable


@dataclass(frozen=True)
class Distribution:
    """How to draw from one family with a ``Generator``: a row of ``DISTRIBUTIONS``.

    ``code`` is a template over ``{rng}``, the parameters by name, ``{size}``
    (``, size=...`` or nothing), ``{shape}`` (the batch shape), ``{batch}`` (the
    batch shape unpacked before more entries) and the op fields named in
    ``options``; ``scalar_code``, when given, serves draws with no batch
    dimensions. ``sample(rng, size, *params, **options)``
    is the reference. ``core_ndims`` are the trailing dimensions of each
    parameter one draw consumes (a multinomial's ``pvals`` row); ``support``
    gives the trailing shape one draw adds. ``batch=False`` means the
    parameters do not broadcast into the output (``choice``'s population).
    """

    name: str
    params: tuple[str, ...]
    code: str
    sample: Callable[..., Any]
    dtype: str | None = "float64"
    required: int | None = None
    core_ndims: tuple[int, ...] = ()
    support: Callable[[Sequence[Variable]], tuple[int | None, ...]] | None = None
    derivative: Callable[[Sequence[Variable], Variable, Variable], list] | None = None
    batch: bool = True
    options: tuple[str, ...] = ()
    scalar_code: str | None = None


def _normal_derivative(params, x, g):
    """``x = loc + scale * z``: the noise ``z = (x - loc) / scale`` (0 where scale is 0)."""
    loc, scale = params
    z = T.switch(T.eq(scale, 0), 0, (x - loc) / scale)
    return [g, g * z]


def _uniform_derivative(params, x, g):
    """``x = low + (high - low) * u``: ``u = (x - low) / (high - low)`` (0 on an empty interval)."""
    low, high = params
    width = high - low
    u = T.switch(T.eq(width, 0), 0, (x - low) / width)
    return [g * (1 - u), g * u]


def _static_int(v: Variable) -> int | None:
    return int(v.value) if isinstance(v, Constant) else None


def _choice(rng, size, a, p=None, replace=True):
    return rng.choice(a, size, replace=replace, p=p)


def _permutations(rng, size, n):
    if size == ():
        return rng.permuted(np.arange(n))
    return rng.permuted(np.broadcast_to(np.arange(n), (*size, n)), axis=-1)


def _rows_without_replacement(rng, size, p, k):
    # exponential races: the k first of E_i / p_i are a weighted draw without replacement
    return np.argsort(-p / rng.standard_exponential(np.shape(p)), axis=-1)[..., :k]


DISTRIBUTIONS: dict[str, Distribution] = {
    row.name: row
    for row in [
        Distribution(
            "normal",
            ("loc", "scale"),
            "{rng}.normal({loc}, {scale}{size})",
            lambda rng, size, loc, scale: rng.normal(loc, scale, size),
            derivative=_normal_derivative,
        ),
        Distribution(
            "uniform",
            ("low", "high"),
            "{rng}.uniform({low}, {high}{size})",
            lambda rng, size, low, high: rng.uniform(low, high, size),
            derivative=_uniform_derivative,
        ),
        # a Bernoulli mask costs one uniform draw and a comparison: 4x faster than binomial(1, p)
        Distribution(
            "bernoulli",
            ("p",),
            "({rng}.random({shape}) < {p})",
            lambda rng, size, p: rng.random(np.shape(p) if size is None else size) < p,
            dtype="bool",
        ),
        Distribution(
            "binomial",
            ("n", "p"),
            "{rng}.binomial({n}, {p}{size})",
            lambda rng, size, n, p: rng.binomial(n, p, size),
            dtype="int64",
        ),
        Distribution(
            "integers",
            ("low", "high"),
            "{rng}.integers({low}, {high}{size})",
            lambda rng, size, low, high: rng.integers(low, high, size),
            dtype="int64",
        ),
        Distribution(
            "random_integers",
            ("low", "high"),
            "{rng}.integers({low}, {high}{size}, endpoint=True)",
            lambda rng, size, low, high: rng.integers(low, high, size, endpoint=True),
            dtype="int64",
        ),
        Distribution(
            "poisson",
            ("lam",),
            "{rng}.poisson({lam}{size})",
            lambda rng, size, lam: rng.poisson(lam, size),
            dtype="int64",
        ),
        Distribution(
            "exponential",
            ("scale",),
            "{rng}.exponential({scale}{size})",
            lambda rng, size, scale: rng.exponential(scale, size),
        ),
        Distribution(
            "beta",
            ("a", "b"),
            "{rng}.beta({a}, {b}{size})",
            lambda rng, size, a, b: rng.beta(a, b, size),
        ),
        Distribution(
            "choice",
            ("a", "p"),
            "{rng}.choice({a}{size}, replace={replace}, p={p})",
            _choice,
            dtype=None,
            required=1,
            batch=False,
            options=("replace",),
        ),
        Distribution(
            "permutation",
            ("n",),
            "{rng}.permuted(np.broadcast_to(np.arange({n}), ({batch}{n})), axis=-1)",
            _permutations,
            dtype="int64",
            support=lambda params: (_static_int(params[0]),),
            scalar_code="{rng}.permuted(np.arange({n}))",
        ),
        Distribution(
            "multinomial",
            ("n", "pvals"),
            "{rng}.multinomial({n}, {pvals}{size})",
            lambda rng, size, n, pvals: rng.multinomial(n, pvals, size),
            dtype="int64",
            core_ndims=(0, 1),
            support=lambda params: params[1].type.shape[-1:],
        ),
        Distribution(
            "rows_without_replacement",
            ("p", "k"),
            "np.argsort(-{p} / {rng}.standard_exponential(np.shape({p})), axis=-1)[..., :{k}]",
            _rows_without_replacement,
            dtype="int64",
            core_ndims=(1, 0),
            support=lambda params: (_static_int(params[1]),),
        ),
    ]
}


class RandomDraw(TensorVariable):
    """A draw's sample, with Theano's ``rng`` (the shared generator it came from, when a
    stream made it) and ``update`` (the pair a stream records) attributes."""

    __slots__ = ("rng", "update")


@dataclass(frozen=True)
class RandomVariable(Op):
    """One draw: inputs ``(rng, [size], *params)``, outputs ``(rng advanced, sample)``.

    ``size`` is the batch shape when it is known when the graph is built (it
    is written into the code); ``size_ndim`` is the length of a symbolic size,
    given as input 1. With neither, the parameters' broadcast shape is the
    batch shape. ``replace`` is ``choice``'s.
    """

    dist: str
    dtype: str
    size: tuple[int, ...] | None = None
    size_ndim: int | None = None
    replace: bool = True

    nout = 2
    view_map = {0: (0,)}
    destroy_map = {0: (0,)}
    #: scalar constants are written as literals (the sample's dtype is fixed by the op)
    literal_scalars = True

    @property
    def row(self) -> Distribution:
        return DISTRIBUTIONS[self.dist]

    def make_node(self, *inputs: Any) -> Apply:
        node = super().make_node(*inputs)
        rng, plain = node.outputs
        sample = RandomDraw(plain.type, node, 1)  # the same output, with Theano's attributes
        sample.rng = sample.update = None
        node.outputs = (rng, sample)
        return node

    def prepare_inputs(self, inputs: Sequence[Any]) -> list[Variable]:
        rng, *rest = inputs
        return [rng, *(as_tensor_variable(x) for x in rest)]

    def split(self, inputs: Sequence[Any]) -> tuple[Any, Any, list]:
        """``(rng, size or None, params)`` of the node's inputs (or of their values)."""
        rng, *rest = inputs
        if self.size_ndim is None:
            return rng, None, rest
        return rng, rest[0], rest[1:]

    def infer_type(self, rng: Variable, *rest: Variable) -> tuple:
        row = self.row
        if not isinstance(getattr(rng, "type", None), RandomGeneratorType):
            raise TypeError(f"{self}: the first input must be a random generator, got {rng!r}")
        _, size, params = self.split((rng, *rest))
        required = len(row.params) if row.required is None else row.required
        if not required <= len(params) <= len(row.params):
            raise TypeError(f"{self}: expects parameters {row.params}, got {len(params)}")
        if size is not None and (size.ndim != 1 or size.dtype[0] not in "iu"):
            raise TypeError(f"{self}: size must be an integer vector, got {size!r} ({size.type})")
        core = row.core_ndims or (0,) * len(params)
        for p, name, k in zip(params, row.params, core):
            if p.ndim < k:
                raise TypeError(f"{self}: {name} needs {k} dimension(s), got {p!r} ({p.type})")
        batches = [p.type.shape[: p.ndim - k] for p, k in zip(params, core)] if row.batch else []
        if self.size is not None:
            batch = self.size
            _check_fits(self, batch, batches)
        elif size is not None:
            batch = static_int_entries(size) or (None,) * self.size_ndim
            _check_fits(self, batch, batches)
        else:
            batch = broadcast_shapes(*batches, op=str(self))
        support = row.support(params) if row.support else ()
        return random_generator_type, TensorType(self.dtype, (*batch, *support))

    def impl(self, rng: np.random.Generator, *arrays: Any) -> tuple:
        rng = copy.deepcopy(rng)  # the reference leaves its input as it was
        _, size, params = self.split((rng, *arrays))
        if self.size is not None:
            size = self.size
        elif size is not None:
            size = tuple(int(s) for s in size)
        options = {name: getattr(self, name) for name in self.row.options}
        sample = self.row.sample(rng, size, *params, **options)
        return rng, np.asarray(sample).astype(self.dtype, copy=False)

    def emit(self, outs: Sequence[str], names: Sequence[str]) -> list[str]:
        """``x = rng.normal(...)``; ``outs[0]`` is the generator the call advanced."""
        row = self.row
        rng, size, params = self.split(names)
        fields = dict(zip(row.params, [*params, *["None"] * (len(row.params) - len(params))]))
        fields.update({name: repr(getattr(self, name)) for name in row.options})
        shape = size_text(self.size) if self.size is not None else size
        template = row.scalar_code if self.size == () and row.scalar_code else row.code
        expr = template.format(
            rng=rng,
            size="" if shape is None else f", size={shape}",
            shape=f"np.shape({params[0]})" if shape is None else shape,
            batch="" if shape is None else _batch_text(self.size, shape),
            **fields,
        )
        if row.dtype is None:
            expr = f"{expr}.astype(np.{self.dtype}, copy=False)"
        elif row.dtype != self.dtype:
            expr = f"{expr}.astype(np.{self.dtype})"
        return [f"{outs[1]} = {expr}"]

    def pullback(self, inputs, outputs, output_grads):
        """Reparameterized draws (normal, uniform) differentiate in their parameters; the
        sample of another family has no derivative in its parameters (as in Theano)."""
        grads: list[Variable | None] = [None] * len(inputs)
        g, derivative = output_grads[1], self.row.derivative
        if g is None:
            return grads
        if derivative is None:
            raise NotImplementedError(
                f"a {self.dist} sample is not differentiable in its parameters "
                f"{', '.join(self.row.params)}"
            )
        first = 1 + (self.size_ndim is not None)
        grads[first:] = derivative(inputs[first:], outputs[1], g)
        return grads

    def pretty(self, *args: str) -> str:
        _, size, params = self.split(args)
        shape = size_text(self.size) if self.size is not None else size
        return f"{self.dist}({', '.join(params)}{'' if shape is None else f', size={shape}'})"

    def __str__(self) -> str:
        return f"RandomVariable{{{self.dist}}}"


def size_text(size: tuple[int, ...]) -> str:
    """``(500, 784)``, ``(3,)``, ``()``: a static size as Python source."""
    return f"({size[0]},)" if len(size) == 1 else f"({', '.join(map(str, size))})"


def _check_fits(op: Op, batch: tuple, params: Sequence[tuple]) -> None:
    """Each parameter's batch shape must broadcast to ``batch`` without enlarging it."""
    for shape in params:
        lead = len(batch) - len(shape)
        if lead < 0 or any(
            s is not None and b is not None and s not in (1, b) for s, b in zip(shape, batch[lead:])
        ):
            raise TypeError(
                f"{op}: a parameter of shape {shape} does not broadcast to the size {batch}"
            )


def _batch_text(size: tuple[int, ...] | None, shape: str) -> str:
    """The batch shape as the first entries of a tuple display: ``500, 784, `` or ``*t3, ``."""
    return "".join(f"{s}, " for s in size) if size is not None else f"*{shape}, "


def draw(
    dist: str,
    rng: Variable,
    params: Sequence[Any],
    size: Any = None,
    ndim: int | None = None,
    dtype: str | None = None,
    replace: bool = True,
) -> list[Variable]:
    """``[rng advanced, sample]``: one draw of ``dist`` from the generator ``rng``.

    ``size`` is the batch shape: None (the parameters' broadcast shape), ints,
    symbolic scalars, or an integer vector such as ``x.shape``; ``ndim`` gives
    the length of a symbolic size whose length is not known statically, as in
    Theano. ``dtype`` defaults to NumPy's (floats: at least ``config.floatX``,
    as Theano's ``upcast(floatX, ...)``; Bernoulli masks: int64).
    """
    row = DISTRIBUTIONS[dist]
    if not isinstance(getattr(rng, "type", None), RandomGeneratorType):
        raise TypeError(f"{dist}: rng must be a random generator variable, got {rng!r}")
    params = [as_tensor_variable(p) for p in params]
    static, vector, length = _normalize_size(size, ndim, dist)
    if static is None and vector is None:
        cores = row.core_ndims or (0,) * len(params)
        if not row.batch or all(p.ndim == k for p, k in zip(params, cores)):
            static = ()
    op = RandomVariable(dist, _dtype(row, params, dtype), static, length, bool(replace))
    return op(rng, *([] if vector is None else [vector]), *params)


def _normalize_size(
    size: Any, ndim: int | None, dist: str
) -> tuple[tuple[int, ...] | None, Variable | None, int | None]:
    """``(static size, symbolic size vector, its length)``, at most one of the first two set."""
    if size is None:
        return None, None, None
    if isinstance(size, (int, np.integer)):
        size = (size,)
    if isinstance(size, (list, tuple)) and all(isinstance(s, (int, np.integer)) for s in size):
        if ndim is not None and ndim != len(size):
            raise ValueError(f"{dist}: ndim={ndim} but size {tuple(size)} has {len(size)} entries")
        if any(s < 0 for s in size):
            raise ValueError(f"{dist}: size {tuple(size)} has a negative entry")
        return tuple(int(s) for s in size), None, None
    try:
        vector = as_shape_vector(size)
    except TypeError as err:
        raise TypeError(
            f"{dist}: size must be ints or integer scalars or a vector ({err})"
        ) from None
    if vector.ndim != 1 or vector.dtype[0] not in "iu":
        raise TypeError(f"{dist}: size must be an integer vector, got {size!r}")
    length = vector.type.shape[0]
    if length is None and ndim is None:
        raise TypeError(f"{dist}: the length of size {size!r} is not known; give ndim")
    if length is not None and ndim is not None and ndim != length:
        raise ValueError(f"{dist}: ndim={ndim} but size has {length} entries")
    return None, vector, length if length is not None else ndim


def _dtype(row: Distribution, params: Sequence[Variable], dtype: str | None) -> str:
    if dtype is not None:
        return str(np.dtype(config.floatX if dtype == "floatX" else dtype))
    if row.dtype == "float64":
        return str(np.result_type(config.floatX, *(p.dtype for p in params)))
    if row.dtype is None:  # choice: the population's dtype, indices when it is a count
        return params[0].dtype if params[0].ndim == 1 else "int64"
    return "int64" if row.dtype == "bool" else row.dtype
