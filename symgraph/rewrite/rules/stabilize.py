"""stabilize: formulas that overflow, underflow or cancel become ones that stay finite.

The sigmoid is recognized however it is spelled (``1 / (1 + exp(-z))`` in
Theano's logistic-regression tutorial), so the log-sigmoid rules apply, and in
products the factors ``exp(a)``, ``sigmoid(-a)`` and ``1 / sigmoid(a)`` cancel
algebraically instead of multiplying ``inf`` by ``0``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from symgraph.rewrite.pattern import RuleSet, any_op, bind, pvars
from symgraph.rewrite.rules.algebra import (
    build,
    canonical,
    covers,
    is_negation,
    is_one,
    is_zero,
    mixed_dtypes,
    negate,
    product_plan,
    realize,
    sum_plan,
)
from symgraph.rewrite.rules.forms import (
    Product,
    exp_argument,
    numeric_constant,
    plain,
    read_product,
    read_sum,
)
from symgraph.tensor.elemwise import (
    abs,
    add,
    cast,
    exp,
    expm1,
    gt,
    isinf,
    log,
    log1p,
    mul,
    neg,
    sigmoid,
    softplus,
    sub,
    switch,
    true_div,
)
from symgraph.tensor.nnet import LogSoftmax, Softmax
from symgraph.tensor.reduction import Reduce
from symgraph.tensor.shape import Alloc, DimShuffle, dimshuffle
from symgraph.tensor.subtensor import IncSubtensor, Subtensor
from symgraph.tensor.variable import constant

stabilize = RuleSet("stabilize")
x = pvars("x")

# log(sigmoid(x)) is log(0) = -inf once sigmoid underflows (x < -745 in float64).
stabilize.add(log(sigmoid(x)), lambda x: neg(softplus(negate(x))), name="log_sigmoid_as_softplus")
stabilize.add(log1p(neg(sigmoid(x))), lambda x: neg(softplus(x)), name="log1p_neg_sigmoid")


# log(1 + exp(x)) overflows for x > 709; softplus does not. Where x = -|z| it cannot, and
# log1p(exp(x)) is as exact and twice as fast as softplus (np.logaddexp). log(1 + x) loses x
# when |x| < eps.
def _softplus_unless_nonpositive(x):
    return None if _is_nonpositive(x) else softplus(x)


def _is_nonpositive(x) -> bool:
    """True for ``-abs(z)``."""
    inner = x.owner.inputs[0].owner if x.owner is not None and x.owner.op is neg else None
    return inner is not None and inner.op is abs


stabilize.add(log1p(exp(x)), _softplus_unless_nonpositive, name="log1p_exp_as_softplus")
stabilize.add(log(1 + x), lambda x: log1p(x), name="log_one_plus_as_log1p")
stabilize.add(log(1 - x), lambda x: log1p(negate(x)), name="log_one_minus_as_log1p")
stabilize.add(exp(x) - 1, lambda x: expm1(x), name="exp_minus_one_as_expm1")


# Softmax and log-softmax written out or composed: the named ops shift by the maximum.
@stabilize.node_rule(log)
def log_of_softmax(node):
    """``log(softmax(x)) -> log_softmax(x)``, also of an index: ``log(softmax(x)[i])``."""
    inner = node.inputs[0].owner
    if inner is not None and isinstance(inner.op, Subtensor):
        source = inner.inputs[0].owner
        if source is None or not isinstance(source.op, Softmax):
            return None
        return inner.op(LogSoftmax(source.op.axis)(source.inputs[0]), *inner.inputs[1:])
    if inner is None or not isinstance(inner.op, Softmax):
        return None
    return LogSoftmax(inner.op.axis)(inner.inputs[0])


# The gradient of a log-sum-exp is such a quotient times the output gradient, with the sum put
# back to x's shape by broadcasting (an Alloc, a DimShuffle adding the summed axes, or NumPy's
# alignment of trailing axes): the rule reads whole products and looks through those.
@stabilize.node_rule(mul, true_div)
def softmax_written_out(node):
    """``exp(x) / sum(exp(x), axis, keepdims=True) -> softmax(x, axis)``, in any product:
    ``exp(x) * b(g / sum(exp(x), axes)) -> b(g) * softmax(x, axes)`` with ``b`` a broadcast."""
    out = node.outputs[0]
    if out.dtype[0] != "f":
        return None
    form = read_product(out)
    if not any(exp_argument(e) is not None for e in form.numerators):
        return None
    for e in form.numerators:
        x = exp_argument(e)
        if x is None or x.type != e.type or x.ndim != out.ndim or _shifted_by_max(x):
            continue
        for side in (form.numerators, form.denominators):
            for i, factor in enumerate(side):
                found = _divides_by_sum_of(factor, e, x, side is form.denominators)
                if found is None:
                    continue
                axes, rest = found
                if any(x.type.shape[a] == 0 for a in axes):
                    continue
                del side[i]
                form.numerators.remove(e)
                form.numerators.append(_softmax(x, axes))
                if rest is not None:
                    form.numerators.append(rest)
                return realize(product_plan(form, out.type.shape), out)
    return None


def _softmax(x, axes):
    """The softmax of ``x`` over ``axes``: the op for one axis, else shifted by the maximum."""
    if len(axes) == 1:
        return Softmax(axes[0])(x)
    peak = Reduce("max", axes, True)(x)
    shifted = exp(x - switch(isinf(peak), 0, peak))
    return shifted / Reduce("sum", axes, True)(shifted)


def _divides_by_sum_of(factor, e, x, below):
    """``(axes, rest)`` when ``factor`` divides by ``sum(e, axes)`` broadcast back onto x's
    axes: a denominator that is that sum (``rest`` None), or a numerator ``b(g / sum)``
    with ``b`` broadcasting (``rest`` is ``b(g)``); else None."""
    wrappers, core = _broadcasts(factor)
    if below:
        total, inner = core, None
    else:
        inner = read_product(core) if core.dtype == factor.dtype else None
        total = next((d for d in inner.denominators if _sum_of(d, e)), None) if inner else None
    if total is None or not _sum_of(total, e):
        return None
    op = total.owner.op
    landing = _landing(total.ndim, core.ndim, wrappers, x.ndim)
    kept = [a for a in range(x.ndim) if op.keepdims or a not in op.axes]
    if landing != kept:
        return None
    if inner is None:
        return op.axes, None
    inner.denominators.remove(total)
    rest = build(product_plan(inner, ()), core.dtype)
    for wrapper in reversed(wrappers):
        if isinstance(wrapper.op, DimShuffle) and rest.ndim < wrapper.op.ndim_in:
            lead = wrapper.op.ndim_in - rest.ndim
            rest = dimshuffle(rest, ["x"] * lead + list(range(rest.ndim)))
        rest = wrapper.op(rest, *wrapper.inputs[1:])
    return op.axes, rest


def _sum_of(total, e) -> bool:
    node = total.owner
    return (
        node is not None
        and isinstance(node.op, Reduce)
        and node.op.kind == "sum"
        and node.op.dtype in (None, e.dtype)
        and node.inputs[0] is e
    )


def _broadcasts(v):
    """The broadcasting nodes around ``v`` (Allocs, DimShuffles that only add axes), outermost
    first, and what they broadcast."""
    wrappers = []
    while v.owner is not None:
        op = v.owner.op
        adds_axes = isinstance(op, DimShuffle) and [d for d in op.order if d != "x"] == list(
            range(op.ndim_in)
        )
        if not (adds_axes or (isinstance(op, Alloc) and v.owner.inputs[0].dtype == v.dtype)):
            break
        wrappers.append(v.owner)
        v = v.owner.inputs[0]
    return wrappers, v


def _landing(ndim, core_ndim, wrappers, out_ndim):
    """The axes of a product of ``out_ndim`` dimensions that the axes of a factor of
    ``ndim`` dimensions meet, inside ``core_ndim`` dimensions broadcast by ``wrappers``."""
    axes = [core_ndim - ndim + j for j in range(ndim)]  # NumPy aligns trailing axes
    for wrapper in reversed(wrappers):
        if isinstance(wrapper.op, DimShuffle):
            axes = [wrapper.op.order.index(a) for a in axes]
        else:
            axes = [wrapper.outputs[0].ndim - wrapper.inputs[0].ndim + a for a in axes]
    width = wrappers[0].outputs[0].ndim if wrappers else core_ndim
    return [out_ndim - width + a for a in axes]


def logsumexp(x, total):
    """``log(sum(exp(x), axes)) -> log(sum(exp(x - m), axes)) + m`` with ``m = max(x, axes)``."""
    op = total.owner.op
    if op.dtype not in (None, x.dtype) or x.dtype[0] != "f" or _shifted_by_max(x):
        return None
    if any(x.type.shape[a] == 0 for a in op.axes):
        return None
    peak = Reduce("max", op.axes, True)(x)
    peak = switch(isinf(peak), 0, peak)
    shifted = Reduce("sum", op.axes, op.keepdims)(exp(x - peak))
    if not op.keepdims:
        peak = dimshuffle(peak, [a for a in range(x.ndim) if a not in op.axes])
    return log(shifted) + peak


def _shifted_by_max(x):
    """True when ``x`` already is ``y - max(y)`` as ``logsumexp`` writes it."""
    for term, sign in read_sum(x).terms:
        peak = term.owner.inputs[2] if term.owner is not None and term.owner.op is switch else None
        if sign < 0 and peak is not None and peak.owner is not None:
            if isinstance(peak.owner.op, Reduce) and peak.owner.op.kind == "max":
                return True
    return False


stabilize.add(log(bind("total", any_op(Reduce, kind="sum")(exp(x)))), logsumexp, name="logsumexp")


# 1 - sigmoid(x) loses everything to rounding once sigmoid(x) rounds to 1 (x > 37).
@stabilize.node_rule(add, sub)
def one_minus_sigmoid(node):
    """``k - sigmoid(x) -> sigmoid(-x) + (k - 1)``, inside any sum."""
    out = node.outputs[0]
    if out.dtype[0] != "f" or plain(node):  # a plain sum has no negative terms
        return None
    form = read_sum(out)
    const = form.constant
    if const is None or const.size != 1:
        return None
    for i, (term, sign) in enumerate(form.terms):
        if sign < 0 and term.owner is not None and term.owner.op is sigmoid:
            form.terms[i] = (sigmoid(negate(term.owner.inputs[0])), 1)
            form.constant = np.asarray(const - 1)
            return realize(sum_plan(form, out.type.shape), out)
    return None


# The gradient of the logistic cross-entropy is two sigmoid terms; sigmoid(z) + sigmoid(-z) = 1
# makes them one, cheaper and as exact.
@stabilize.node_rule(add, sub)
def logistic_gradient(node):
    """``r * (1 - y) * sigmoid(z) - r * y * sigmoid(-z) -> r * (sigmoid(z) - y)``, in any sum."""
    if plain(node):  # a plain sum has no negative terms
        return None
    return _merge_logistic_pair(node, sigmoid, False, sub)


# The logistic cross-entropy from logits, y * softplus(-z) + (1 - y) * softplus(z) (what the
# tutorial's -y * log(p) - (1 - y) * log(1 - p) becomes), is softplus(z) - y * z: one softplus
# instead of two. Written z * ((z > 0) - y) + softplus(-|z|), the first term is exactly 0
# where the loss is tiny (z = 40, y = 1), so the second keeps it to the last digit; and
# softplus(-|z|) = log1p(exp(-|z|)), which cannot overflow.
@stabilize.node_rule(add, sub)
def logistic_crossentropy(node):
    """``r * y * softplus(-z) + r * (1 - y) * softplus(z)
    -> r * (z * ((z > 0) - y) + log1p(exp(-abs(z))))``, in any sum."""
    return _merge_logistic_pair(node, softplus, True, _crossentropy_from_logits)


def _crossentropy_from_logits(loss, target):
    z = loss.owner.inputs[0]
    if mixed_dtypes([z, target], loss.dtype):
        return None
    return z * (gt(z, 0) - target) + log1p(exp(neg(abs(z))))


def _merge_logistic_pair(node, f, same_sign, merged):
    """The sum at ``node`` with terms ``r * (1 - y) * f(z)`` and ``r * y * f(-z)`` (of equal
    signs when ``same_sign``, else opposite) replaced by ``r * merged(f(z), y)``."""
    out = node.outputs[0]
    if out.dtype[0] != "f":
        return None
    form = read_sum(out)
    candidates = [
        (i, read_product(term))
        for i, (term, _) in enumerate(form.terms)
        if term.owner is not None and term.owner.op in (mul, true_div, neg)
    ]
    candidates = [(i, p) for i, p in candidates if _applications(f, p.numerators)]
    for i, first in candidates:
        for j, second in candidates:
            sign, other_sign = form.terms[i][1], form.terms[j][1]
            pair = None if (sign == other_sign) != same_sign else _logistic_pair(f, first, second)
            factor = None if pair is None else merged(pair[1], pair[2])
            if factor is None:
                continue
            rest = pair[0]
            rest.numerators.append(factor)
            term = build(product_plan(rest, out.type.shape), out.dtype)
            form.terms = [t for k, t in enumerate(form.terms) if k not in (i, j)] + [(term, sign)]
            return realize(sum_plan(form, out.type.shape), out)
    return None


def _logistic_pair(f, first, second):
    """``(r, f(z), y)`` when ``first = r * (1 - y) * f(z)`` and ``second = r * y * f(-z)``,
    else None."""
    for s in _applications(f, first.numerators):
        for t in _applications(f, second.numerators):
            if not is_negation(s.owner.inputs[0], t.owner.inputs[0]):
                continue
            rest, other = _without(first, s), _without(second, t)
            for factor in rest.numerators:
                complement = read_sum(factor)
                if len(complement.terms) != 1 or complement.terms[0][1] > 0:
                    continue
                target = complement.terms[0][0]
                if not is_one(complement.constant) or complement.constant.size != 1:
                    continue
                if any(v is target for v in other.numerators):
                    rest, other = _without(rest, factor), _without(other, target)
                    return (rest, s, target) if _same_product(rest, other) else None
    return None


def _applications(f, factors):
    """The factors that are ``f(something)``."""
    return [v for v in factors if v.owner is not None and v.owner.op is f]


def _without(form, factor):
    numerators = list(form.numerators)
    numerators.remove(factor)
    return Product(form.dtype, numerators, list(form.denominators), form.constant)


def _same_product(a, b) -> bool:
    """The same factors (as multisets of variables) and the same constant."""
    same_constant = (a.constant is None) == (b.constant is None) and (
        a.constant is None or bool(np.array_equal(a.constant, b.constant))
    )
    return (
        same_constant
        and Counter(map(id, a.numerators)) == Counter(map(id, b.numerators))
        and Counter(map(id, a.denominators)) == Counter(map(id, b.denominators))
    )


# In products the sigmoid's pieces meet: exp(a) = sigmoid(a) / sigmoid(-a), and
# 1 / (1 + exp(u)) = sigmoid(-u). Written as sigmoids, they cancel instead of giving inf * 0.
@stabilize.node_rule(mul, true_div, neg)
def sigmoid_algebra(node):
    """``1 / (1 + exp(u)) -> sigmoid(-u)``; ``exp(a) * sigmoid(-a) -> sigmoid(a)``; and
    ``(p / s + q) * s * r -> p * r + q * s * r`` when that cancels every denominator."""
    out = node.outputs[0]
    if out.dtype[0] != "f" or (plain(node) and not any(map(_sigmoid_part, node.inputs))):
        return None
    form = read_product(out)
    if mixed_dtypes(form.numerators + form.denominators, out.dtype):
        return None
    if recognize_sigmoids(form) | merge_exp_with_sigmoid(form):
        return canonical(form, out)
    return distribute_to_cancel(form, out)


def _sigmoid_part(v) -> bool:
    """True for the factors the sigmoid's algebra works on: exp, sigmoid and sums."""
    return v.owner is not None and v.owner.op in (exp, sigmoid, add, sub)


