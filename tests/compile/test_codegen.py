"""Generated source: one commented line per node, names, literals, linecache, errors, inline."""

import gc
import linecache
import traceback
from dataclasses import dataclass

import numpy as np
import pytest

import symgraph as theano
import symgraph.tensor as T
from symgraph.compile.codegen import inline
from symgraph.graph.fgraph import Graph
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp

NO_REWRITES = theano.Mode(optimizer=None)


def _line_of(marker: str) -> int:
    """The line number in this file of the line containing ``marker``."""
    with open(__file__) as source:
        return next(
            i for i, text in enumerate(source, 1) if marker in text and "_line_of" not in text
        )


def test_one_commented_line_per_node():
    x = T.dvector("x")
    y = T.exp(x) * 2.0  # marker: exp-line
    f = theano.function([x], y, mode=NO_REWRITES, name="scaled_exp")
    where = f"test_codegen.py:{_line_of('marker: exp-line')}"
    lines = f.source.splitlines()
    assert lines[0] == "def scaled_exp(x):"
    node_lines = [s for s in lines if "# " in s and "constants" not in s]
    assert len(node_lines) == len(f.graph.apply_nodes) == 2
    assert node_lines[0].split("#")[0].strip() == "t1 = np.exp(x)"
    assert node_lines[0].split("#")[1].split() == ["exp", where]
    assert node_lines[1].split("#")[1].split() == ["mul", where]
    np.testing.assert_allclose(f([0.0, 1.0]), 2 * np.exp([0.0, 1.0]))


def test_names_come_from_unique_user_names():
    x = T.dvector("x")
    other_x = T.dvector("x")
    total = (x + other_x).sum()
    total.name = "total"
    f = theano.function([x, other_x], total, mode=NO_REWRITES)
    assert f.source.startswith("def fn(x, x_2):")
    assert "    total = t1.sum(axis=0)" in f.source
    assert f(np.ones(2), np.ones(2)) == 4.0
    for bad in ["lambda", "my var", "2x"]:
        v = T.dscalar(bad)
        g = theano.function([v], v + 1.0, mode=NO_REWRITES)
        assert g(1.0) == 2.0


def test_small_scalars_are_literals_and_other_constants_are_bound_once():
    x = T.dvector("x")
    big = np.arange(20.0)
    f = theano.function([x], (x * 0.5 + big) - x * (-3.0) * big, mode=NO_REWRITES)
    assert "x * 0.5" in f.source and "np.multiply(x, (-3.0), out=ws[0])" in f.source
    assert f.source.count("c1") == 3 and "c2" not in f.source  # the big array is bound once
    assert "#   c1 = array of shape (20,) (float64)" in f.source
    np.testing.assert_allclose(f(np.ones(20)), 0.5 + big + 3.0 * big)


def test_literals_keep_the_dtype_the_graph_declares():
    x32 = T.fvector("x32")
    explicit = x32 * T.constant(0.5)  # a float64 constant widens float32 to float64
    weak = x32 * 0.5  # a Python number does not
    f = theano.function([x32], [explicit, weak], mode=theano.Mode(optimizer=None, debug=True))
    wide, narrow = f(np.ones(3, dtype="float32"))
    assert (wide.dtype, narrow.dtype) == (explicit.dtype, weak.dtype) == ("float64", "float32")
    assert "x32 * 0.5" in f.source  # the float32 constant reads back exactly as 0.5
    i8 = T.bvector("i8")
    g = theano.function(
        [i8], [i8 + 3, i8 + T.constant(3)], mode=theano.Mode(optimizer=None, debug=True)
    )
    assert [r.dtype for r in g(np.ones(2, "int8"))] == ["int8", "int64"]


def test_linecache_shows_the_generated_line_in_tracebacks_and_is_cleaned_up():
    m = T.dmatrix("m")
    x = T.dvector("x")
    g = theano.function([m, x], T.dot(m, x), mode=NO_REWRITES, name="product")
    with pytest.raises(ValueError) as caught:
        g(np.ones((2, 3)), np.ones(4))
    text = "".join(traceback.format_exception(caught.value))
    assert "in product" in text and "t1 = m @ x" in text
    frames = traceback.extract_tb(caught.value.__traceback__)
    filename = next(fs.filename for fs in frames if fs.filename.startswith("<symgraph"))
    assert linecache.getline(filename, 1) == "def product(m, x):\n"
    del g, caught, frames
    gc.collect()
    assert filename not in linecache.cache


