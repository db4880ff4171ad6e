"""`python -m bench.run runtime`: ONNX Runtime cost of each champion model, batch 1 vs batch 64.

The baseline is each model's own batch-1 call measured in the same run; the report is the per-row
speed-up of batching (ratio), plus absolute microseconds for orientation. It reads the registry of
``FORTRESS_HOME`` (run `make run` first). Bounded: ~0.3 s of calls per model and batch size.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from fortress.catalog.spec import PROBABILITIES_OUTPUT
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings

BUDGET_S = 0.3


def _example_rows(inputs: list[object], n: int) -> dict[str, np.ndarray]:
    feeds: dict[str, np.ndarray] = {}
    for tensor in inputs:
        name, dtype, shape = tensor.name, tensor.type, tensor.shape  # type: ignore[attr-defined]
        dims = [n, *[d if isinstance(d, int) else 1 for d in shape[1:]]]
        if "string" in dtype:
            feeds[name] = np.full(dims, "example.com/login", dtype=object)
        else:
            feeds[name] = np.random.default_rng(0).random(dims, dtype=np.float32)
    return feeds


def _per_row_us(session: object, feeds: dict[str, np.ndarray], rows: int) -> float:
    run = session.run  # type: ignore[attr-defined]
    run([PROBABILITIES_OUTPUT], feeds)
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < BUDGET_S:
        run([PROBABILITIES_OUTPUT], feeds)
        calls += 1
    return (time.perf_counter() - started) / calls / rows * 1e6


def main() -> int:
    import onnxruntime as ort

    settings = Settings()
    registry = MlflowRegistry(settings.registry, settings.home)
    names = registry.model_names()
    if not names:
        print("no models registered: run `make run` (or `make train`) first", file=sys.stderr)
        return 1
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    print(f"{'model':<20} {'batch1 us/row':>14} {'batch64 us/row':>15} {'speed-up':>9}")
    for name in names:
        fetched = registry.fetch(name, "champion")
        session = ort.InferenceSession(fetched.onnx_bytes(), options, providers=["CPUExecutionProvider"])
        one = _per_row_us(session, _example_rows(session.get_inputs(), 1), 1)
        many = _per_row_us(session, _example_rows(session.get_inputs(), 64), 64)
        print(f"{name:<20} {one:>14.1f} {many:>15.1f} {one / many:>8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
