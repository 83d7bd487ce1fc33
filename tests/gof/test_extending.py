"""Ops written as Theano's "Extending Theano" tutorial writes them, run as the tutorial runs them.

The tutorial's ops live in extending_theano_tutorial.py, unchanged but for the
imports; the snippets below are the tutorial's usage code, then the checks its
test classes make (values, ``verify_grad``, ``infer_shape``, ``R_op``).
"""

from __future__ import annotations

import os
import runpy

import numpy
import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.gof import Apply, MethodNotDefined
from symgraph.gradient import NullTypeGradError, Rop, grad_undefined, verify_grad
from symgraph.graph.traversal import toposort

TUTORIAL = runpy.run_path(os.path.join(os.path.dirname(__file__), "extending_theano_tutorial.py"))
DoubleOp1, DoubleOp2, AXPBOp = TUTORIAL["DoubleOp1"], TUTORIAL["DoubleOp2"], TUTORIAL["AXPBOp"]
ProdOp, SumDiffOp, numpy_dot = TUTORIAL["ProdOp"], TUTORIAL["SumDiffOp"], TUTORIAL["numpy_dot"]
rng = np.random.default_rng(43)


def op_classes(f) -> set[type]:
    return {type(node.op) for node in f.graph.apply_nodes}


@pytest.mark.parametrize("op_class", [DoubleOp1, DoubleOp2])
def test_the_tutorials_double_op_runs_as_written(op_class):
    x = theano.tensor.matrix()
    f = theano.function([x], op_class()(x))
    inp = numpy.random.rand(5, 4)
    out = f(inp)
    assert numpy.allclose(inp * 2, out)
    assert out.dtype == np.float64 and out.shape == (5, 4)


def test_a_custom_op_is_one_readable_call_in_the_generated_code():
    x = T.dmatrix("x")
    f = theano.function([x], TUTORIAL["doubleOp1"](x) + 1.0)
    node_lines = [line for line in f.source.splitlines() if "#" in line and "impl" in line]
    assert len(node_lines) == 1
    assert node_lines[0].strip().startswith("t1 = unaliased(double_op1.impl(x), x)")
    assert "DoubleOp1  test_extending.py:" in node_lines[0]
    assert f.source.count("double_op1") == 1  # bound once, as a global: no helper lines


def test_props_give_equality_hash_and_str_and_equal_nodes_merge():
    mult4plus5op, another, mult2plus3op = AXPBOp(4, 5), AXPBOp(4, 5), AXPBOp(2, 3)
    assert mult4plus5op == another and hash(mult4plus5op) == hash(another)
    assert mult4plus5op != mult2plus3op
    assert str(mult4plus5op) == "AXPBOp{a=4, b=5}"
    assert str(TUTORIAL["doubleOp1"]) == "DoubleOp1"
    x = theano.tensor.matrix()
    inp = numpy.random.rand(5, 4).astype(numpy.float32)
    f = theano.function([x], mult4plus5op(x))
    g = theano.function([x], mult2plus3op(x))
    assert numpy.allclose(4 * inp + 5, f(inp))
    assert numpy.allclose(2 * inp + 3, g(inp))
    both = theano.function([x], [mult4plus5op(x), another(x)])
    assert len(both.graph.apply_nodes) == 1  # equal ops on the same input: one node


@pytest.mark.parametrize("op", [DoubleOp1(), DoubleOp2()])
def test_gradient_matches_finite_differences(op):
    verify_grad(op, [rng.random((5, 4))])


def test_the_solutions_prod_and_sum_diff_ops():
    x, y = theano.tensor.matrix(), theano.tensor.matrix()
    x_val, y_val = rng.random((5, 4)), rng.random((5, 4))
    f = theano.function([x, y], ProdOp()(x, y))
    assert np.allclose(x_val * y_val, f(x_val, y_val))
    g = theano.function([x, y], SumDiffOp()(x, y))
    assert np.allclose([x_val + y_val, x_val - y_val], g(x_val, y_val))
    verify_grad(ProdOp(), [rng.random((5, 4)), rng.random((5, 4))], n_tests=1)
    verify_grad(lambda a, b: SumDiffOp()(a, b)[0], [rng.random((5, 4)), rng.random((5, 4))])
    verify_grad(lambda a, b: SumDiffOp()(a, b)[1], [rng.random((5, 4)), rng.random((5, 4))])
    a, b = T.dmatrices("a", "b")
    assert (
        "t1, t2 = unaliased(sum_diff_op.impl(a, b), a, b)"
        in theano.function([a, b], SumDiffOp()(a, b)).source
    )


