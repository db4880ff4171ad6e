"""Parity: the exported ONNX graph must reproduce the trained model's probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np

from fortress.catalog.spec import PROBABILITIES_OUTPUT
from fortress.errors import ParityError

CHUNK = 2048


def onnx_probabilities(onnx_bytes: bytes, inputs: dict[str, np.ndarray]) -> np.ndarray:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
    return session_probabilities(session, inputs)


def session_probabilities(session: Any, inputs: dict[str, np.ndarray], chunk: int = CHUNK) -> np.ndarray:
    """An ONNX Runtime session's probabilities for every row of ``inputs``, ``chunk`` rows per run."""
    n = len(next(iter(inputs.values())))
    parts = [
        session.run([PROBABILITIES_OUTPUT], {k: v[i : i + chunk] for k, v in inputs.items()})[0]
        for i in range(0, n, chunk)
    ]
    return np.concatenate(parts).astype(np.float64)


def check_parity(
    model: str, onnx_bytes: bytes, inputs: dict[str, np.ndarray], expected: np.ndarray, tolerance: float
) -> float:
    """Max absolute probability difference over every row; raises ParityError above tolerance."""
    got = onnx_probabilities(onnx_bytes, inputs)
    if got.shape != expected.shape:
        raise ParityError(f"{model}: ONNX output shape {got.shape} != trained model's {expected.shape}")
    diff = float(np.abs(got - expected).max()) if got.size else 0.0
    if not diff <= tolerance:
        raise ParityError(f"{model}: ONNX parity {diff:.2e} exceeds tolerance {tolerance:.0e}")
    return diff
