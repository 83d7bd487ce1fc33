"""Compiled train steps against careful hand-written NumPy, in the same process.

    python benchmarks/run.py            # about a minute
    python benchmarks/run.py --quick    # fewer repeats, for a smoke test

Prints one Markdown table: CPU time per call (best of several repeats), the ratio
ours / hand-written, the time ``function()`` takes (graph already built), the
peak memory one call allocates (``tracemalloc``, which sees NumPy's buffers),
and the largest difference between the two implementations' updated weights
after one step (they compute the same thing).

Rows: the seed logistic-regression step (N=400, 784 features, float64), a
784-256-10 ReLU/softmax MLP step on the same N, and the per-call overhead of a
compiled scalar ``x + y`` (against the bare NumPy addition it runs). BLAS runs
on one thread unless ``OPENBLAS_NUM_THREADS`` says otherwise, so the timings
compare the Python around the matrix products, not thread scheduling.
"""

from __future__ import annotations

import argparse
import os
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
    ours: Callable[[], object], hand: Callable[[], object], repeat: int, budget: float = 0.1
) -> tuple[float, float]:
    """CPU seconds per call of each: the best of ``repeat`` loops of about ``budget`` seconds.

    Process CPU time (BLAS runs on this thread) leaves out the time other
    processes take the CPU, and the loops alternate, so load affects both alike.
    """
    counts = []
    for call in (ours, hand):
        call()
        once = timeit.timeit(call, number=1, timer=time.process_time)
        counts.append(max(1, int(budget / max(once, 1e-6))))
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for k, call in enumerate((ours, hand)):
            seconds = timeit.timeit(call, number=counts[k], timer=time.process_time)
            best[k] = min(best[k], seconds / counts[k])
    return best[0], best[1]


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


def row(name, ours, hand, compile_s, peak_ours, peak_hand, diff) -> str:
    mb = 1 / 2**20
    return (
        f"| {name} | {ours * 1e6:,.1f} | {hand * 1e6:,.1f} | {ours / hand:.2f} | "
        f"{compile_s * 1e3:.1f} | {peak_ours * mb:.2f} | {peak_hand * mb:.2f} | {diff:.1e} |"
    )


def bench_logreg(repeat: int, mode, label: str) -> str:
    x, y, w0 = logreg_data()
    train, build, w = logreg_compiled(w0.copy(), mode)
    w_hand, b_hand = w0.copy(), np.zeros(())
    logreg_by_hand(x, y, w_hand, b_hand)
    train(x, y)
    diff = float(np.abs(w.get_value() - w_hand).max())
    hand_w, hand_b = w0.copy(), np.zeros(())
    ours, hand = paired_times(
        lambda: train(x, y), lambda: logreg_by_hand(x, y, hand_w, hand_b), repeat
    )
    peaks = (
        peak_bytes(lambda: train(x, y)),
        peak_bytes(lambda: logreg_by_hand(x, y, hand_w, hand_b)),
    )
    return row(label, ours, hand, compile_seconds(build), *peaks, diff)


def bench_mlp(repeat: int, mode, label: str) -> str:
    x, y, values = mlp_data()
    train, build, params = mlp_compiled([v.copy() for v in values], mode)
    by_hand = [v.copy() for v in values]
    mlp_by_hand(x, y, *by_hand)
    train(x, y)
    diff = max(float(np.abs(p.get_value() - h).max()) for p, h in zip(params, by_hand))
    hand_params = [v.copy() for v in values]
    ours, hand = paired_times(lambda: train(x, y), lambda: mlp_by_hand(x, y, *hand_params), repeat)
    peaks = peak_bytes(lambda: train(x, y)), peak_bytes(lambda: mlp_by_hand(x, y, *hand_params))
    return row(label, ours, hand, compile_seconds(build), *peaks, diff)


def bench_scalar(repeat: int) -> list[str]:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + y)
    a, b = np.array(2.0), np.array(3.0)
    compile_s = compile_seconds(lambda: theano.function([x, y], x + y))
    rows = []
    for label, args in [("arrays", (a, b)), ("Python floats", (2.0, 3.0))]:
        ours, hand = paired_times(lambda args=args: f(*args), lambda: a + b, repeat)
        rows.append(row(f"scalar `x + y` call, {label}", ours, hand, compile_s, 0, 0, 0.0))
    return rows


def table(repeat: int) -> list[str]:
    """The benchmark table, one Markdown row per measurement."""
    warnings.simplefilter("ignore", RuntimeWarning)  # saturated sigmoids in the seed data
    no_inplace = theano.Mode(inplace=False)
    rows = [
        "| benchmark | ours us/call | hand us/call | ours/hand | compile ms | "
        "peak MB ours | peak MB hand | max weight diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        bench_logreg(repeat, None, "logistic regression step (FAST_RUN)"),
        bench_logreg(repeat, "FAST_COMPILE", "logistic regression step (FAST_COMPILE)"),
        bench_logreg(repeat, no_inplace, "logistic regression step (FAST_RUN, no in-place)"),
        bench_mlp(repeat, None, "MLP 784-256-10 step (FAST_RUN)"),
        bench_mlp(repeat, "FAST_COMPILE", "MLP 784-256-10 step (FAST_COMPILE)"),
        bench_mlp(repeat, no_inplace, "MLP 784-256-10 step (FAST_RUN, no in-place)"),
    ]
    return rows + bench_scalar(repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    threads = os.environ["OPENBLAS_NUM_THREADS"]
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, {threads} BLAS thread(s)\n")
    print("\n".join(table(3 if args.quick else 15)))


if __name__ == "__main__":
    main()
