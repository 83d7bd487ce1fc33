"""Compiled train steps against careful hand-written NumPy, in the same process.

    python benchmarks/run.py            # about a minute
    python benchmarks/run.py --quick    # fewer repeats, for a smoke test

Prints one Markdown table: CPU time per call (best of several loops), the
ratio ours / hand-written, the time ``function()`` takes (graph already
built), the peak memory one call allocates (``tracemalloc``, which sees
NumPy's buffers), the page faults one call takes, and the largest difference
between the two implementations' updated weights after one step (they
compute the same thing).

Rows: the seed logistic-regression step (N=400, 784 features, float64), a
784-256-10 ReLU/softmax MLP step on the same N, and the per-call overhead of a
compiled scalar ``x + y`` (against the bare NumPy addition it runs). BLAS runs
on one thread unless ``OPENBLAS_NUM_THREADS`` says otherwise, so the timings
compare the Python around the matrix products, not thread scheduling.

How the comparison is kept fair on a shared machine:

* the two sides alternate, one loop of each per round, and the ratio is the
  median over rounds of ours / hand, so load that comes and goes affects
  both alike (the times shown are each side's best loop);
* every row runs in a fresh process. glibc's allocator returns freed memory
  of large arrays to the system or keeps it depending on what the process
  allocated before, and an array in fresh memory costs a page fault per 4 KiB
  (a step of the MLP takes about 1,350 of them written by hand, some 1 ms of
  its 9): measured one after another in one process, a row's hand-written
  time moved by a third with the row before it. The page-fault columns show
  what each side pays.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import timeit
import tracemalloc
import warnings
from collections.abc import Callable

# one BLAS thread for both sides: the comparison is of the Python around the BLAS calls
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import symgraph as theano  # noqa: E402
import symgraph.tensor as T  # noqa: E402

N, FEATS, HIDDEN, CLASSES = 400, 784, 256, 10


def paired_times(
    ours: Callable[[], object], hand: Callable[[], object], repeat: int, budget: float = 0.05
) -> tuple[float, float, float]:
    """CPU seconds per call of each (best loop), and the median over rounds of ours / hand.

    Each round runs one loop of about ``budget`` seconds of each, back to back.
    Process CPU time (BLAS runs on this thread) leaves out the time other
    processes take the CPU; what they do to the caches shows in both loops of a
    round alike, which the median of the per-round ratios keeps out.
    """
    counts = []
    for call in (ours, hand):
        call()
        once = timeit.timeit(call, number=1, timer=time.process_time)
        counts.append(max(1, int(budget / max(once, 1e-6))))
    rounds: list[tuple[float, float]] = []
    for _ in range(repeat):
        rounds.append(
            tuple(
                timeit.timeit(call, number=count, timer=time.process_time) / count
                for call, count in zip((ours, hand), counts)
            )
        )
    ratios = sorted(o / h for o, h in rounds)
    return min(o for o, _ in rounds), min(h for _, h in rounds), ratios[len(ratios) // 2]


def page_faults(call: Callable[[], object], number: int = 5) -> float:
    """Minor page faults per call (fresh memory the system maps in), after a first call."""
    call()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(number):
        call()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / number


def peak_bytes(call: Callable[[], object]) -> int:
    """Bytes allocated at the high-water mark of one call, beyond what was live before."""
    call()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    call()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def compile_seconds(build: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        build()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


# -- logistic regression ---------------------------------------------------------------------


def logreg_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    return rng.randn(N, FEATS), rng.randint(0, 2, N).astype("float64"), rng.randn(FEATS)


def logreg_compiled(w0: np.ndarray, mode=None):
    """The seed program's train function, and a builder that compiles it again."""
    x, y = T.matrix("x"), T.vector("y")
    w, b = theano.shared(w0, name="w"), theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    updates = ((w, w - 0.1 * gw), (b, b - 0.1 * gb))

    def build():
        return theano.function([x, y], [prediction, xent], updates=updates, mode=mode, name="train")

    return build(), build, w


def logreg_by_hand(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray):
    """One step written carefully by hand: stable cross-entropy, gradient p - y, in place."""
    z = x @ w
    z += b
    p = 1.0 / (1.0 + np.exp(-z))
    prediction = p > 0.5
    xent = y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)
    p -= y
    p /= len(y)
    gw = x.T @ p
    gw += 0.02 * w
    w -= 0.1 * gw
    b -= 0.1 * p.sum()
    return prediction, xent


# -- MLP -------------------------------------------------------------------------------------


def mlp_data(seed: int = 1) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.RandomState(seed)
    params = [
        rng.randn(FEATS, HIDDEN) * 0.05,
        np.zeros(HIDDEN),
        rng.randn(HIDDEN, CLASSES) * 0.05,
        np.zeros(CLASSES),
    ]
    return rng.randn(N, FEATS), rng.randint(0, CLASSES, N), params


def mlp_compiled(values: list[np.ndarray], mode=None):
    x, y = T.matrix("x"), T.lvector("y")
    params = [theano.shared(v, name=n) for v, n in zip(values, ["W1", "b1", "W2", "b2"])]
    w1, b1, w2, b2 = params
    hidden = T.nnet.relu(T.dot(x, w1) + b1)
    p = T.nnet.softmax(T.dot(hidden, w2) + b2)
    cost = T.nnet.categorical_crossentropy(p, y).mean()
    grads = T.grad(cost, params)
    updates = [(q, q - 0.1 * g) for q, g in zip(params, grads)]

    def build():
        return theano.function([x, y], cost, updates=updates, mode=mode, name="mlp_step")

    return build(), build, params


