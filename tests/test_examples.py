"""Every program in examples/ runs, shortened, and prints the numbers it exists to show.

Each example runs in a fresh interpreter (as a user runs it) with
``SYMGRAPH_EXAMPLE_STEPS`` set low. ``CHECKS`` maps each example to the check
of its output; an example without a check fails, so a new example is checked
the moment it is added.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SHORT_STEPS = "600"  # enough for 100% training accuracy in logistic_regression.py
#: environment variables shortening an example beyond its number of steps
SHORT_ENV = {
    "out_of_core_logistic_regression.py": {"SYMGRAPH_EXAMPLE_ROWS": "16000"},
    # 500 images a step: a few steps, on one BLAS thread (the suite runs beside other work)
    "lenet.py": {"SYMGRAPH_EXAMPLE_STEPS": "5", "OPENBLAS_NUM_THREADS": "1"},
}


def run_example(path: Path, cwd: Path, steps: str | None = SHORT_STEPS) -> str:
    """The example's printed output; files it writes go to ``cwd``, not the repository."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("SYMGRAPH_EXAMPLE_STEPS", None)
    if steps is not None:
        env["SYMGRAPH_EXAMPLE_STEPS"] = steps
        env.update(SHORT_ENV.get(path.name, {}))
    result = subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, f"{path.name} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def numbers_after(label: str, output: str) -> list[float]:
    """Every number printed on the lines that start with ``label``."""
    lines = [line for line in output.splitlines() if line.strip().startswith(label)]
    assert lines, f"no line starting with {label!r} in:\n{output}"
    return [float(v) for line in lines for v in re.findall(r"-?\d+\.?\d*(?:e[-+]\d+)?", line)]


def check_logistic_regression(output: str, steps: int = int(SHORT_STEPS)) -> None:
    assert "Initial model:" in output and "Final model:" in output
    assert numbers_after("training accuracy:", output) == [100.0]
    done, seconds, per_step = numbers_after("training:", output)
    assert done == steps and per_step < 2000, output


def check_mlp_backprop(output: str) -> None:
    differences = re.findall(r"d loss / d (\w+).*: (\S+)$", output, flags=re.MULTILINE)
    assert [name for name, _ in differences] == ["w1", "b1", "w2", "b2", "x"], output
    assert all(float(diff) < 1e-10 for _, diff in differences), output
    symbolic, by_hand = numbers_after("loss:", output)
    assert abs(symbolic - by_hand) < 1e-10


def check_scipy_optimize(output: str) -> None:
    lines = output.splitlines()

    def solution_after(header: str) -> np.ndarray:
        line = lines[next(i for i, text in enumerate(lines) if text.startswith(header)) + 1 :]
        found = re.findall(r"-?\d+\.\d*(?:e[-+]\d+)?", next(t for t in line if "[" in t))
        return np.array(found, dtype=float)

    assert np.allclose(solution_after("fmin (Nelder-Mead"), [2.0], atol=1e-3)
    assert np.allclose(solution_after("fmin_bfgs with"), [2.0], atol=1e-6)
    assert np.allclose(solution_after("minimize(method="), [2.0], atol=1e-6)
    for label in ("cost", "gradient", "hessp"):  # against scipy's hand-written formulas
        assert numbers_after(label, output)[-1] < 1e-10, (label, output)
    for label in ("check_grad at x0:", "check_grad at z0:"):  # finite differences: ~1e-5 error
        assert numbers_after(label, output)[-1] < 1e-4, (label, output)
    assert np.allclose(solution_after("fmin:"), [1.0, 1.0], atol=1e-4)
    assert np.allclose(solution_after("fmin_bfgs:"), [1.0, 1.0], atol=1e-6)
    newton = numbers_after("Newton-CG:", output)
    assert np.allclose(newton[:2], [1.0, 1.0], atol=1e-6), output


def check_autodiff_tour(output: str) -> None:
    assert output.count("(match: True)") == 6, output
    assert "(match: False)" not in output
    assert numbers_after("f(2.0) =", output)[1] == 1024.0
    assert output.count("f(a) / a == df/da: True") == 3, output  # both branches of the ifelse
    assert "[id A]" in output  # the compiled graphs are printed


