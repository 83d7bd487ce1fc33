"""The logistic-regression train step on NumPy and on Dask: time per step and driver memory.

    python benchmarks/dask_backend.py            # 1.1 GB of data, a few minutes
    python benchmarks/dask_backend.py --quick    # 0.2 GB, for a smoke test

The dataset (float64, 784 features) is written once to a temporary folder as
one .npy file per chunk of 4,000 rows. Each row of the table runs in a fresh
process, so its peak resident memory (``ru_maxrss``) is its own:

* ``numpy``: FAST_RUN on the whole dataset loaded into the driver's memory;
* ``dask, threads``: mode="DASK" on the chunks, dask's default local scheduler;
* ``dask, 2 workers``: mode="DASK" on a ``LocalCluster`` of two single-thread
  workers of 400 MB each, so the work and the data are in the workers.

"driver peak" is the peak resident memory of the process that calls the
function, "added" the part of it beyond what the imports took. A full-batch
step reads every chunk; the Dask rows also show the per-call cost of building
and scheduling a task graph, which the ``small`` rows (400 rows, in memory)
isolate.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FEATS = 784
CHUNK_ROWS = 4000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_dataset(folder: Path, chunks: int) -> None:
    import dask.array as da

    rng = da.random.default_rng(0)
    x = rng.random((chunks * CHUNK_ROWS, FEATS), chunks=(CHUNK_ROWS, FEATS)) - 0.5
    y = (rng.random(chunks * CHUNK_ROWS, chunks=CHUNK_ROWS) > 0.5).astype("float64")
    da.to_npy_stack(folder / "x", x, axis=0)
    da.to_npy_stack(folder / "y", y, axis=0)


def train_function(mode: str):
    import numpy as np

    import symgraph as theano
    import symgraph.tensor as T

    x, y = T.matrix("x"), T.vector("y")
    w = theano.shared(np.zeros(FEATS), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    return theano.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], mode=mode)


def measure(backend: str, folder: str, steps: int) -> dict:
    """One row, in this (fresh) process: seconds per step and memory."""
    import dask.array as da
    import numpy as np

    data = Path(folder)
    small = backend.endswith("small")
    train = train_function("FAST_RUN" if backend.startswith("numpy") else "DASK")
    base = peak_mb()
    if small:
        rng = np.random.default_rng(0)
        x, y = rng.random((400, FEATS)), (rng.random(400) > 0.5).astype("float64")
        if not backend.startswith("numpy"):
            x, y = da.from_array(x, chunks=(200, FEATS)), da.from_array(y, chunks=200)
    elif backend == "numpy":
        x, y = load(data / "x"), load(data / "y")
    else:
        x, y = da.from_npy_stack(data / "x"), da.from_npy_stack(data / "y")
    client = None
    if "workers" in backend:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit="400MB", dashboard_address=None
        )
        client = Client(cluster)
    train(x, y)  # warm up: imports, worker start
    start = time.perf_counter()
    for _ in range(steps):
        train(x, y)
    seconds = (time.perf_counter() - start) / steps
    if client is not None:
        client.close()
        cluster.close()
    return {"ms": 1000 * seconds, "peak": peak_mb(), "added": peak_mb() - base}


def load(folder: Path):
    """The whole array in one buffer, filled chunk by chunk (no second copy)."""
    import numpy as np

    chunks = sorted(folder.glob("*.npy"), key=lambda p: int(p.stem))
    first = np.load(chunks[0], mmap_mode="r")
    whole = np.empty((len(chunks) * first.shape[0], *first.shape[1:]), first.dtype)
    for k, path in enumerate(chunks):
        whole[k * first.shape[0] : (k + 1) * first.shape[0]] = np.load(path, mmap_mode="r")
    return whole


ROWS = [
    ("numpy", "NumPy backend, data in the driver"),
    ("dask, threads", "Dask backend, local threads"),
    ("dask, 2 workers", "Dask backend, 2 workers x 400 MB"),
    ("numpy small", "NumPy backend, 400 rows"),
    ("dask, threads small", "Dask backend, 400 rows, threads"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 GB of data, fewer steps")
    parser.add_argument("--row", nargs=3, help=argparse.SUPPRESS)  # backend, folder, steps
    args = parser.parse_args()
    if args.row:
        print(json.dumps(measure(args.row[0], args.row[1], int(args.row[2]))))
        return
    chunks = 8 if args.quick else 43
    with tempfile.TemporaryDirectory(prefix="symgraph-bench-") as folder:
        write_dataset(Path(folder), chunks)
        gigabytes = chunks * CHUNK_ROWS * FEATS * 8 / 1e9
        print(f"logistic regression, full-batch step over {gigabytes:.2f} GB ({chunks} chunks)\n")
        print("| run | ms per step | driver peak MB | added by the run MB |")
        print("| --- | ---: | ---: | ---: |")
        for backend, label in ROWS:
            steps = (20 if args.quick else 100) if backend.endswith("small") else 3
            out = subprocess.run(
                [sys.executable, __file__, "--row", backend, folder, str(steps)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            row = json.loads(out.strip().splitlines()[-1])
            print(f"| {label} | {row['ms']:.1f} | {row['peak']:.0f} | {row['added']:.0f} |")


if __name__ == "__main__":  # the workers are new processes, which import this file
    main()