def _is_sigmoid(v) -> bool:
    return v.owner is not None and v.owner.op is sigmoid


def one_plus_exp(v):
    """``u`` when ``v`` is ``1 + exp(u)`` (in any order)."""
    if v.owner is None or v.owner.op is not add:
        return None
    form = read_sum(v)
    if len(form.terms) != 1 or form.terms[0][1] != 1 or form.constant is None:
        return None
    if not np.all(form.constant == 1):
        return None
    return exp_argument(form.terms[0][0])


def recognize_sigmoids(form) -> bool:
    changed = False
    for d in list(form.denominators):
        u = one_plus_exp(d)
        if u is not None and d.dtype == u.dtype:
            form.denominators.remove(d)
            form.numerators.append(sigmoid(negate(u)))
            changed = True
    return changed


def merge_exp_with_sigmoid(form) -> bool:
    """``exp(a) * sigmoid(-a) -> sigmoid(a)`` and ``(1 + exp(a)) * sigmoid(-a) -> 1``."""
    sigmoids = _applications(sigmoid, form.numerators)
    changed = False
    for e in list(form.numerators) if sigmoids else ():
        a = exp_argument(e)
        one_plus = a is None
        if one_plus:
            a = one_plus_exp(e)
        match = (
            None
            if a is None
            else next((s for s in sigmoids if is_negation(a, s.owner.inputs[0])), None)
        )
        if match is None:
            continue
        sigmoids.remove(match)
        form.numerators.remove(e)
        form.numerators.remove(match)
        if not one_plus:
            form.numerators.append(sigmoid(a))
        changed = True
    return changed


