"""Compiled train steps against careful hand-written NumPy, in the same process.

    python benchmarks/run.py            # about a minute
    python benchmarks/run.py --quick    # fewer repeats, for a smoke test

Prints one Markdown table: CPU time per call (best of several loops), the
ratio ours / hand-written, the time ``function()`` takes (graph already
built), the peak memory one call allocates (``tracemalloc``, which sees
NumPy's buffers), the page faults one call takes, and the largest difference
between the two implementations' updated weights after one step (they
compute the same thing).

Rows: the seed logistic-regression step (N=400, 784 features, float64), the
step of Theano's ``logistic_sgd.py`` tutorial (minibatches of N rows taken from
a shared dataset by ``givens``, 10 classes), a 784-256-10 ReLU/softmax MLP step
on the same N, 64 layers of
``tanh(h @ W + b)`` (width 64, batch 32: small ops, many of them), the RNN loop
of ``scan_bench.py`` and its gradient, and the per-call overhead of a compiled
scalar ``x + y`` (against the bare NumPy addition it runs). Where JAX is
installed, its ``jit``-compiled step is measured against the same hand-written
NumPy (``jax_steps.py``). BLAS runs
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

import jax_steps  # noqa: E402
import scan_bench  # noqa: E402

import symgraph as theano  # noqa: E402
import symgraph.tensor as T  # noqa: E402

N, FEATS, HIDDEN, CLASSES = 400, 784, 256, 10
DEPTH, WIDTH, BATCH = 64, 64, 32
BATCHES = 5  # minibatches of N rows in the tutorials' shared dataset


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


def softmax_xent_by_hand(a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The mean negative log-likelihood of softmax(a) at labels y, and its gradient with
    respect to a, ``(p - onehot(y)) / n``, computed in a's own buffer."""
    a -= a.max(axis=1, keepdims=True)
    p = np.exp(a, out=a)
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    cost = -np.log(p[rows, y]).mean()
    p[rows, y] -= 1.0
    p /= len(y)
    return float(cost), p


def mlp_gradients_by_hand(x: np.ndarray, y: np.ndarray, w1, b1, w2, b2) -> tuple[float, list]:
    """The MLP's cost and gradients by hand: softmax cross-entropy gradient p - onehot(y)."""
    a1 = x @ w1
    a1 += b1
    hidden = np.maximum(a1, 0.0)
    a2 = hidden @ w2
    a2 += b2
    cost, p = softmax_xent_by_hand(a2, y)
    gw2, gb2 = hidden.T @ p, p.sum(axis=0)
    dh = p @ w2.T
    dh *= a1 > 0
    return cost, [x.T @ dh, dh.sum(axis=0), gw2, gb2]


def mlp_by_hand(x: np.ndarray, y: np.ndarray, *params: np.ndarray) -> float:
    """One SGD step of the same MLP by hand."""
    cost, grads = mlp_gradients_by_hand(x, y, *params)
    for q, g in zip(params, grads):
        q -= 0.1 * g
    return cost