@pytest.mark.parametrize(
    "build, values",
    [
        (lambda x, y: DoubleOp1()(x), [(5, 4), (5, 4)]),
        (lambda x, y: ProdOp()(x, y), [(5, 6), (5, 6)]),
        (lambda x, y: SumDiffOp()(x, y)[1], [(5, 6), (5, 6)]),
    ],
)
def test_infer_shape_answers_the_shape_without_running_the_op(build, values):
    """The check of the tutorial's InferShapeTester: the op leaves a shape-only graph."""
    x, y = T.dmatrices("x", "y")
    out = build(x, y)
    f = theano.function([x, y], out.shape, on_unused_input="ignore")
    assert not {DoubleOp1, ProdOp, SumDiffOp} & op_classes(f)
    arrays = [rng.random(s) for s in values]
    np.testing.assert_array_equal(f(*arrays), out.eval(dict(zip([x, y], arrays))).shape)


def test_r_op_gives_the_forward_tangent_and_ops_without_it_get_one_from_grad():
    x, v = T.dmatrices("x", "v")
    X, V = rng.random((3, 4)), rng.random((3, 4))
    np.testing.assert_allclose(Rop(TUTORIAL["doubleOp1"](x), x, v).eval({x: X, v: V}), 2 * V)
    y = T.dmatrix("y")
    tangent = Rop(ProdOp()(x, y), x, v)  # ProdOp has no R_op: built from its grad
    np.testing.assert_allclose(tangent.eval({x: X, y: 3 * X, v: V}), 3 * X * V)


def test_as_op_from_the_tutorial():
    x = theano.tensor.fmatrix()
    y = theano.tensor.fmatrix()
    f = theano.function([x, y], numpy_dot(x, y))
    inp1 = numpy.random.rand(5, 4).astype("float32")
    inp2 = numpy.random.rand(4, 7).astype("float32")
    out = f(inp1, inp2)
    np.testing.assert_allclose(out, inp1 @ inp2, rtol=1e-6)
    assert out.dtype == np.float32
    assert "t1 = unaliased(numpy_dot.impl(arg, arg_2), arg, arg_2)" in f.source  # unnamed inputs
    assert str(numpy_dot) == "FromFunctionOp{numpy_dot}"
    shape = theano.function([x, y], numpy_dot(x, y).shape)
    assert shape(inp1, inp2).tolist() == [5, 7] and "impl" not in shape.source
    with pytest.raises(NullTypeGradError, match="FromFunctionOp"):
        theano.grad(numpy_dot(x, y).sum(), x)


def test_every_op_of_symgraph_is_a_theano_op():
    assert isinstance(T.exp, theano.Op) and isinstance(TUTORIAL["doubleOp1"], theano.gof.Op)
    assert issubclass(T.Elemwise, theano.gof.Op) and not isinstance(T.dvector(), theano.Op)


def test_nodes_remember_the_line_that_applied_the_op():
    x = T.dvector("x")
    y = DoubleOp1()(x)  # applied here
    assert y.owner.where.endswith(f"test_extending.py:{_line('y = DoubleOp1()(x)  # applied')}")


def _line(text: str) -> int:
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if text in line and "_line(" not in line)


def test_fast_compile_debug_mode_and_constant_folding_run_custom_ops():
    x = T.dmatrix("x")
    X = rng.random((2, 3))
    for mode in ("FAST_COMPILE", "FAST_RUN", "DEBUG_MODE"):
        f = theano.function([x], ProdOp()(x, DoubleOp1()(x)), mode=mode)
        np.testing.assert_allclose(f(X), 2 * X * X)
    folded = theano.function([], DoubleOp1()(T.constant(np.ones((2, 2)))))
    assert not folded.graph.apply_nodes and folded().tolist() == [[2.0, 2.0], [2.0, 2.0]]


