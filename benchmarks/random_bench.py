#!/usr/bin/env python
"""Compiled random draws against NumPy's own calls on a generator, in the same process.

    python benchmarks/random_bench.py            # about half a minute
    python benchmarks/random_bench.py --quick    # fewer rounds, for a smoke test

Each row compiles a function drawing from a ``RandomStreams`` and times one
call against the NumPy statement a hand-written program would use, on a
generator of its own. Prints a Markdown table: CPU time per call of each
(best loop) and the median over rounds of ours / NumPy (``run.paired_times``).

A Bernoulli mask (``binomial`` with ``n=1``, dropout and the denoising
autoencoder's corruption) is drawn as ``rng.random(size) < p``, which is
several times faster than NumPy's ``rng.binomial(1, p, size)``; the other
rows call the same NumPy method as the hand-written side, so their ratio
shows the price of the compiled function around it (saving the generator's
state, storing it back): a few microseconds.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from run import paired_times  # noqa: E402

import symgraph as theano  # noqa: E402
import symgraph.tensor as T  # noqa: E402
from symgraph.tensor.shared_randomstreams import RandomStreams  # noqa: E402

SHAPE = (500, 784)


def rows():
    """(label, compiled call, hand-written call) per row."""
    srng = RandomStreams(seed=0)
    rng = np.random.default_rng(0)
    x = T.matrix("x")
    data = np.random.default_rng(1).random(SHAPE)
    corrupt = theano.function([x], srng.binomial(size=x.shape, n=1, p=0.7, dtype="float64") * x)
    mask = theano.function([], srng.binomial(size=SHAPE, n=1, p=0.5))
    normal = theano.function([], srng.normal(SHAPE, avg=1.0, std=2.0))
    uniform = theano.function([], srng.uniform(SHAPE, low=-1.0, high=1.0))
    small = theano.function([], srng.normal((3,)))
    return [
        ("binomial mask 500x784", mask, lambda: rng.binomial(1, 0.5, SHAPE)),
        (
            "corrupted input (mask * x)",
            lambda: corrupt(data),
            lambda: rng.binomial(1, 0.7, data.shape) * data,
        ),
        ("normal 500x784", normal, lambda: rng.normal(1.0, 2.0, SHAPE)),
        ("uniform 500x784", uniform, lambda: rng.uniform(-1.0, 1.0, SHAPE)),
        ("normal (3,): per-call cost", small, lambda: rng.normal(0.0, 1.0, 3)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    repeat = 3 if parser.parse_args().quick else 15
    print("| draw | ours | NumPy | ours / NumPy |")
    print("| --- | ---: | ---: | ---: |")
    for label, ours, hand in rows():
        t_ours, t_hand, ratio = paired_times(ours, hand, repeat)
        print(f"| {label} | {_time(t_ours)} | {_time(t_hand)} | {ratio:.2f} |")


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.1f} us"


if __name__ == "__main__":
    main()
