#!/usr/bin/env python
"""Every way symgraph prints a graph, on the tutorial's logistic regression.

The cost, its gradient and the compiled training function are shown as one
line of math (``pprint``), as an indented tree (``debugprint``), before and
after optimization side by side (``compare``), as the generated NumPy source,
as a networkx graph, as Graphviz DOT, and as SymPy and LaTeX.

Run: ``python examples/printing_tour.py`` (with Graphviz's ``dot`` installed,
it also writes ``cost_before.svg`` and ``cost_after.svg``).
"""

import shutil
from collections import Counter

import networkx as nx
import numpy as np

import symgraph as theano
import symgraph.tensor as T
from symgraph import printing

rng = np.random.default_rng(2024)
N, feats = 400, 784
D = (rng.normal(size=(N, feats)), rng.integers(0, 2, size=N).astype(float))

x = T.matrix("x")
y = T.vector("y")
w = theano.shared(rng.normal(size=feats), name="w")
b = theano.shared(0.0, name="b")
p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))  # probability that the target is 1
prediction = p_1 > 0.5
xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)  # cross-entropy
cost = xent.mean() + 0.01 * (w**2).sum()
cost.name = "cost"
gw, gb = T.grad(cost, [w, b])
updates = [(w, w - 0.1 * gw), (b, b - 0.1 * gb)]
train = theano.function([x, y], [prediction, xent], updates=updates)
cost_fn = theano.function([x, y], cost)


def section(title: str) -> None:
    print(f"\n{'=' * 100}\n{title}\n{'=' * 100}")


section("1. pprint: one line of math; a subexpression used twice is named once (let ... in)")
print("cost =", printing.pprint(cost))
print("gb   =", printing.pprint(gb))

section("2. debugprint: the cost as the user built it; '···' marks a subtree printed above")
printing.debugprint(cost)

section("3. debugprint with types: dtype and static shape ('?' = known only at run time)")
printing.debugprint(xent, print_type=True)

section("4. debugprint of the gradient of the cost with respect to b")
printing.debugprint(gb)

section("5. the cost before and after optimization (compiled: each node's place in the schedule)")
printing.compare(cost, cost_fn)

section("6. the compiled train function: its optimized graph, updates included")
printing.debugprint(train)

section("7. what the optimizer did: the rewrites that fired")
for firing in train.rewrites:
    print(firing)
print(f"({len(train.rewrites)} firings)")

section("8. the generated NumPy source of train")
print(train.source)

section("9. networkx: the same graphs as data")
before = [prediction, xent] + [new for _, new in updates]
for title, obj in (("before optimization", before), ("after optimization", train)):
    g = printing.to_networkx(obj)
    ops = Counter(d["op"] for _, d in g.nodes(data=True) if d["kind"] == "apply")
    print(
        f"{title}: {sum(ops.values())} apply nodes, {g.number_of_nodes()} nodes in all, "
        f"longest path {nx.dag_longest_path_length(g)} edges; most used: {ops.most_common(3)}"
    )

section("10. Graphviz DOT text of the compiled cost (no Graphviz needed to write it)")
print(printing.to_dot(cost_fn))
if shutil.which("dot"):
    print("rendered:", printing.pydotprint(cost, "cost_before.svg", format="svg"))
    print("rendered:", printing.pydotprint(cost_fn, "cost_after.svg", format="svg"))
else:
    print("(install Graphviz's `dot` to render pictures with printing.pydotprint)")

section("11. SymPy and LaTeX")
print("cost  =", printing.to_sympy(cost))
print("LaTeX:", printing.latex(cost))
print("p_1   =", printing.to_sympy(p_1), " (element i of the vector)")
print("x @ w =", printing.to_sympy(T.dot(x, w)), " (linear algebra stays matrix algebra)")

section("12. and it still trains")
for _ in range(10):
    pred, err = train(D[0], D[1])
print(f"after 10 steps: mean cross-entropy {err.mean():.4f}, cost {cost_fn(D[0], D[1]):.4f}")
