#!/usr/bin/env python
"""Custom ops and pickled functions: what they cost against plain NumPy.

Rows (microseconds per call, best of several, timed alternately with the
NumPy version):

* ``x * 2 + 1`` where ``x * 2`` is a Theano-style op (``perform``), an
  ``as_op`` function, an ``OpFromGraph`` and the built-in ``*``, on a 3x3 and
  a 1000x1000 matrix; the NumPy column is ``x * 2 + 1`` written by hand;
* the logistic-regression train step, pickled and loaded (``pickle.loads``)
  against compiled directly; and the time ``pickle.dumps`` / ``pickle.loads``
  take for it.

Run: ``python benchmarks/custom_ops.py``
"""

from __future__ import annotations

import os
import pickle
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import symgraph as theano  # noqa: E402
import symgraph.tensor as T  # noqa: E402
from symgraph.compile.ops import as_op  # noqa: E402

REPEATS = 200


class DoubleOp(theano.Op):
    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2


@as_op(itypes=[T.dmatrix], otypes=[T.dmatrix])
def double(x):
    return x * 2


def best(fn, *args, repeats: int = REPEATS) -> float:
    fn(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def op_rows() -> list[tuple[str, float, float]]:
    x, a = T.dmatrix("x"), T.dmatrix("a")
    graph_op = theano.OpFromGraph([a], [a * 2])
    builds = {
        "Theano-style op (perform)": DoubleOp()(x),
        "as_op": double(x),
        "OpFromGraph": graph_op(x),
        "built-in x * 2": x * 2,
    }
    rows = []
    for size in (3, 1000):
        value = np.random.default_rng(0).random((size, size))
        repeats = REPEATS if size < 100 else 20
        for label, doubled in builds.items():
            f = theano.function([x], doubled + 1)
            ours = best(f, value, repeats=repeats)
            theirs = best(lambda v: v * 2 + 1, value, repeats=repeats)
            rows.append((f"{label}, {size}x{size}", ours, theirs))
    return rows


def pickle_rows() -> list[tuple[str, float, float]]:
    rng = np.random.default_rng(0)
    x, y = T.matrix("x"), T.vector("y")
    w = theano.shared(rng.normal(size=784), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    cost = (-y * T.log(p_1) - (1 - y) * T.log(1 - p_1)).mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function([x, y], cost, updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    data = pickle.dumps(train)
    loaded = pickle.loads(data)
    X, Y = rng.normal(size=(400, 784)), rng.integers(0, 2, 400).astype(float)
    dumps = best(pickle.dumps, train, repeats=20)
    loads = best(pickle.loads, data, repeats=20)
    return [
        ("logistic regression step, loaded vs compiled", best(loaded, X, Y), best(train, X, Y)),
        (f"pickle.dumps ({len(data):,} bytes) vs loads", dumps, loads),
    ]


def main() -> None:
    print(f"| {'case':<48} | {'symgraph µs':>11} | {'reference µs':>12} | {'ratio':>5} |")
    print(f"| {'-' * 48} | {'-' * 11} | {'-' * 12} | {'-' * 5} |")
    for label, ours, theirs in op_rows() + pickle_rows():
        print(
            f"| {label:<48} | {ours * 1e6:>11.1f} | {theirs * 1e6:>12.1f} | {ours / theirs:>5.2f} |"
        )


if __name__ == "__main__":
    main()
