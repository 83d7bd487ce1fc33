"""A LeNet-5 training step: symgraph against NumPy written by hand and PyTorch eager.

    python benchmarks/lenet.py            # about a minute
    python benchmarks/lenet.py --quick    # fewer rounds, for a smoke test

The Theano tutorial's network: a batch of 500 images of 1x28x28, 20 then 50
filters of 5x5 each followed by 2x2 max pooling and tanh, a dense layer of
500 tanh units, a softmax over 10 classes, the mean negative log-likelihood,
and one step of SGD on every parameter. Three implementations start from the
same weights:

* ours: the graph written as in Theano, compiled by ``symgraph.function``;
* by hand: NumPy written for speed (channels-first layout throughout, the
  im2col matrix of each convolution reused by its filter gradient);
* PyTorch eager (``torch.nn.functional``, autograd), when torch is installed.

Every side runs on one thread (BLAS and PyTorch). Each round runs one step of
each side, in turn, timed in process CPU time, so load from elsewhere on the
machine falls on all of them alike; a table row gives each side's best step,
the ratios of the best steps and, in parentheses, the median over rounds of
the per-round ratios (which a burst of load during one side's step skews).
Each row runs in a fresh process.
The last columns check that the sides computed the same step: the largest
difference between updated weights, ours and PyTorch's against the hand-written.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import symgraph as theano  # noqa: E402
import symgraph.tensor as T  # noqa: E402
from symgraph.tensor.nnet import conv2d  # noqa: E402
from symgraph.tensor.signal import pool  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

BATCH, RATE = 500, 0.1
SHAPES = [(20, 1, 5, 5), (20,), (50, 20, 5, 5), (50,), (800, 500), (500,), (500, 10), (10,)]


def initial(dtype: str) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Weights as the tutorial draws them (uniform in +-sqrt(6 / fan)), a batch and its labels."""
    rng = np.random.default_rng(2024)
    fans = [1 * 25 + 20 * 25 / 4, 20 * 25 + 50 * 25 / 4, 800 + 500, 500 + 10]
    params = []
    for shape in SHAPES:
        if len(shape) == 1:
            params.append(np.zeros(shape, dtype))
            continue
        bound = np.sqrt(6.0 / fans[len(params) // 2])
        params.append(rng.uniform(-bound, bound, size=shape).astype(dtype))
    images = rng.uniform(0, 1, size=(BATCH, 784)).astype(dtype)
    return params, images, rng.integers(0, 10, BATCH).astype("int32")


# -- ours: written as in Theano ----------------------------------------------------------------


def ours(values: list[np.ndarray]) -> tuple[Callable, list]:
    """The compiled train step and its shared parameters."""
    params = [
        theano.shared(v.copy(), name=n) for v, n in zip(values, "W0 b0 W1 b1 W2 b2 W3 b3".split())
    ]
    w0, b0, w1, b1, w2, b2, w3, b3 = params
    x, y = T.matrix("x", dtype=values[0].dtype), T.ivector("y")
    layer = x.reshape((BATCH, 1, 28, 28))
    for w, b, image in ((w0, b0, (BATCH, 1, 28, 28)), (w1, b1, (BATCH, 20, 12, 12))):
        convolved = conv2d(layer, w, input_shape=image, filter_shape=w.get_value().shape)
        pooled = pool.pool_2d(convolved, ws=(2, 2), ignore_border=True)
        layer = T.tanh(pooled + b.dimshuffle("x", 0, "x", "x"))
    hidden = T.tanh(T.dot(layer.flatten(2), w2) + b2)
    p_y = T.nnet.softmax(T.dot(hidden, w3) + b3)
    cost = -T.mean(T.log(p_y)[T.arange(y.shape[0]), y])
    updates = [(p, p - RATE * g) for p, g in zip(params, T.grad(cost, params))]
    return theano.function([x, y], cost, updates=updates, name="train"), params


# -- by hand -----------------------------------------------------------------------------------


def _convolve(w: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A true convolution of x (channels, batch, rows, cols): (filters, batch, ...), and im2col."""
    k = w.shape[-1]
    columns = sliding_window_view(x, (k, k), axis=(2, 3)).transpose(0, 4, 5, 1, 2, 3)
    size = columns.shape[-1]
    columns = columns.reshape(w.shape[1] * k * k, -1)
    out = w[:, :, ::-1, ::-1].reshape(w.shape[0], -1) @ columns
    return out.reshape(w.shape[0], x.shape[1], size, size), columns


def _max_pool(c: np.ndarray) -> np.ndarray:
    rows = np.maximum(c[:, :, 0::2, 0::2], c[:, :, 0::2, 1::2])
    return np.maximum(rows, np.maximum(c[:, :, 1::2, 0::2], c[:, :, 1::2, 1::2]))


def _unpool(c: np.ndarray, pooled: np.ndarray, g: np.ndarray) -> np.ndarray:
    out = np.empty_like(c)
    for i, j in np.ndindex(2, 2):
        np.multiply(g, c[:, :, i::2, j::2] == pooled, out=out[:, :, i::2, j::2])
    return out


def by_hand(params: list[np.ndarray], images: np.ndarray, labels: np.ndarray) -> float:
    """One step, forward and backward, updating ``params`` in place."""
    w0, b0, w1, b1, w2, b2, w3, b3 = params
    c0, columns0 = _convolve(w0, images.reshape(1, BATCH, 28, 28))
    p0 = _max_pool(c0)
    h0 = np.tanh(p0 + b0[:, None, None, None])
    c1, columns1 = _convolve(w1, h0)
    p1 = _max_pool(c1)
    h1 = np.tanh(p1 + b1[:, None, None, None])
    flat = h1.transpose(1, 0, 2, 3).reshape(BATCH, 800)
    h2 = np.tanh(flat @ w2 + b2)
    z = h2 @ w3 + b3
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(BATCH)
    cost = -np.log(p[rows, labels]).mean()
    p[rows, labels] -= 1
    p /= BATCH
    dh2 = (p @ w3.T) * (1 - h2 * h2)
    dp1 = (dh2 @ w2.T).reshape(BATCH, 50, 4, 4).transpose(1, 0, 2, 3) * (1 - h1 * h1)
    dc1 = _unpool(c1, p1, dp1).reshape(50, -1)
    dcolumns = (w1[:, :, ::-1, ::-1].reshape(50, -1).T @ dc1).reshape(20, 5, 5, BATCH, 8, 8)
    dh0 = np.zeros((20, BATCH, 12, 12), h0.dtype)
    for i, j in np.ndindex(5, 5):
        dh0[:, :, i : i + 8, j : j + 8] += dcolumns[:, i, j]
    dp0 = dh0 * (1 - h0 * h0)
    dc0 = _unpool(c0, p0, dp0).reshape(20, -1)
    grads = [
        (dc0 @ columns0.T).reshape(w0.shape)[:, :, ::-1, ::-1],
        dp0.sum(axis=(1, 2, 3)),
        (dc1 @ columns1.T).reshape(w1.shape)[:, :, ::-1, ::-1],
        dp1.sum(axis=(1, 2, 3)),
        flat.T @ dh2,
        dh2.sum(axis=0),
        h2.T @ p,
        p.sum(axis=0),
    ]
    for param, grad in zip(params, grads):
        param -= RATE * grad
    return cost


# -- PyTorch eager -----------------------------------------------------------------------------


def pytorch(values: list[np.ndarray]) -> tuple[Callable, list]:
    """The step in PyTorch (filters flipped: its conv2d is a cross-correlation) and its weights."""
    torch.set_num_threads(1)
    flipped = [v[:, :, ::-1, ::-1] if v.ndim == 4 else v for v in values]
    params = [torch.tensor(np.ascontiguousarray(v), requires_grad=True) for v in flipped]

    def step(images: torch.Tensor, labels: torch.Tensor) -> float:
        w0, b0, w1, b1, w2, b2, w3, b3 = params
        h = images.view(BATCH, 1, 28, 28)
        for w, b in ((w0, b0), (w1, b1)):
            h = torch.tanh(F.max_pool2d(F.conv2d(h, w), 2) + b.view(1, -1, 1, 1))
        h = torch.tanh(h.flatten(1) @ w2 + b2)
        cost = F.cross_entropy(h @ w3 + b3, labels)
        grads = torch.autograd.grad(cost, params)
        with torch.no_grad():
            for param, grad in zip(params, grads):
                param -= RATE * grad
        return float(cost.detach())

    return step, params


def _torch_values(params: list) -> list[np.ndarray]:
    values = [p.detach().numpy() for p in params]
    return [v[:, :, ::-1, ::-1] if v.ndim == 4 else v for v in values]


# -- a row ---------------------------------------------------------------------------------------


def measure(dtype: str, rounds: int) -> str:
    """One table row: each side's best step, the median ratios, the differences after a step."""
    values, images, labels = initial(dtype)
    start = time.perf_counter()
    train, shared = ours(values)
    compile_ms = (time.perf_counter() - start) * 1e3
    hand = [v.copy() for v in values]
    sides = {"ours": lambda: train(images, labels), "hand": lambda: by_hand(hand, images, labels)}
    if torch is not None:
        step, weights = pytorch(values)
        tensors = torch.from_numpy(images), torch.from_numpy(labels.astype("int64"))
        sides["torch"] = lambda: step(*tensors)
    for call in sides.values():  # one step each from the same weights: compare
        call()
    diff = max(float(np.abs(s.get_value() - h).max()) for s, h in zip(shared, hand))
    torch_diff = "-"
    if torch is not None:
        gaps = (np.abs(t - h).max() for t, h in zip(_torch_values(weights), hand))
        torch_diff = f"{max(gaps):.1e}"
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, call in sides.items():
            begin = time.process_time()
            call()
            times[name].append(time.process_time() - begin)
    best = {name: min(t) for name, t in times.items()}

    def ratio(other: str) -> str:
        """Of the best steps, and (in parentheses) the median of the per-round ratios."""
        if other not in times:
            return "-"
        median = statistics.median(a / b for a, b in zip(times["ours"], times[other]))
        return f"{best['ours'] / best[other]:.2f} ({median:.2f})"

    torch_s = f"{best['torch']:.3f}" if "torch" in best else "-"
    return (
        f"| {dtype} | {best['ours']:.3f} | {best['hand']:.3f} | {torch_s} | {ratio('hand')} | "
        f"{ratio('torch')} | {compile_ms:.0f} | {diff:.1e} | {torch_diff} |"
    )


HEADER = [
    "| dtype | ours s/step | hand s/step | torch s/step | ours/hand | ours/torch | compile ms "
    "| max diff ours-hand | max diff torch-hand |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two rounds")
    parser.add_argument("--rounds", type=int, help="steps timed per side")
    parser.add_argument("--row", choices=["float64", "float32"], help="one row, in this process")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 12)
    if args.row:
        print(measure(args.row, rounds))
        return
    versions = f"numpy {np.__version__}" + (
        f", torch {torch.__version__}" if torch else ", no torch"
    )
    print(f"{versions}; one thread; best of {rounds} steps (ratios: best, and median)\n")
    rows = list(HEADER)
    for dtype in ("float64", "float32"):
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--row",
            dtype,
            "--rounds",
            str(rounds),
        ]
        rows.append(
            subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
        )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