def mlp_by_hand(x: np.ndarray, y: np.ndarray, w1, b1, w2, b2) -> float:
    """One step of the same MLP by hand: softmax cross-entropy gradient p - onehot(y)."""
    a1 = x @ w1
    a1 += b1
    hidden = np.maximum(a1, 0.0)
    a2 = hidden @ w2
    a2 += b2
    a2 -= a2.max(axis=1, keepdims=True)
    p = np.exp(a2)
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    cost = -np.log(p[rows, y]).mean()
    p[rows, y] -= 1.0
    p /= len(y)
    gw2, gb2 = hidden.T @ p, p.sum(axis=0)
    dh = p @ w2.T
    dh *= a1 > 0
    gw1, gb1 = x.T @ dh, dh.sum(axis=0)
    w1 -= 0.1 * gw1
    b1 -= 0.1 * gb1
    w2 -= 0.1 * gw2
    b2 -= 0.1 * gb2
    return cost


# -- rows ------------------------------------------------------------------------------------


HEADER = [
    "| benchmark | ours us/call | hand us/call | ours/hand | compile ms | peak MB ours "
    "| peak MB hand | page faults ours | page faults hand | max weight diff |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def row(name, ours, hand, compile_s, diff) -> str:
    """A table row: ``ours`` and ``hand`` are the zero-argument calls being compared."""
    best_ours, best_hand, ratio = paired_times(ours, hand, REPEAT)
    peaks = peak_bytes(ours) / 2**20, peak_bytes(hand) / 2**20
    faults = page_faults(ours), page_faults(hand)
    return (
        f"| {name} | {best_ours * 1e6:,.1f} | {best_hand * 1e6:,.1f} | {ratio:.2f} | "
        f"{compile_s * 1e3:.1f} | {peaks[0]:.2f} | {peaks[1]:.2f} | {faults[0]:,.0f} | "
        f"{faults[1]:,.0f} | {diff:.1e} |"
    )


def bench_logreg(mode, label: str) -> str:
    x, y, w0 = logreg_data()
    train, build, w = logreg_compiled(w0.copy(), mode)
    w_hand, b_hand = w0.copy(), np.zeros(())
    logreg_by_hand(x, y, w_hand, b_hand)
    train(x, y)
    diff = float(np.abs(w.get_value() - w_hand).max())
    hand_w, hand_b = w0.copy(), np.zeros(())
    return row(
        label,
        lambda: train(x, y),
        lambda: logreg_by_hand(x, y, hand_w, hand_b),
        compile_seconds(build),
        diff,
    )


def bench_mlp(mode, label: str) -> str:
    x, y, values = mlp_data()
    train, build, params = mlp_compiled([v.copy() for v in values], mode)
    by_hand = [v.copy() for v in values]
    mlp_by_hand(x, y, *by_hand)
    train(x, y)
    diff = max(float(np.abs(p.get_value() - h).max()) for p, h in zip(params, by_hand))
    hand_params = [v.copy() for v in values]
    return row(
        label,
        lambda: train(x, y),
        lambda: mlp_by_hand(x, y, *hand_params),
        compile_seconds(build),
        diff,
    )


def bench_scalar(label: str) -> str:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + y)
    a, b = np.array(2.0), np.array(3.0)
    compile_s = compile_seconds(lambda: theano.function([x, y], x + y))
    args = (a, b) if label == "arrays" else (2.0, 3.0)
    return row(f"scalar `x + y` call, {label}", lambda: f(*args), lambda: a + b, compile_s, 0.0)


#: each row's name and how to measure it, in the order of the table
ROWS = {
    "logreg": lambda: bench_logreg(None, "logistic regression step (FAST_RUN)"),
    "logreg-fast-compile": lambda: bench_logreg(
        "FAST_COMPILE", "logistic regression step (FAST_COMPILE)"
    ),
    "logreg-no-inplace": lambda: bench_logreg(
        theano.Mode(inplace=False), "logistic regression step (FAST_RUN, no in-place)"
    ),
    "mlp": lambda: bench_mlp(None, "MLP 784-256-10 step (FAST_RUN)"),
    "mlp-fast-compile": lambda: bench_mlp("FAST_COMPILE", "MLP 784-256-10 step (FAST_COMPILE)"),
    "mlp-no-inplace": lambda: bench_mlp(
        theano.Mode(inplace=False), "MLP 784-256-10 step (FAST_RUN, no in-place)"
    ),
    "scalar-arrays": lambda: bench_scalar("arrays"),
    "scalar-floats": lambda: bench_scalar("Python floats"),
}

#: rounds per row (``--quick`` and ``table(repeat)`` change it)
REPEAT = 30


def table(repeat: int) -> list[str]:
    """The benchmark table, one Markdown row per measurement, each row in a fresh process."""
    rows = list(HEADER)
    for name in ROWS:
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--row",
            name,
            "--repeat",
            str(repeat),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(done.stdout.strip())
    return rows


def main() -> None:
    global REPEAT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--repeat", type=int, help="rounds per row")
    parser.add_argument("--row", choices=list(ROWS), help="measure one row (in this process)")
    args = parser.parse_args()
    REPEAT = args.repeat or (8 if args.quick else REPEAT)
    if args.row:
        warnings.simplefilter("ignore", RuntimeWarning)  # saturated sigmoids in hand-written code
        print(ROWS[args.row]())
        return
    threads = os.environ["OPENBLAS_NUM_THREADS"]
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, {threads} BLAS thread(s)\n")
    print("\n".join(table(REPEAT)))


if __name__ == "__main__":
    main()