def distribute_to_cancel(form, out):
    """Multiply a sum factor out when every term of it loses a denominator (or has none)."""
    for i, factor in enumerate(form.numerators):
        if factor.owner is None or factor.owner.op not in (add, sub) or factor.dtype != out.dtype:
            continue
        rest = form.numerators[:i] + form.numerators[i + 1 :]
        terms = read_sum(factor)
        cancels = [_cancels(term, rest) for term, _ in terms.terms]
        if not any(cancels) or not all(c is not False for c in cancels) or len(cancels) > 8:
            continue
        others = Product(out.dtype, rest, list(form.denominators), form.constant)
        scale = build(product_plan(others, out.type.shape), out.dtype)
        pieces = [mul(term, scale) if s > 0 else neg(mul(term, scale)) for term, s in terms.terms]
        if terms.constant is not None:
            pieces.append(mul(_constant_like(terms.constant, out), scale))
        result = pieces[0]
        for piece in pieces[1:]:
            result = add(result, piece)
        return result
    return None


def _cancels(term, rest):
    """True when ``term`` has a denominator found in ``rest``; None when it has none.

    A term that writes ``v`` into zeros at ``i`` cancels when ``v`` is divided by
    ``r[i]`` for a factor ``r`` of ``rest`` (as the gradient of ``log(softmax(x)[i])`` is).
    """
    increment = increment_of_zeros(term)
    if increment is not None:
        value, *parts = increment.inputs[1:]
        # only a factor of the term's own shape: a broadcast one has no element at i to read
        same = [r for r in rest if covers([r.type.shape], term.type.shape)]
        picked = [Subtensor(increment.op.idx)(r, *parts) for r in same]
        denominators = read_product(value).denominators
        return any(
            d.owner is not None and any(_same_node(d.owner, p.owner) for p in picked)
            for d in denominators
        )
    denominators = read_product(term).denominators
    if not denominators:
        return None
    return any(any(d is r for r in rest) for d in denominators)


