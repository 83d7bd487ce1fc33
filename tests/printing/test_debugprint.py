"""debugprint: tree structure, ids of shared subtrees, names, constants, types, schedules."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

import symgraph
import symgraph.tensor as T
from symgraph.graph.fgraph import Graph
from symgraph.printing import debugprint, dprint
from symgraph.printing.debugprint import char_id
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorOp


def test_shared_subtree_is_printed_once_then_referenced_by_id():
    x = T.dvector("x")
    e = T.exp(x)
    text = debugprint(e * e + e, file="str")
    assert text == (
        "add [id A]\n"
        " ├─ mul [id B]\n"
        " │  ├─ exp [id C]\n"
        " │  │  └─ x [id D]\n"
        " │  └─ exp [id C] ···\n"
        " └─ exp [id C] ···\n"
    )
    assert text.count("x [id D]") == 1


def test_names_constants_and_types():
    x = T.dvector("x")
    m = T.tensor("m", shape=(3, None))
    p = T.sigmoid(x * 2.0)
    p.name = "p"
    text = debugprint([p, m.sum()], file="str", print_type=True)
    lines = text.splitlines()
    assert lines[0] == "sigmoid [id A] <Vector(float64)> 'p'"
    assert "    ├─ x [id C] <Vector(float64)>" in lines
    assert any(line.endswith("2.0 [id D] <Scalar(float64)>") for line in lines)
    assert "m [id F] <Tensor(float64, shape=(3, ?))>" in text


def test_a_root_shared_by_two_outputs_keeps_its_id():
    x = T.dvector("x")
    text = debugprint([T.exp(x), T.log(x)], file="str")
    assert text.splitlines() == ["exp [id A]", " └─ x [id B]", "log [id C]", " └─ x [id B]"]


def test_id_styles_and_destinations(capsys):
    x = T.dscalar("x")
    y = T.neg(x)
    assert debugprint(y, file="str", ids="int") == "neg [id 0]\n └─ x [id 1]\n"
    assert debugprint(y, file="str", ids="") == "neg\n └─ x\n"
    assert f"[id {id(x):x}]" in debugprint(y, file="str", ids="id")
    stream = io.StringIO()
    assert debugprint(y, file=stream) is None
    assert stream.getvalue() == "neg [id A]\n └─ x [id B]\n"
    assert dprint(y) is None and symgraph.dprint is debugprint
    assert capsys.readouterr().out == "neg [id A]\n └─ x [id B]\n"
    with pytest.raises(ValueError, match="ids must be one of"):
        debugprint(y, ids="letters")
    with pytest.raises(TypeError, match="cannot print int"):
        debugprint(3)


def test_char_ids_run_like_spreadsheet_columns():
    assert [char_id(n) for n in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_ops_without_their_own_text_show_their_parameters():
    x = T.ivector("x")
    text = debugprint(T.cast(x, "float32") + T.stack([x.shape[0]]), file="str")
    assert "Cast{float32} [id" in text and "Join{axis=0, new_axis=True} [id" in text


@dataclass(frozen=True)
class SplitHalves(TensorOp):
    """A two-output op, to see how outputs of one node are told apart."""

    nout = 2

    def infer_type(self, x):
        return TensorType(x.dtype, (None,)), TensorType(x.dtype, (None,))


def test_outputs_of_a_multi_output_node_carry_their_index():
    x = T.dvector("x")
    low, high = SplitHalves()(x)
    text = debugprint(low + high, file="str")
    assert "SplitHalves.0 [id B]" in text and "SplitHalves.1 [id D]" in text


@dataclass
class Compiled:
    """What printers need of a compiled function: its optimized ``graph``."""

    graph: Graph


def test_a_compiled_graph_shows_schedule_positions():
    x = T.dvector("x")
    y = T.exp(x) + T.log(x)
    text = debugprint(Compiled(Graph([x], [y])), file="str")
    assert text.splitlines() == [
        "add [id A]  2",
        " ├─ exp [id B]  0",
        " │  └─ x [id C]",
        " └─ log [id D]  1",
        "    └─ x [id C]",
    ]


def test_a_deep_graph_prints_without_recursion():
    x = T.dscalar("x")
    y = x
    for _ in range(3000):
        y = T.neg(y)
    lines = debugprint(y, file="str", ids="").splitlines()
    assert len(lines) == 3001 and lines[-1].endswith("└─ x")


def test_inner_graphs_of_scan_and_ifelse_are_printed_after_the_tree():
    from symgraph.ifelse import ifelse

    a, b = T.dscalars("a", "b")
    text = debugprint(ifelse(T.lt(a, b), T.exp(a), b * 2), file="str")
    head, inner = text.split("Inner graphs:")
    assert "exp" not in head and "mul" not in head
    assert " then:" in inner and " else:" in inner
    assert inner.index("exp") < inner.index(" else:") < inner.index("mul")

    v = T.dvector("v")
    result, _ = symgraph.scan(
        lambda prior, v: prior * v, outputs_info=T.ones_like(v), non_sequences=v, n_steps=3
    )
    head, inner = debugprint(result[-1], file="str").split("Inner graphs:")
    scan_line = next(line for line in head.splitlines() if "Scan" in line)
    assert inner.splitlines()[1] == scan_line.lstrip(" ├└─│")  # named by its id in the tree
    assert inner.splitlines()[2] == " step:" and "mul" in inner
