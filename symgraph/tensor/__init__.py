"""``symgraph.tensor``, imported as ``T``: tensor types, constructors and the op library."""

from symgraph.tensor.type import TensorType  # noqa: I001 (order matters: ops use the types)
from symgraph.tensor.variable import (
    TensorConstant,
    TensorOp,
    TensorVariable,
    as_tensor_variable,
    constant,
)
from symgraph.tensor import elemwise
from symgraph.tensor.elemwise import (
    Cast,
    Elemwise,
    abs,
    add,
    and_,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    cast,
    ceil,
    clip,
    cos,
    cosh,
    eq,
    erf,
    erfc,
    exp,
    exp2,
    expm1,
    floor,
    gamma,
    gammaln,
    ge,
    gt,
    int_div,
    invert,
    isinf,
    isnan,
    le,
    log,
    log1p,
    log2,
    log10,
    lt,
    maximum,
    minimum,
    mod,
    mul,
    neg,
    neq,
    or_,
    pow,
    psi,
    round,
    sgn,
    sigmoid,
    sin,
    sinh,
    softplus,
    sqrt,
    sqr,
    sub,
    switch,
    tan,
    tanh,
    trigamma,
    true_div,
    xor,
)
from symgraph.tensor.reduction import (
    ArgReduce,
    Reduce,
    all,
    any,
    argmax,
    argmin,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from symgraph.tensor.shape import (
    Alloc,
    DimShuffle,
    Join,
    Repeat,
    Reshape,
    Shape,
    Tile,
    alloc,
    concatenate,
    dimshuffle,
    fill,
    flatten,
    ones,
    ones_like,
    repeat,
    reshape,
    shape,
    stack,
    tile,
    transpose,
    zeros,
    zeros_like,
)
from symgraph.tensor.creation import (
    AllocDiag,
    ARange,
    ExtractDiag,
    Eye,
    arange,
    diag,
    diagonal,
    eye,
    tril,
    triu,
)
from symgraph.tensor.dot import Dot, Tensordot, batched_dot, dot, matmul, outer, tensordot
from symgraph.tensor import subtensor
from symgraph.tensor.subtensor import IncSubtensor, Subtensor, inc_subtensor, set_subtensor, take
from symgraph.tensor import nnet, special
from symgraph.tensor.nnet import (
    LogSoftmax,
    Softmax,
    binary_crossentropy,
    categorical_crossentropy,
    log_softmax,
    logsoftmax,
    relu,
    softmax,
)
from symgraph.tensor import linalg, nlinalg, slinalg, xlogx
from symgraph.tensor.sort import ArgSort, Sort, argsort, sort
from symgraph.tensor import extra_ops
from symgraph.tensor.extra_ops import (
    CumOp,
    bincount,
    cumprod,
    cumsum,
    fill_diagonal,
    fill_diagonal_offset,
    ravel_multi_index,
    squeeze,
    unravel_index,
)
from symgraph.tensor.constructors import CONSTRUCTORS, tensor
from symgraph.tensor import random, raw_random

globals().update(CONSTRUCTORS)

# Theano's other spellings of the same functions
square = sqr
sign = sgn
where = switch
divide = true_div

from symgraph.tensor.broadcast import (  # noqa: E402
    SpecifyShape,
    addbroadcast,
    patternbroadcast,
    specify_shape,
    unbroadcast,
)
from symgraph.tensor.basic_functions import *  # noqa: E402, F403 (Theano's smaller functions)
from symgraph.tensor.basic_functions import _tensor_py_operators  # noqa: E402

# last: gradient builds on the ops above; Theano's tensor module offers these names too
from symgraph.gradient import (  # noqa: E402
    Lop,
    Rop,
    consider_constant,
    grad,
    hessian,
    jacobian,
    numeric_grad,
    verify_grad,
)


def __getattr__(name: str):
    """``T.shared_randomstreams``, as in Theano: it makes shared variables, so it is
    imported when first asked for (the compile layer builds on this package)."""
    if name == "shared_randomstreams":
        import symgraph.tensor.shared_randomstreams as module

        return module
    raise AttributeError(f"module 'symgraph.tensor' has no attribute {name!r}")