def _same_node(a, b) -> bool:
    return a.op == b.op and all(x is y for x, y in zip(a.inputs, b.inputs))


def increment_of_zeros(v):
    """The node of ``v`` when ``v`` is ``inc_subtensor`` (or ``set_subtensor``) into zeros."""
    node = v.owner
    if node is None or not isinstance(node.op, IncSubtensor):
        return None
    target = node.inputs[0]
    filled = target.owner is not None and isinstance(target.owner.op, Alloc)
    return node if is_zero(numeric_constant(target.owner.inputs[0] if filled else target)) else None


# A gradient through an index is written into zeros; scaling it only touches what was written.
@stabilize.node_rule(mul)
def scale_into_increment(node):
    """``y * inc_subtensor(zeros[i], v) -> inc_subtensor(zeros[i], v * y[i])``, so ``v``'s
    division by ``y[i]`` cancels; a scalar factor scales ``v`` as it is."""
    out = node.outputs[0]
    for k, increment in enumerate(node.inputs):
        inner = increment_of_zeros(increment)
        others = node.inputs[:k] + node.inputs[k + 1 :]
        if inner is None or any(f.dtype != out.dtype for f in node.inputs):
            continue
        # no factor may broadcast against the increment: y[i] must be what scales v
        if not covers([increment.type.shape], out.type.shape):
            continue
        if not all(f.ndim == 0 or covers([f.type.shape], out.type.shape) for f in others):
            continue
        target, value, *parts = inner.inputs
        picked = [f if f.ndim == 0 else Subtensor(inner.op.idx)(f, *parts) for f in others]
        return inner.op(target, cast(mul(value, *picked), out.dtype), *parts)
    return None


def _constant_like(value, out):
    return constant(np.asarray(value, dtype=out.dtype), dtype=out.dtype)
