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
    relu,
)
from symgraph.tensor.special import log_softmax, logsoftmax, softmax
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
from symgraph.lazy import lazy_names

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

# Theano's names in T for later stages, which build on the ops above: served on first use
# (importing them here would be an import loop).
__getattr__ = lazy_names(
    __name__,
    {
        "grad": "symgraph.gradient",
        "Lop": "symgraph.gradient",
        "Rop": "symgraph.gradient",
        "consider_constant": "symgraph.gradient",
        "jacobian": "symgraph.jacobian",
        "hessian": "symgraph.jacobian",
        "numeric_grad": "symgraph.gradient_check",
        "verify_grad": "symgraph.gradient_check",
        "shared_randomstreams": "symgraph.tensor.shared_randomstreams",
    },
)