def test_runtime_errors_name_the_op_the_shapes_and_the_user_line():
    m = T.dmatrix("m")
    v = T.dvector("v")
    product = T.dot(m, v)  # marker: dot-line
    f = theano.function([m, v], product * 2.0, mode=NO_REWRITES)
    with pytest.raises(ValueError) as caught:
        f(np.ones((2, 3)), np.ones(4))
    message = str(caught.value)
    assert message.startswith("Dot failed at test_codegen.py:")
    assert f"test_codegen.py:{_line_of('marker: dot-line')}" in message
    assert "shape (2, 3)" in message and "shape (4,)" in message
    i = T.lscalar("i")
    g = theano.function([v, i], v[i] * 2.0, mode=NO_REWRITES)
    with pytest.raises(IndexError, match=r"Subtensor.*failed.*index 5 is out of bounds"):
        g(np.ones(3), 5)
    w = T.dvector("w")
    h = theano.function([v, w], v + w)
    with pytest.raises(ValueError, match=r"shapes \(3,\) \(4,\)"):
        h(np.ones(3), np.ones(4))


@dataclass(frozen=True)
class _WrongDtype(TensorOp):
    """Declares float64 but its code computes float32: only DEBUG_MODE notices."""

    def infer_type(self, x):
        return TensorType("float64", x.type.shape)

    def impl(self, x):
        return x.astype("float64")

    def code(self, x):
        return f"{x}.astype(np.float32)"


def test_debug_mode_checks_every_output_against_its_type():
    x = T.dvector("x")
    y = _WrongDtype()(x)  # marker: wrong-dtype
    assert theano.function([x], y, mode=NO_REWRITES)(np.ones(2)).dtype == "float32"
    f = theano.function([x], y, mode="DEBUG_MODE")
    with pytest.raises(
        TypeError,
        match=r"DEBUG_MODE: _WrongDtype.*float32 array of shape \(2,\).*Vector\(float64\)",
    ):
        f(np.ones(2))
    with pytest.raises(TypeError, match=f"test_codegen.py:{_line_of('marker: wrong-dtype')}"):
        f(np.ones(2))


@dataclass(frozen=True, eq=False)
class _ApplyInner(TensorOp):
    """Runs an inner graph of one input through ``inline``, as ifelse and scan do."""

    inner: Graph

    def infer_type(self, x):
        return self.inner.outputs[0].type

    def impl(self, x):
        from symgraph.tensor.evaluate import evaluate

        return evaluate(self.inner.outputs[0], {self.inner.inputs[0]: x})

    def emit(self, outs, names):
        lines, (result,) = inline(self.inner, names, prefix="inner_")
        return ["if True:"] + ["    " + s for s in lines] + [f"    {outs[0]} = {result}"]


def test_inline_emits_an_inner_graph_with_prefixed_temporaries():
    u = T.dvector("u")
    scale = theano.shared(3.0, name="scale")
    inner = Graph([u], [T.log(u) * scale + 1.0])  # marker: inner-log
    x = T.dvector("x")
    f = theano.function([x], _ApplyInner(inner)(x) * 2.0, mode=NO_REWRITES)
    np.testing.assert_allclose(f([1.0, np.e]), 2 * (3 * np.log([1.0, np.e]) + 1))
    assert "    inner_t1 = np.log(x)" in f.source
    assert "inner_scale = scale_storage.value" in f.source
    assert f"# log  test_codegen.py:{_line_of('marker: inner-log')}" in f.source
    v = T.dmatrix("v")
    g = theano.function(
        [v], _ApplyInner(Graph([u], [T.dot(u, np.ones(2))]))(v[0]), mode=NO_REWRITES
    )
    with pytest.raises(ValueError, match="Dot failed at test_codegen.py"):
        g(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="inside an op's emit"):
        inline(inner, ["x"], "p_")


def test_identity_ops_are_aliases_not_lines():
    x = T.dvector("x")
    y = theano.gradient.disconnected_grad(x * 2.0)
    f = theano.function([x], y + 1.0, mode=NO_REWRITES)
    assert "disconnected_grad" not in f.source
    np.testing.assert_allclose(f([1.0]), [3.0])


def test_a_mean_reads_its_count_as_one_shape_entry():
    v, m, f32 = T.dvector("v"), T.dmatrix("m"), T.fmatrix("f")
    cases = [
        (v.mean(), "np.float64(v.shape[0])", lambda a, b, c: a.mean()),
        (m.mean(axis=1), "np.float64(m.shape[1])", lambda a, b, c: b.mean(axis=1)),
        (m.var(axis=0), "np.float64(m.shape[0])", lambda a, b, c: b.var(axis=0)),
        (f32.mean(axis=-1), "np.float32(f.shape[1])", lambda a, b, c: c.mean(axis=-1)),
    ]
    data = (np.arange(5.0), np.arange(12.0).reshape(3, 4), np.ones((2, 3), "float32"))
    for out, entry, reference in cases:
        f = theano.function([v, m, f32], out, on_unused_input="ignore")
        assert entry in f.source and "np.array(" not in f.source
        result = f(*data)
        assert result.dtype == out.dtype
        np.testing.assert_allclose(result, reference(*data), rtol=1e-6)
        unoptimized = theano.function([v, m, f32], out, on_unused_input="ignore", mode=NO_REWRITES)
        np.testing.assert_allclose(result, unoptimized(*data), rtol=1e-6)
