"""The tutorial's logistic regression on a 1 GB dataset of chunks on disk, on a 2-worker cluster.

Each worker may use 400 MB, so neither could hold the data; the driver never
does either. The trained parameters must equal a NumPy computation done chunk
by chunk, and no worker may have been restarted (for exceeding its memory).
"""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import symgraph as theano  # noqa: E402
import symgraph.tensor as T  # noqa: E402

FEATS = 784
ROWS_PER_CHUNK = 4_000
CHUNKS = 43  # 43 * 4000 rows * 784 * 8 bytes = 1.08 GB
STEPS = 2


def write_dataset(folder) -> None:
    """Random data written chunk by chunk as .npy files, by dask on the driver's threads."""
    rng = da.random.default_rng(2026)
    shape = (CHUNKS * ROWS_PER_CHUNK, FEATS)
    x = rng.random(shape, chunks=(ROWS_PER_CHUNK, FEATS)) - 0.5
    y = (rng.random(shape[0], chunks=ROWS_PER_CHUNK) > 0.5).astype("float64")
    da.to_npy_stack(folder / "x", x, axis=0)
    da.to_npy_stack(folder / "y", y, axis=0)


def numpy_steps(folder, w, b, steps: int, rate: float = 0.1):
    """The same training, one chunk at a time from disk: sums of the gradients' parts."""
    n = CHUNKS * ROWS_PER_CHUNK
    for _ in range(steps):
        gw, gb = np.zeros(FEATS), 0.0
        for k in range(CHUNKS):
            x = np.load(folder / "x" / f"{k}.npy")
            y = np.load(folder / "y" / f"{k}.npy")
            p = 1 / (1 + np.exp(-(x @ w) - b))
            gw += (p - y) @ x
            gb += (p - y).sum()
        w, b = w - rate * (gw / n + 0.02 * w), b - rate * gb / n
    return w, b


@pytest.mark.slow
def test_logistic_regression_trains_on_1gb_of_chunks_with_two_400mb_workers(tmp_path):
    write_dataset(tmp_path)
    rng = np.random.default_rng(1)
    w0 = rng.normal(size=FEATS) * 0.01
    x, y = T.matrix("x"), T.vector("y")
    w = theano.shared(w0, name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function(
        [x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], mode="DASK"
    )
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit="400MB", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        data_x = da.from_npy_stack(tmp_path / "x", mmap_mode=None)
        data_y = da.from_npy_stack(tmp_path / "y", mmap_mode=None)
        assert data_x.nbytes > 1e9
        workers = client.run(lambda: __import__("os").getpid())
        costs = [train(data_x, data_y) for _ in range(STEPS)]
        assert client.run(lambda: __import__("os").getpid()) == workers  # no worker restarted
    want_w, want_b = numpy_steps(tmp_path, w0, 0.0, STEPS)
    np.testing.assert_allclose(w.get_value(), want_w, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(b.get_value(), want_b, rtol=1e-10, atol=1e-13)
    assert costs[-1] < costs[0]