class WrongDtype(theano.Op):
    """Declares float32 but computes float64: DEBUG_MODE catches it."""

    __props__ = ()

    def make_node(self, x):
        return theano.Apply(self, [x], [T.TensorType("float32", (False,))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2.0


def test_debug_mode_checks_what_perform_stores_against_the_declared_type():
    x = T.dvector("x")
    f = theano.function([x], WrongDtype()(x), mode="DEBUG_MODE")
    with pytest.raises(TypeError, match="DEBUG_MODE: WrongDtype .* float64 array"):
        f(np.ones(2))


class Scale(theano.Op):
    """Multiplies in place (its destroy_map says so); an integer count has no gradient."""

    __props__ = ()
    destroy_map = {0: [0]}

    def make_node(self, x, k):
        x, k = T.as_tensor_variable(x), T.as_tensor_variable(k)
        return Apply(self, [x, k], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, k = inputs
        x *= k
        output_storage[0][0] = x

    def grad(self, inputs, output_grads):
        x, k = inputs
        return [output_grads[0] * k, grad_undefined(self, 1, k)]


def test_destroyed_inputs_are_copies_and_undefined_gradients_raise_only_when_needed():
    x, k = T.dvector("x"), T.dscalar("k")
    X = np.ones(3)
    f = theano.function([x, k], Scale()(x, k))
    np.testing.assert_array_equal(f(X, 3.0), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(X, [1.0, 1.0, 1.0])  # the caller's array is untouched
    cost = Scale()(x, k).sum()
    assert theano.grad(cost, x).eval({x: X, k: 2.0}).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(NullTypeGradError, match="input 1 .* is undefined"):
        theano.grad(cost, k)


class Half(theano.Op):
    """Two outputs, of which calling the op gives the second (``default_output``)."""

    default_output = 1

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type(), x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 0.5
        output_storage[1][0] = inputs[0] - inputs[0] * 0.5


def test_default_output_and_return_list():
    x = T.dvector("x")
    half = Half()
    assert half(x).index == 1
    assert [v.index for v in half(x, return_list=True)] == [1]
    assert len(DoubleOp1()(x, return_list=True)) == 1
    np.testing.assert_array_equal(half(x).eval({x: [2.0]}), [1.0])


def test_bad_ops_fail_clearly():
    x = T.dvector("x")

    class NoPerform(theano.Op):
        def make_node(self, x):
            return Apply(self, [x], [x.type()])

    with pytest.raises(MethodNotDefined, match="perform"):
        NoPerform()(x).eval({x: [1.0]})

    class Forgets(NoPerform):
        def perform(self, node, inputs, output_storage):
            pass

    with pytest.raises(ValueError, match="did not store output 0"):
        Forgets()(x).eval({x: [1.0]})
    with pytest.raises(TypeError, match="new variables"):
        Apply(DoubleOp1(), [x], [T.exp(x)])  # an output some node computes already
    with pytest.raises(TypeError, match="expected Matrix"):
        DoubleOp2()(x)
    with pytest.raises(NotImplementedError, match="define make_node, or itypes and otypes"):
        theano.Op()(x)


def test_theano_graph_helpers():
    from symgraph.gof import graph

    x, y = T.dvectors("x", "y")
    z = T.exp(x) * y + 1.0
    assert set(graph.inputs([z])) == {x, y} | {v for v in graph.inputs([z]) if v.owner is None}
    assert [n.op for n in graph.io_toposort([x, y], [z])] == [n.op for n in toposort([z])]
    assert len(graph.ops([x, y], [z])) == 3
    assert {repr(v) for v in graph.orphans([x, y], [z])} == {"1.0"}
    (x2, y2), (z2,) = graph.clone([x, y], [z])
    assert x2 is not x and set(graph.inputs([z2])) - {x2, y2} == set(graph.orphans([x, y], [z]))
    w = T.dvector("w")
    replaced = theano.clone(z, replace={y: w})
    np.testing.assert_allclose(replaced.eval({x: [0.0], w: [3.0]}), [4.0])
    with pytest.raises(TypeError, match="strict=False"):
        theano.clone(z, replace={y: T.fvector()})


def test_custom_ops_pickle_by_their_class_without_the_nodes_impl_made():
    import pickle

    x, k = T.dvector("x"), T.dscalar("k")
    f = theano.function([x, k], Scale()(x, k) + AXPBOp_like(2, 1)(x))
    f(np.ones(2), 2.0)  # impl has made its nodes
    op = next(n.op for n in f.graph.apply_nodes if isinstance(n.op, Scale))
    assert "_perform_nodes" in vars(op) and "_perform_nodes" not in op.__getstate__()
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(np.ones(2), 2.0), [5.0, 5.0])


class AXPBOp_like(theano.Op):
    """A module-level op with parameters, for pickling (the tutorial's AXPBOp comes from a file)."""

    __props__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.a * inputs[0] + self.b
