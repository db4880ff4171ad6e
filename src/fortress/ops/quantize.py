"""``fortress models quantize``: ONNX Runtime dynamic int8 quantization of a registered version, measured
on the model's own held-out split and registered (alias ``staging``) only when quality holds.

Where it applies: ``quantize_dynamic`` rewrites Conv, MatMul (and Gemm as MatMul) with int8 weights. Of
the reference models only the CNN (``image_analyzer``) has such ops: tree ensembles (``TreeEnsemble*``)
and TF-IDF + linear models (``TfIdfVectorizer``, ``LinearClassifier``) come out with no integer op and no
smaller; that is refused as not applicable (``QuantizeNotApplicable``) before anything is measured.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fortress.catalog.encode import encode_frame
from fortress.catalog.spec import ModelSpec
from fortress.datasets.task import TaskData
from fortress.errors import InvalidInput
from fortress.monitoring.drift.reference import build_reference
from fortress.registry.base import STAGING, Candidate, ModelRegistry, VersionInfo
from fortress.runtime.session import SessionOptions, load_session
from fortress.training.evaluate import evaluate
from fortress.training.parity import session_probabilities

MAX_DROP_POINTS = 0.5
"""Largest held-out quality drop (gate metric x 100) a quantized version may show and be registered."""
INTEGER_OPS = frozenset(
    {"ConvInteger", "MatMulInteger", "QLinearConv", "QLinearMatMul", "DynamicQuantizeLinear"}
)
QUANTIZED_TAG = "fortress.quantized_from"
BATCHES = (1, 64)


class QuantizeNotApplicable(InvalidInput):
    """The model has no op dynamic quantization makes smaller (exit 2 on the command line)."""


@dataclass(frozen=True, slots=True)
class Variant:
    size_bytes: int
    latency_s: dict[int, float]
    metrics: dict[str, float]


def quantize_onnx(onnx_bytes: bytes) -> bytes:
    """``quantize_dynamic`` with int8 weights (files in a temporary folder: its API takes paths)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="fortress-quantize-") as tmp:
        source, target = Path(tmp) / "model.onnx", Path(tmp) / "model.int8.onnx"
        source.write_bytes(onnx_bytes)
        logging.disable(logging.WARNING)  # "consider pre-processing": printed on the root logger
        try:
            quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        finally:
            logging.disable(logging.NOTSET)
        return target.read_bytes()


def op_types(onnx_bytes: bytes) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load_from_string(onnx_bytes).graph.node}


def applicable(original: bytes, quantized: bytes) -> str | None:
    """``None`` when quantization did something; else why it does not apply."""
    ops = op_types(quantized) & INTEGER_OPS
    if not ops:
        kept = ", ".join(sorted(op_types(original)))
        return f"quantize_dynamic leaves no integer op (no Conv or MatMul it can rewrite; ops: {kept})"
    if len(quantized) >= len(original):
        return f"the int8 graph is not smaller ({len(quantized):,} vs {len(original):,} bytes)"
    return None


def _rows(inputs: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The first ``n`` rows, repeated when the split has fewer."""
    total = len(next(iter(inputs.values())))
    index = np.arange(n) % total
    return {k: v[index] for k, v in inputs.items()}


def median_latency(session: Any, feeds: dict[str, np.ndarray], runs: int) -> float:
    session.run(None, feeds)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        session.run(None, feeds)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def measure(
    spec: ModelSpec, onnx_bytes: bytes, test_in: dict[str, np.ndarray], y: np.ndarray, runs: int
) -> tuple[Variant, np.ndarray]:
    """Held-out metrics and the median latency at batch 1 and 64 (one intra-op thread)."""
    session = load_session(onnx_bytes, SessionOptions(intra_op_threads=1, inter_op_threads=1))
    proba = session_probabilities(session, test_in, chunk=512)
    latency = {n: median_latency(session, _rows(test_in, n), runs) for n in BATCHES}
    return Variant(len(onnx_bytes), latency, evaluate(spec, proba, y)), proba


def quantize_version(
    registry: ModelRegistry,
    name: str,
    ref: str | int,
    load_task: Callable[[VersionInfo], TaskData],
    metric: str,
    *,
    runs: int = 50,
    max_drop: float = MAX_DROP_POINTS,
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Quantize ``name@ref``, measure both on the test split of ``load_task(version)`` (called once
    quantization is known to apply), register when the drop on ``metric``
    is at most ``max_drop`` points (gate metric x 100); the report as a JSON-ready dict."""
    fetched = registry.fetch(name, ref)
    original = fetched.onnx_bytes()
    quantized = quantize_onnx(original)
    why_not = applicable(original, quantized)
    if why_not is not None:
        raise QuantizeNotApplicable(f"{name} v{fetched.info.version}: quantization does not apply: {why_not}")
    spec = fetched.spec
    task = load_task(fetched.info)
    test_in = encode_frame(spec, task.X_test)
    say(
        f"measuring v{fetched.info.version} and its int8 graph on {len(task.y_test):,} held-out rows "
        f"({task.source.name})"
    )
    before, _ = measure(fetched.spec, original, test_in, task.y_test, runs)
    after, proba = measure(fetched.spec, quantized, test_in, task.y_test, runs)
    if metric not in before.metrics:
        raise InvalidInput(f"{name}: gate metric {metric!r} was not computed on the held-out split")
    drop = (before.metrics[metric] - after.metrics[metric]) * 100.0
    body: dict[str, Any] = {
        "model": name,
        "source_version": fetched.info.version,
        "metric": metric,
        "recorded": fetched.info.metrics.get(metric),
        "held_out_rows": len(task.y_test),
        "data": task.source.name,
        "before": _variant(before),
        "after": _variant(after),
        "drop_points": drop,
        "max_drop_points": max_drop,
        "slower_at": [n for n in BATCHES if after.latency_s[n] > before.latency_s[n]],
        "registered": False,
        "version": None,
        "alias": None,
    }
    if drop > max_drop:
        body["reason"] = f"{metric} drops {drop:.2f} points (> {max_drop:g})"
        return body
    train_in = encode_frame(spec, task.X_train)
    train_proba = session_probabilities(load_session(quantized, SessionOptions()), train_in, chunk=512)
    candidate = Candidate(
        spec=spec,
        onnx=quantized,
        metrics={**after.metrics, "quantization_drop_points": drop},
        params={
            "quantization": "onnxruntime.quantize_dynamic",
            "weight_type": "QInt8",
            "source_version": fetched.info.version,
        },
        tags={
            **{
                k: v
                for k, v in fetched.info.tags.items()
                if not k.startswith("fortress.") or k == "fortress.gates_version"
            },
            QUANTIZED_TAG: str(fetched.info.version),
        },
        baseline={**fetched.baseline, "drift": build_reference(spec, train_in, train_proba).to_dict()},
        input_example={k: v[:2] for k, v in test_in.items()},
        output_example=proba[:2].astype(np.float32),
        headline_metric=metric,
    )
    info = registry.register(candidate)
    registry.set_alias(name, STAGING, info.version)
    body.update(
        registered=True,
        version=info.version,
        alias=STAGING,
        reason=f"{metric} drops {drop:.2f} points (<= {max_drop:g})",
    )
    return body


def _variant(variant: Variant) -> dict[str, Any]:
    return {
        "size_bytes": variant.size_bytes,
        "latency_ms": {str(n): s * 1000.0 for n, s in variant.latency_s.items()},
        "metrics": variant.metrics,
    }