def check_printing_tour(output: str) -> None:
    for section in range(1, 13):
        assert re.search(rf"^{section}\. ", output, flags=re.MULTILINE), (section, output)
    assert "[id A]" in output and "def fn(x, y):" in output and "digraph" in output
    before, after = (numbers_after(f"{when} optimization:", output) for when in ("before", "after"))
    assert after[0] < before[0], (before, after)  # node counts: the optimizer shrank the graph
    trained = re.search(r"^after \d+ steps: (.*)$", output, flags=re.MULTILINE)
    assert trained, output  # the tour ends by training the model it printed
    losses = [float(v) for v in re.findall(r"\d+\.\d+", trained.group(1))]
    assert losses and np.all(np.isfinite(losses)), trained.group(0)


def check_rnn(output: str) -> None:
    assert "verify_grad: the BPTT gradient matches finite differences" in output
    (baseline,) = numbers_after("predicting 0 everywhere:", output)[-1:]
    (initial,) = numbers_after("initial test loss:", output)
    (final,) = numbers_after("final test loss:", output)
    assert final < 0.1 * baseline and final < initial, output  # it learned to remember


def check_out_of_core_logistic_regression(output: str) -> None:
    assert "= compute(" in output  # the generated source is printed
    (initial,) = numbers_after("initial accuracy:", output)
    (final,) = numbers_after("training accuracy:", output)
    assert initial < 60 and final > 85, output
    assert "w is a ndarray" in output


def check_denoising_autoencoder(output: str) -> None:
    (initial,) = numbers_after("initial reconstruction cost", output)
    (final,) = numbers_after("final reconstruction cost", output)
    epochs = [numbers_after(f"Training epoch {k},", output)[-1] for k in range(2)]
    assert epochs[1] < epochs[0] and final < 0.2 * initial, output  # the cost falls


def check_dropout_mlp(output: str) -> None:
    assert "two calls draw different masks: True" in output, output
    assert "no_default_updates draws the same: True" in output, output
    (initial,) = numbers_after("initial test error:", output)
    (final,) = numbers_after("final test error:", output)
    assert final < 5.0 < initial, output


def check_hmc(output: str) -> None:
    target, empirical = (numbers_after(f"{kind} mean:", output) for kind in ("target", "empirical"))
    assert np.allclose(empirical, target, atol=0.1), output
    target, empirical = (numbers_after(f"{kind} cov:", output) for kind in ("target", "empirical"))
    assert np.allclose(empirical, target, atol=0.15), output
    (rate,) = numbers_after("final acceptance rate:", output)
    assert 0.6 < rate < 1.0, output


def check_lenet(output: str) -> None:
    (before,) = numbers_after("validation error before training:", output)
    after = numbers_after("epoch", output)[-1]  # the validation error of the last check
    first, last = numbers_after("first minibatch cost:", output), numbers_after("last", output)
    assert after < before and last < first, output
    assert numbers_after("test error:", output)[0] < 100


CHECKS = {
    "logistic_regression.py": check_logistic_regression,
    "mlp_backprop.py": check_mlp_backprop,
    "scipy_optimize.py": check_scipy_optimize,
    "autodiff_tour.py": check_autodiff_tour,
    "printing_tour.py": check_printing_tour,
    "rnn.py": check_rnn,
    "out_of_core_logistic_regression.py": check_out_of_core_logistic_regression,
    "denoising_autoencoder.py": check_denoising_autoencoder,
    "dropout_mlp.py": check_dropout_mlp,
    "hmc.py": check_hmc,
    "lenet.py": check_lenet,
}


def test_every_example_has_a_check():
    assert sorted(CHECKS) == sorted(p.name for p in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_and_prints_its_results(path, tmp_path):
    if path.name == "scipy_optimize.py":
        pytest.importorskip("scipy")
    CHECKS[path.name](run_example(path, tmp_path))


def test_readme_first_command_trains_10000_steps_to_100_percent_in_under_10_seconds(tmp_path):
    output = run_example(ROOT / "examples" / "logistic_regression.py", tmp_path, steps=None)
    check_logistic_regression(output, steps=10000)
    seconds = numbers_after("training:", output)[1]
    assert seconds < 10, output