# Adam (Kingma and Ba), as Theano programs write it: a shared step count and two moments a
# parameter, all passed as the step's state after the four parameters
ADAM = {"rate": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def mlp_adam_data() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    x, y, params = mlp_data()
    moments = [np.zeros_like(q) for q in params + params]
    return x, y, params + moments + [np.zeros(())]


def mlp_adam_compiled(values: list[np.ndarray], mode=None):
    """The MLP trained by Adam: each moment's new value feeds its parameter's update."""
    x, y = T.matrix("x"), T.lvector("y")
    state = [theano.shared(v) for v in values]
    (w1, b1, w2, b2), ms, vs, t = state[:4], state[4:8], state[8:12], state[12]
    hidden = T.nnet.relu(T.dot(x, w1) + b1)
    p = T.nnet.softmax(T.dot(hidden, w2) + b2)
    cost = T.nnet.categorical_crossentropy(p, y).mean()
    grads = T.grad(cost, [w1, b1, w2, b2])
    t_new = t + 1.0
    beta1, beta2 = ADAM["beta1"], ADAM["beta2"]
    rate = ADAM["rate"] * T.sqrt(1 - beta2**t_new) / (1 - beta1**t_new)
    updates = [(t, t_new)]
    for q, g, m, v in zip([w1, b1, w2, b2], grads, ms, vs):
        m_new = beta1 * m + (1 - beta1) * g
        v_new = beta2 * v + (1 - beta2) * T.sqr(g)
        updates += [(m, m_new), (v, v_new), (q, q - rate * m_new / (T.sqrt(v_new) + ADAM["eps"]))]

    def build():
        return theano.function([x, y], cost, updates=updates, mode=mode, name="adam_step")

    return build(), build, state


def mlp_adam_by_hand(x: np.ndarray, y: np.ndarray, *state: np.ndarray) -> float:
    """One Adam step by hand, every moment updated in its own array."""
    params, ms, vs, t = state[:4], state[4:8], state[8:12], state[12]
    cost, grads = mlp_gradients_by_hand(x, y, *params)
    t += 1.0
    beta1, beta2 = ADAM["beta1"], ADAM["beta2"]
    rate = ADAM["rate"] * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    for q, g, m, v in zip(params, grads, ms, vs):
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * np.square(g)
        q -= rate * m / (np.sqrt(v) + ADAM["eps"])
    return cost


# -- the tutorials' minibatch SGD --------------------------------------------------------------


def sgd_data(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    return rng.rand(BATCHES * N, FEATS), rng.randint(0, CLASSES, BATCHES * N)


def sgd_compiled(x_all: np.ndarray, y_all: np.ndarray, mode=None):
    """Theano's logistic_sgd.py step: shared datasets, a minibatch chosen by ``index``
    through ``givens``, softmax regression with the mean negative log-likelihood."""
    train_x, train_y = theano.shared(x_all), theano.shared(y_all)
    index, x, y = T.lscalar("index"), T.matrix("x"), T.lvector("y")
    W = theano.shared(np.zeros((FEATS, CLASSES)), name="W")
    b = theano.shared(np.zeros(CLASSES), name="b")
    p_y_given_x = T.nnet.softmax(T.dot(x, W) + b)
    cost = -T.mean(T.log(p_y_given_x)[T.arange(y.shape[0]), y])
    g_W, g_b = T.grad(cost, [W, b])
    batch = slice(index * N, (index + 1) * N)

    def build():
        return theano.function(
            [index],
            cost,
            updates=[(W, W - 0.13 * g_W), (b, b - 0.13 * g_b)],
            givens={x: train_x[batch], y: train_y[batch]},
            mode=mode,
        )

    return build(), build, [W, b]


def sgd_by_hand(x_all: np.ndarray, y_all: np.ndarray, index: int, W, b) -> float:
    """The same step by hand: the softmax once, its gradient p - onehot(y) in place."""
    x, y = x_all[index * N : (index + 1) * N], y_all[index * N : (index + 1) * N]
    a = x @ W
    a += b
    cost, p = softmax_xent_by_hand(a, y)
    W -= 0.13 * (x.T @ p)
    b -= 0.13 * p.sum(axis=0)
    return cost


def bench_sgd(label: str) -> str:
    x_all, y_all = sgd_data()
    train, build, params = sgd_compiled(x_all, y_all)
    by_hand = [np.zeros((FEATS, CLASSES)), np.zeros(CLASSES)]
    for index in range(BATCHES):
        train(index)
        sgd_by_hand(x_all, y_all, index, *by_hand)
    diff = max(float(np.abs(p.get_value() - h).max()) for p, h in zip(params, by_hand))
    return row(
        label,
        lambda: train(1),
        lambda: sgd_by_hand(x_all, y_all, 1, *by_hand),
        compile_seconds(build),
        diff,
    )


# -- a deep narrow chain ----------------------------------------------------------------------


def chain_data(seed: int = 2) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.RandomState(seed)
    params = []
    for _ in range(DEPTH):
        params += [rng.randn(WIDTH, WIDTH) / np.sqrt(WIDTH), np.zeros(WIDTH)]
    return rng.randn(BATCH, WIDTH), rng.randn(BATCH, WIDTH), params


def chain_compiled(values: list[np.ndarray], mode=None):
    """``DEPTH`` layers of ``tanh(h @ W + b)``, a squared error, gradients and SGD."""
    x, y = T.matrix("x"), T.matrix("y")
    params = [theano.shared(v) for v in values]
    h = x
    for w, b in zip(params[::2], params[1::2]):
        h = T.tanh(T.dot(h, w) + b)
    cost = T.sqr(h - y).mean()
    grads = T.grad(cost, params)
    updates = [(q, q - 0.1 * g) for q, g in zip(params, grads)]

    def build():
        return theano.function([x, y], cost, updates=updates, mode=mode, name="chain_step")

    return build(), build, params


def chain_by_hand(x: np.ndarray, y: np.ndarray, *params: np.ndarray) -> float:
    """The same step by hand: each layer in one buffer, backward through the saved outputs."""
    hs = [x]
    for w, b in zip(params[::2], params[1::2]):
        a = hs[-1] @ w
        a += b
        hs.append(np.tanh(a, out=a))
    diff = hs[-1] - y
    cost = float(np.square(diff).mean())
    g = diff
    g *= 2.0 / diff.size
    for k in range(len(params) // 2 - 1, -1, -1):
        w, b, out = params[2 * k], params[2 * k + 1], hs[k + 1]
        g *= 1.0 - np.square(out)
        gw, gb = hs[k].T @ g, g.sum(axis=0)
        if k:
            g = g @ w.T
        w -= 0.1 * gw
        b -= 0.1 * gb
    return cost


# -- rows ------------------------------------------------------------------------------------


HEADER = [
    "| benchmark | ours us/call | hand us/call | ours/hand | JAX/hand | compile ms "
    "| peak MB ours | peak MB hand | page faults ours | page faults hand | max weight diff |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def row(name, ours, hand, compile_s, diff, jax: Callable[[], Callable] | None = None) -> str:
    """A table row: ``ours`` and ``hand`` are the zero-argument calls being compared;
    ``jax`` builds JAX's call, measured against ``hand`` the same way where JAX is installed."""
    best_ours, best_hand, ratio = paired_times(ours, hand, REPEAT)
    jax_ratio = "–"
    if jax is not None and jax_steps.available():
        jax_ratio = f"{paired_times(jax(), hand, REPEAT)[2]:.2f}"
    peaks = peak_bytes(ours) / 2**20, peak_bytes(hand) / 2**20
    faults = page_faults(ours), page_faults(hand)
    return (
        f"| {name} | {best_ours * 1e6:,.1f} | {best_hand * 1e6:,.1f} | {ratio:.2f} | "
        f"{jax_ratio} | {compile_s * 1e3:.1f} | {peaks[0]:.2f} | {peaks[1]:.2f} | "
        f"{faults[0]:,.0f} | {faults[1]:,.0f} | {diff:.1e} |"
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
        lambda: jax_steps.logreg(x, y, w0),
    )


def bench_network(network: str, mode, label: str) -> str:
    """A step updating a list of parameters: the MLP or the deep chain."""
    data, compiled, by_hand, jax_step = NETWORKS[network]
    x, y, values = data()
    train, build, params = compiled([v.copy() for v in values], mode)
    first = [v.copy() for v in values]
    by_hand(x, y, *first)
    train(x, y)
    diff = max(float(np.abs(p.get_value() - h).max()) for p, h in zip(params, first))
    hand_params = [v.copy() for v in values]
    return row(
        label,
        lambda: train(x, y),
        lambda: by_hand(x, y, *hand_params),
        compile_seconds(build),
        diff,
        jax_step and (lambda: jax_step(x, y, values)),
    )


NETWORKS = {
    "mlp": (mlp_data, mlp_compiled, mlp_by_hand, jax_steps.mlp),
    "mlp-adam": (mlp_adam_data, mlp_adam_compiled, mlp_adam_by_hand, None),
    "chain": (chain_data, chain_compiled, chain_by_hand, jax_steps.chain),
}


def bench_scalar(label: str) -> str:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + y)
    a, b = np.array(2.0), np.array(3.0)
    compile_s = compile_seconds(lambda: theano.function([x, y], x + y))
    args = (a, b) if label == "arrays" else (2.0, 3.0)
    return row(
        f"scalar `x + y` call, {label}",
        lambda: f(*args),
        lambda: a + b,
        compile_s,
        0.0,
        jax_steps.scalar_add,
    )


def bench_scan(gradient: bool, label: str) -> str:
    """The RNN of ``scan_bench.py``: its forward loop, or backpropagation through time."""
    x, W, h0 = scan_bench.data()
    compiled, build = scan_bench.compiled(gradient)
    by_hand = scan_bench.numpy_grad_W if gradient else scan_bench.numpy_forward
    diff = float(np.abs(compiled(x, W, h0) - by_hand(x, W, h0)).max())
    return row(
        label,
        lambda: compiled(x, W, h0),
        lambda: by_hand(x, W, h0),
        compile_seconds(build),
        diff,
        lambda: jax_steps.rnn(x, W, h0, gradient),
    )


#: each row's name and how to measure it, in the order of the table
ROWS = {
    "logreg": lambda: bench_logreg(None, "logistic regression step (FAST_RUN)"),
    "logreg-fast-compile": lambda: bench_logreg(
        "FAST_COMPILE", "logistic regression step (FAST_COMPILE)"
    ),
    "logreg-no-inplace": lambda: bench_logreg(
        theano.Mode(inplace=False), "logistic regression step (FAST_RUN, no in-place)"
    ),
    "sgd": lambda: bench_sgd("logistic_sgd.py step: givens minibatch, softmax NLL (FAST_RUN)"),
    "mlp": lambda: bench_network("mlp", None, "MLP 784-256-10 step (FAST_RUN)"),
    "mlp-fast-compile": lambda: bench_network(
        "mlp", "FAST_COMPILE", "MLP 784-256-10 step (FAST_COMPILE)"
    ),
    "mlp-no-inplace": lambda: bench_network(
        "mlp", theano.Mode(inplace=False), "MLP 784-256-10 step (FAST_RUN, no in-place)"
    ),
    "mlp-adam": lambda: bench_network("mlp-adam", None, "MLP 784-256-10 step, Adam (FAST_RUN)"),
    "chain": lambda: bench_network(
        "chain", None, f"{DEPTH}-layer tanh chain step, width {WIDTH} (FAST_RUN)"
    ),
    "scan": lambda: bench_scan(False, "scan RNN forward, 1000 steps x 64 units"),
    "scan-bptt": lambda: bench_scan(True, "scan RNN gradient (BPTT)"),
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
