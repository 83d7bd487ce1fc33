"""How long compiling takes, and how it grows with the graph: the measurement behind the optimizer.

    python benchmarks/compile_scaling.py           # a few seconds
    python benchmarks/compile_scaling.py --quick   # one repeat

Rows: the seed logistic-regression train function (Theano's tutorial), then a
chain of k ``tanh(h @ W + b)`` layers (width 32) with a squared-error cost and
the gradient updates of every W and b, for k = 1, 4, 16, 64. Columns: graph
nodes before and after FAST_RUN (a fused elementwise node counts as one), the
rule firings, ``optimize`` alone and the whole of ``function()`` (graph to
callable), each the best of several runs, and the optimize time per node of
the input graph (flat when the optimizer scales linearly).
"""

from __future__ import annotations

import argparse
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


def tanh_chain(layers: int, width: int = 32):
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
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def measure(name: str, program, repeat: int) -> str:
    inputs, outputs, updates = program()
    graph = Graph(inputs, [*outputs, *(new for _, new in updates)])
    optimized, firings = optimize(graph, "fast_run")
    rewrite_time = best_of(repeat, lambda: optimize(graph, "fast_run"))
    compile_time = best_of(repeat, lambda: theano.function(inputs, outputs, updates=updates))
    per_node = rewrite_time / len(graph.apply_nodes) * 1e6
    return (
        f"| {name} | {len(graph.apply_nodes)} | {len(optimized.apply_nodes)} | {len(firings)} "
        f"| {rewrite_time * 1e3:.1f} | {compile_time * 1e3:.1f} | {per_node:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat instead of five")
    repeat = 1 if parser.parse_args().quick else 5
    print(
        "| graph | nodes before | nodes after | firings | optimize (ms) | function() (ms) "
        "| optimize per node (µs) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(measure("seed logistic regression", seed_program, repeat))
    for layers in (1, 4, 16, 64):
        print(measure(f"tanh chain, k = {layers}", lambda k=layers: tanh_chain(k), repeat))


if __name__ == "__main__":
    main()
