"""Per-node timing for ``function(..., profile=True)``: the generated code ticks a clock per node."""

from __future__ import annotations

import sys
from time import perf_counter
from typing import TextIO

from symgraph.compile.codegen import short_where
from symgraph.graph.basic import Apply


class Profile:
    """Time spent in each node over all calls, and the number of calls.

    The generated function calls ``start()`` on entry and ``tick(k, clock)``
    after the k-th node, so each node's time includes one clock reading.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0
        self.nodes: list[Apply] = []
        self.times: list[float] = []

    def start(self) -> float:
        self.calls += 1
        return perf_counter()

    def tick(self, index: int, clock: float) -> float:
        now = perf_counter()
        self.times[index] += now - clock
        return now

    def summary(self) -> str:
        """A table of the nodes, slowest first: total and per-call time, share, op and line."""
        total = sum(self.times) or 1.0
        calls = max(self.calls, 1)
        rows = [
            f"profile of {self.name}: {self.calls} calls, {sum(self.times) * 1e3:.3f} ms in nodes",
            f"{'total ms':>10} {'us/call':>10} {'%':>6}  op  (where)",
        ]
        order = sorted(range(len(self.times)), key=lambda k: -self.times[k])
        for k in order:
            node, t = self.nodes[k], self.times[k]
            rows.append(
                f"{t * 1e3:>10.3f} {t / calls * 1e6:>10.2f} {100 * t / total:>6.1f}  "
                f"{node.op}  ({short_where(node.where)})"
            )
        return "\n".join(rows)

    def print(self, file: TextIO | None = None) -> None:
        """Write ``summary()`` to ``file`` (standard output by default)."""
        print(self.summary(), file=file or sys.stdout)

    __str__ = summary
