"""One ONNX Runtime session per loaded (model, version), validated inputs, warm-up."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fortress.catalog.spec import PROBABILITIES_OUTPUT, InputTensor, ModelSpec
from fortress.runtime.errors import BadTensor, ModelFailed

WARMUP_ROWS = (1, 8)
WARMUP_TIMINGS = 9


@dataclass(frozen=True, slots=True)
class SessionOptions:
    intra_op_threads: int = 1
    inter_op_threads: int = 1


@dataclass(eq=False)
class LoadedModel:
    """A model version ready to run: ``run`` takes validated input tensors, returns probabilities."""

    spec: ModelSpec
    version: int
    onnx_sha256: str
    session: Any  # onnxruntime.InferenceSession
    size_bytes: int
    inputs: dict[str, InputTensor] = field(default_factory=dict)
    batch1_seconds: float = 0.0
    """Median cost of a one-row call, measured at warm-up (decides whether idle calls run inline)."""

    def __post_init__(self) -> None:
        self.inputs = {t.name: t for t in self.spec.inputs}

    @property
    def name(self) -> str:
        return self.spec.name

    def check(self, feeds: dict[str, np.ndarray], *, values_checked: bool = False) -> int:
        """Validate names, dtypes, shapes and values; return the batch size. ``values_checked``: the
        feeds come from ``catalog.encode``, which already refused NaN and infinity (not checked again)."""
        if feeds.keys() != self.inputs.keys():
            raise BadTensor(f"{self.name}: expected inputs {sorted(self.inputs)}, got {sorted(feeds)}")
        rows: int | None = None
        for name, tensor in self.inputs.items():
            value = feeds[name]
            if value.ndim == 0 or value.shape[1:] != tensor.shape:
                raise BadTensor(
                    f"{self.name}: input {name!r} must have shape [-1, {', '.join(map(str, tensor.shape))}], "
                    f"got {list(value.shape)}"
                )
            if tensor.dtype == "string":
                if value.dtype != object:
                    raise BadTensor(f"{self.name}: input {name!r} must hold strings (BYTES)")
            elif value.dtype != np.float32:
                raise BadTensor(f"{self.name}: input {name!r} must be FP32, got {value.dtype}")
            elif not values_checked and not np.isfinite(value).all():
                raise BadTensor(f"{self.name}: input {name!r} holds NaN or infinity")
            if rows is not None and value.shape[0] != rows:
                raise BadTensor(f"{self.name}: inputs disagree on the batch size")
            rows = value.shape[0]
        return rows or 0

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        try:
            out = self.session.run([PROBABILITIES_OUTPUT], feeds)[0]
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelFailed(f"{self.name} v{self.version}: execution failed: {exc}") from exc
        return np.asarray(out, dtype=np.float32)

    def example_feeds(self, rows: int) -> dict[str, np.ndarray]:
        feeds: dict[str, np.ndarray] = {}
        for name, tensor in self.inputs.items():
            shape = (rows, *tensor.shape)
            if tensor.dtype == "string":
                feeds[name] = np.full(shape, "", dtype=object)
            else:
                feeds[name] = np.zeros(shape, dtype=np.float32)
        return feeds

    def warm_up(self) -> None:
        """Run a few requests so the first real one pays no lazy initialisation; raise if any fails."""
        for rows in WARMUP_ROWS:
            out = self.run(self.example_feeds(rows))
            if out.shape != (rows, len(self.spec.labels)):
                raise ModelFailed(f"{self.name} v{self.version}: warm-up gave shape {out.shape}")
        one = self.example_feeds(1)
        timings = []
        for _ in range(WARMUP_TIMINGS):
            started = time.perf_counter()
            self.run(one)
            timings.append(time.perf_counter() - started)
        self.batch1_seconds = sorted(timings)[len(timings) // 2]


def load_session(onnx: bytes, options: SessionOptions) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = options.intra_op_threads
    opts.inter_op_num_threads = options.inter_op_threads
    opts.log_severity_level = 3
    return ort.InferenceSession(onnx, opts, providers=["CPUExecutionProvider"])


def load_model(
    spec: ModelSpec, version: int, onnx: bytes, onnx_sha256: str, options: SessionOptions
) -> LoadedModel:
    model = LoadedModel(spec, version, onnx_sha256, load_session(onnx, options), len(onnx))
    model.warm_up()
    return model
