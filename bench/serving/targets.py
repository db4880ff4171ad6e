"""The servers under test: how each is launched, where it is ready, what it is sent and what it answers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.serving.model import ModelArtifacts
from bench.serving.processes import clean_env

REPO = Path(__file__).resolve().parents[2]
PYTHON = Path(sys.executable)

Decode = Callable[[Any], list[float]]


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    """Row group in the report: ``floor``, ``fortress`` or ``mlserver``."""
    label: str
    argv: list[str]
    env: dict[str, str]
    port: int
    ready_path: str
    predict_path: str
    body: bytes
    decode: Decode
    """Response JSON -> the probabilities to compare (the row's classes; for a gateway, every model's)."""
    variant: str = ""
    """Configuration in a few words (MLServer's batching settings)."""
    cwd: Path = REPO
    scrape_batches: bool = False
    """Read ``fortress_batch_rows`` from ``/metrics`` to report the mean rows per batch."""
    marker: str | None = None
    """A 200 answer whose body contains this is counted as failed (the gateway's degraded answers)."""


def tf_rows_body(model: ModelArtifacts) -> bytes:
    return json.dumps({"instances": [model.row]}, separators=(",", ":")).encode()


def _tf_predictions(answer: Any) -> list[float]:
    return [float(p) for p in answer["predictions"][0]]


def floor(model: ModelArtifacts, port: int, workers: int = 1, cached: bool = False) -> Target:
    """The floor (a); ``cached``: the same stack answering from a body-keyed cache (its HTTP ceiling)."""
    argv = [str(PYTHON), "-m", "uvicorn", "--factory", "bench.serving.floor_app:create_app"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    argv += ["--no-access-log", "--log-level", "warning"]
    suffix = "" if workers == 1 else f", {workers} workers"
    label = f"(a) floor: uvicorn + Starlette + ONNX Runtime{suffix}"
    if cached:
        label = f"HTTP ceiling: the floor's stack answering from a cache, no model call{suffix}"
    return Target(
        key="floor",
        label=label,
        argv=argv,
        env=clean_env(BENCH_FLOOR_ONNX=str(model.onnx)),
        port=port,
        ready_path="/health",
        predict_path="/cached" if cached else "/predict",
        body=tf_rows_body(model),
        decode=_tf_predictions,
    )


BATCHING_OFF = {"FORTRESS_RUNTIME__BATCHING__MAX_BATCH_SIZE": "1"}
ALWAYS_BATCHER = {"FORTRESS_RUNTIME__BATCHING__INLINE_BELOW_US": "0"}
"""Cheap idle models run inline on the event loop by default; this sends every request through the
dynamic batcher instead."""


def fortress(
    model: ModelArtifacts,
    port: int,
    workers: int = 1,
    settings: Mapping[str, str] | None = None,
    variant: str = "",
) -> Target:
    """`fortress serve` (b); ``settings``: ``FORTRESS_*`` variables on top of the defaults."""
    argv = [str(PYTHON.with_name("fortress")), "serve", "--models", model.name]
    argv += ["--rest-port", str(port), "--grpc-port", "0", "--workers", str(workers)]
    env = clean_env(FORTRESS_HOME=str(model.home), **(settings or {}))
    details = [f"{workers} workers"] if workers > 1 else []
    if variant:
        details.append(variant)
    suffix = f" ({', '.join(details)})" if details else ""
    return Target(
        key="fortress",
        label=f"(b) fortress serve, TF Serving REST{suffix}",
        argv=argv,
        env=env,
        port=port,
        ready_path=f"/v2/models/{model.name}/ready",
        predict_path=f"/v1/models/{model.name}:predict",
        body=tf_rows_body(model),
        decode=_tf_predictions,
        scrape_batches=workers == 1,  # with several workers /metrics is one worker's, whichever answers
    )


@dataclass(frozen=True, slots=True)
class MlserverConfig:
    label: str
    max_batch_size: int = 0
    max_batch_time_s: float = 0.0
    parallel_workers: int | None = None
    """Inference worker processes (MLServer's default: 1; 0 runs inference in the server process)."""


def _v2_probabilities(answer: Any) -> list[float]:
    return [float(p) for p in answer["outputs"][0]["data"]]


def write_mlserver_repo(
    root: Path, model: ModelArtifacts, config: MlserverConfig, ports: tuple[int, int, int]
) -> Path:
    """A model repository: ``settings.json`` (ports, no access log) and one model folder."""
    http, grpc, metrics = ports
    root.mkdir(parents=True, exist_ok=True)
    settings = {"debug": False, "host": "127.0.0.1", "http_port": http, "grpc_port": grpc}
    settings["metrics_port"] = metrics
    if config.parallel_workers is not None:
        settings["parallel_workers"] = config.parallel_workers
    (root / "settings.json").write_text(json.dumps(settings, indent=2))
    folder = root / model.name
    folder.mkdir(exist_ok=True)
    model_settings = {
        "name": model.name,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {
            "uri": str(model.estimator),
            "version": "1",
            "extra": {"predict_fn": "predict_proba"},
        },
        "max_batch_size": config.max_batch_size,
        "max_batch_time": config.max_batch_time_s,
    }
    (folder / "model-settings.json").write_text(json.dumps(model_settings, indent=2))
    return root


def mlserver(
    model: ModelArtifacts, executable: Path, root: Path, config: MlserverConfig, ports: tuple[int, int, int]
) -> Target:
    repo = write_mlserver_repo(root, model, config, ports)
    tensor = {"name": "input-0", "shape": [1, len(model.row)], "datatype": "FP32", "data": model.row}
    body = json.dumps({"inputs": [tensor]}, separators=(",", ":")).encode()
    return Target(
        key="mlserver",
        label=f"(c) MLServer, scikit-learn runtime, {config.label}",
        argv=[str(executable), "start", str(repo)],
        env=clean_env(),
        port=ports[0],
        ready_path=f"/v2/models/{model.name}/ready",
        predict_path=f"/v2/models/{model.name}/infer",
        body=body,
        decode=_v2_probabilities,
        cwd=repo,
        variant=config.label,
    )
