#!/usr/bin/env python
"""The tutorial's logistic regression on a dataset larger than any worker's memory, with Dask.

The dataset (1.1 GB of float64 by default) is written to a temporary folder as
one .npy file per chunk of rows, then trained on by a local cluster of two
workers limited to 400 MB each: neither they nor this driver ever hold it.
The model is the Theano tutorial's, unchanged; the dataset is a shared
variable holding a dask array, and minibatches are sliced from it by a
symbolic index through ``givens``, as in Theano's deep learning tutorials.
Only ``mode="DASK"`` differs from a NumPy program. Each call runs one
``dask.compute`` of the cost and the new parameters, which come back as NumPy
arrays.

On a real cluster, replace the ``LocalCluster`` by ``Client("tcp://scheduler:8786")``
and put the chunks where every worker can read them (see docs/distributed.md).

Run: ``python examples/out_of_core_logistic_regression.py``
(``SYMGRAPH_EXAMPLE_ROWS`` sets the number of rows; the test suite uses few).
"""

import os
import tempfile
import time
from pathlib import Path

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import symgraph as theano
import symgraph.tensor as T

FEATS = 784
BATCH = 4000  # rows per minibatch, one chunk on disk
ROWS = int(os.environ.get("SYMGRAPH_EXAMPLE_ROWS", 43 * BATCH))  # 43 chunks: 1.08 GB
EPOCHS = 2


def write_dataset(folder: Path) -> None:
    """Rows of features and 0/1 labels of a noisy linear rule, written chunk by chunk."""
    rng = da.random.default_rng(2024)
    x = rng.random((ROWS, FEATS), chunks=(BATCH, FEATS)) - 0.5
    w_true = np.random.default_rng(7).normal(size=FEATS)
    noise = rng.normal(scale=0.5, size=ROWS, chunks=BATCH)
    y = (x @ w_true + noise > 0).astype("float64")
    da.to_npy_stack(folder / "x", x, axis=0)
    da.to_npy_stack(folder / "y", y, axis=0)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="symgraph-data-"))
    start = time.perf_counter()
    write_dataset(folder)
    data_x = theano.shared(da.from_npy_stack(folder / "x"), name="data_x")
    data_y = theano.shared(da.from_npy_stack(folder / "y"), name="data_y")
    gigabytes = data_x.get_value().nbytes / 1e9
    print(f"dataset: {ROWS} rows x {FEATS} features, {gigabytes:.2f} GB in {folder}")
    print(f"written in {time.perf_counter() - start:.1f} s")

    # the tutorial's model
    x = T.matrix("x")
    y = T.vector("y")
    w = theano.shared(np.zeros(FEATS), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])

    index = T.lscalar("index")
    batch = slice(index * BATCH, (index + 1) * BATCH)
    train = theano.function(
        inputs=[index],
        outputs=xent.mean(),
        updates=((w, w - 1.0 * gw), (b, b - 1.0 * gb)),
        givens={x: data_x[batch], y: data_y[batch]},
        mode="DASK",
    )
    accuracy = theano.function(
        [], T.eq(prediction, y).mean(), givens={x: data_x, y: data_y}, mode="DASK"
    )
    print(train.source)

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit="400MB", dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        print(f"initial accuracy: {100 * accuracy():.1f}%")
        steps, start = 0, time.perf_counter()
        for epoch in range(EPOCHS):
            losses = [train(i) for i in range(ROWS // BATCH)]
            steps += len(losses)
            print(f"epoch {epoch + 1}: mean minibatch loss {np.mean(losses):.4f}")
        seconds = time.perf_counter() - start
        print(
            f"training: {steps} steps in {seconds:.1f} s, {1000 * seconds / steps:.0f} ms per step"
        )
        print(f"training accuracy: {100 * accuracy():.1f}%")
    print("w is a", type(w.get_value()).__name__, "of shape", w.get_value().shape)


if __name__ == "__main__":  # the workers are new processes, which import this file
    main()
