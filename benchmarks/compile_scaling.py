"""How long compiling takes, and how it grows with the graph.

    python benchmarks/compile_scaling.py           # about a minute
    python benchmarks/compile_scaling.py --quick   # one repeat, smaller sizes

Families of graphs, each at growing sizes:

* the seed logistic-regression train function (Theano's tutorial), once;
* a deep elementwise chain ``sin``/``tanh * 0.5 + 0.1`` of n levels;
* a wide sum of n weighted vector terms ``w_i * x``, each ``w_i`` shared;
* k layers of ``tanh(h @ W + b)`` (width 64) with a squared-error cost and the
  gradient-descent updates of every W and b: build + grad + compile + first call.

Columns: graph nodes before and after FAST_RUN (a fused elementwise node counts
as one), rule firings, ``optimize`` alone and the whole of ``function()`` (graph
to callable), the best of several runs, and ``function()`` per input node. Each
family ends with its growth exponent: the slope of log(time) against log(size)
over its rows (1.0 is linear). Times are process CPU time, so other work on the
machine does not count.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import symgraph as theano  # noqa: E402
import symgraph.tensor as T  # noqa: E402
from symgraph.graph.fgraph import Graph  # noqa: E402
from symgraph.rewrite.pipeline import optimize  # noqa: E402


def seed_program():
    """Inputs, outputs and updates of the tutorial's train function."""
    rng = np.random.default_rng(0)
    x, y = T.matrix("x"), T.vector("y")
    w = theano.shared(rng.normal(size=784), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    return [x, y], [p_1 > 0.5, xent], [(w, w - 0.1 * gw), (b, b - 0.1 * gb)]


def deep_chain(n: int):
    """``n`` levels of elementwise functions of one vector."""
    x = T.dvector("x")
    y = x
    for i in range(n):
        y = T.tanh(y) * 0.5 + 0.1 if i % 2 else T.sin(y)
    return [x], [y], []


def wide_sum(n: int):
    """``sum(w_i * x)`` over ``n`` shared weight vectors, written as a user would: a loop."""
    x = T.dvector("x")
    total = None
    for i in range(n):
        term = theano.shared(np.full(3, float(i)), name=f"w{i}") * x
        total = term if total is None else total + term
    return [x], [total.sum()], []


def tanh_chain(layers: int, width: int = 64):
    """Inputs, outputs and updates of a ``layers``-deep tanh network trained by gradient descent."""
    rng = np.random.default_rng(0)
    x, y = T.matrix("x"), T.matrix("y")
    h, params = x, []
    for i in range(layers):
        W = theano.shared(rng.normal(size=(width, width)) / np.sqrt(width), name=f"W{i}")
        b = theano.shared(np.zeros(width), name=f"b{i}")
        params += [W, b]
        h = T.tanh(T.dot(h, W) + b)
    cost = ((h - y) ** 2).mean()
    grads = T.grad(cost, params)
    return [x, y], [cost], [(p, p - 0.1 * g) for p, g in zip(params, grads)]


def best_of(repeat: int, run) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def measure(name: str, program, repeat: int) -> tuple[str, int, float]:
    """A table row for ``program``, its input node count and its ``function()`` time."""
    inputs, outputs, updates = program()
    graph = Graph(inputs, [*outputs, *(new for _, new in updates)])
    optimized, firings = optimize(graph, "fast_run")
    rewrite_time = best_of(repeat, lambda: optimize(graph, "fast_run"))
    compile_time = best_of(repeat, lambda: theano.function(inputs, outputs, updates=updates))
    nodes = len(graph.apply_nodes)
    row = (
        f"| {name} | {nodes} | {len(optimized.apply_nodes)} | {len(firings)} "
        f"| {rewrite_time * 1e3:.1f} | {compile_time * 1e3:.1f} | {compile_time / nodes * 1e6:.0f} |"
    )
    return row, nodes, compile_time


def end_to_end(layers: int, repeat: int) -> float:
    """Build + grad + compile + first call of the ``layers``-deep tanh network (seconds)."""
    data = np.ones((32, 64))

    def run():
        inputs, outputs, updates = tanh_chain(layers)
        theano.function(inputs, outputs, updates=updates)(data, data)

    return best_of(repeat, run)


def exponent(points: list[tuple[int, float]]) -> float:
    """The least-squares slope of log(time) against log(size)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / sum((a - mx) ** 2 for a in xs)


def family(title: str, program, sizes, repeat: int) -> None:
    points = []
    for size in sizes:
        row, nodes, seconds = measure(f"{title}, n = {size}", lambda s=size: program(s), repeat)
        print(row)
        points.append((nodes, seconds))
    print(f"| {title}: growth exponent | | | | | {exponent(points):.2f} | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, smaller sizes")
    quick = parser.parse_args().quick
    repeat = 1 if quick else 3
    print(
        "| graph | nodes before | nodes after | firings | optimize (ms) | function() (ms) "
        "| function() per node (µs) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(measure("seed logistic regression", seed_program, repeat)[0])
    scale = (1, 2, 4) if quick else (1, 2, 4, 8)
    family("deep chain", deep_chain, [625 * k for k in scale], repeat)
    family("wide sum", wide_sum, [1250 * k for k in scale], repeat)
    family("tanh layers", tanh_chain, (1, 4, 16, 64) if quick else (1, 4, 16, 64, 256), repeat)
    print()
    print("| tanh layers, build + grad + compile + first call | ms |")
    print("| --- | ---: |")
    for layers in (16, 64):
        print(f"| k = {layers} | {end_to_end(layers, repeat) * 1e3:.0f} |")


if __name__ == "__main__":
    main()
