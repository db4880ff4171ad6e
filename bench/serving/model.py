"""The benchmarked model: `malware_classifier` (LightGBM, 53 numeric features, binary), trained with the
project's own code into a temporary registry, as ONNX for (a) and (b) and as a joblib estimator for (c).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.serving.processes import clean_env

MODEL = "malware_classifier"
PARITY_TOLERANCE = 1e-5
FORTRESS = Path(sys.executable).with_name("fortress")


@dataclass(frozen=True, slots=True)
class ModelArtifacts:
    name: str
    home: Path
    """The temporary ``FORTRESS_HOME`` holding the registry ``fortress serve`` reads."""
    onnx: Path
    estimator: Path
    """joblib of the fitted ``LGBMClassifier`` (what MLServer's scikit-learn runtime loads)."""
    row: list[float]
    """The one row every request sends (first row of the simulator's test split)."""
    expected: list[float]
    """ONNX Runtime's class probabilities for ``row``: every server must answer these."""
    batch1_us: float
    """In-process ONNX Runtime cost (1 thread) of one call with one row, in microseconds."""
    batch64_us_per_row: float


def _fortress(args: list[str], home: Path, progress: Callable[[str], None]) -> None:
    done = subprocess.run(
        [str(FORTRESS), *args],
        env=clean_env(FORTRESS_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    for line in (done.stderr + done.stdout).splitlines():
        if line.strip() and "INFO mlflow" not in line:
            progress(f"  | {line}")
    if done.returncode != 0:
        raise RuntimeError(f"`fortress {' '.join(args)}` exited with {done.returncode}")


def _fit_estimator(seed: int, threads: int) -> tuple[object, np.ndarray]:
    """Retrain exactly as `fortress train` does (same spec, simulator data, seed and threads)."""
    from fortress.catalog import get_spec
    from fortress.catalog.encode import encode_frame
    from fortress.catalog.spec import NUMERIC_INPUT
    from fortress.datasets.simulator import simulate_task
    from fortress.training.trainers import train

    spec = get_spec(MODEL)
    task = simulate_task(MODEL, seed)
    result = train(spec, encode_frame(spec, task.X_train), task.y_train, seed, threads)
    estimator = result.model.booster  # type: ignore[attr-defined]
    # One OpenMP thread per prediction: at batch 1 LightGBM is ~6x faster than with 2 on a 2-core
    # machine, and it matches ONNX Runtime's intra_op_num_threads=1 (the peer's best setting).
    estimator.set_params(n_jobs=1)
    row = encode_frame(spec, task.X_test)[NUMERIC_INPUT][:1].astype(np.float32)
    return estimator, row


def _cost_us(session: object, name: str, rows: np.ndarray, budget_s: float = 0.5) -> float:
    """Mean microseconds per call of ``session.run`` on ``rows``, over ``budget_s`` of calls."""
    run = session.run  # type: ignore[attr-defined]
    run(None, {name: rows})
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < budget_s:
        run(None, {name: rows})
        calls += 1
    return (time.perf_counter() - started) / calls * 1e6


def prepare_model(home: Path, progress: Callable[[str], None]) -> ModelArtifacts:
    import joblib  # type: ignore[import-untyped]
    import onnxruntime as ort

    from fortress.training.settings import TrainingSettings

    progress(f"training {MODEL} into {home} (fortress train, simulator data)")
    _fortress(["train", "--models", MODEL], home, progress)
    onnx = home / f"{MODEL}.onnx"
    _fortress(["models", "fetch", MODEL, "--to", str(onnx)], home, progress)

    progress(f"retraining {MODEL} in-process for MLServer (same seed and data)")
    defaults = TrainingSettings()
    estimator, row = _fit_estimator(defaults.seed, defaults.threads)
    path = home / f"{MODEL}.joblib"
    joblib.dump(estimator, path)

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    expected = session.run(None, {name: row})[0]
    fitted = np.asarray(estimator.predict_proba(row))  # type: ignore[attr-defined]
    gap = float(np.abs(expected - fitted).max())
    if gap > PARITY_TOLERANCE:
        raise RuntimeError(f"retrained estimator differs from the registered ONNX model by {gap:.1e}")
    progress(f"  ONNX vs joblib estimator on the request row: max |diff| {gap:.1e} (same model)")
    # Shortest decimal that parses back to the same float32: identical compact JSON for every server.
    values = [float(str(v)) for v in row[0]]
    batch1 = _cost_us(session, name, row)
    batch64 = _cost_us(session, name, np.repeat(row, 64, axis=0)) / 64
    progress(
        f"  ONNX Runtime in-process, 1 thread: {batch1:.0f} µs per call at batch 1, "
        f"{batch64:.1f} µs per row at batch 64"
    )
    return ModelArtifacts(MODEL, home, onnx, path, values, [float(p) for p in expected[0]], batch1, batch64)
