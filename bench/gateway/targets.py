"""The servers under test: (a) the floor, (b) `fortress up` with the local backend, (c) `fortress up` with
every model on the TF Serving backend against `fortress serve` (the HTTP fan-out design)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.gateway.ensemble import Ensemble
from bench.serving.processes import Server, ServerError, clean_env
from bench.serving.targets import PYTHON, Decode, Target
from fortress.cli.uvicorn_run import process_count

INFERENCE = "/api/v1/inference"
DEGRADED = '"degraded":true'
"""In a gateway answer: some model gave no answer. Such a 200 counts as a failed request."""
OPEN_GATEWAY = {
    "FORTRESS_GATEWAY__AUTH__ENABLED": "false",
    "FORTRESS_GATEWAY__RATE_LIMIT__ENABLED": "false",
}
LONG_TIMEOUT_S = 30.0
"""(c) with patience: no model call is cut off by the gateway's 1 s / 2 s defaults."""
FORTRESS = PYTHON.with_name("fortress")


def floor(ensemble: Ensemble, port: int) -> Target:
    argv = [str(PYTHON), "-m", "bench.gateway.floor_app", "--port", str(port)]
    argv += ["--workers", str(process_count(0))]  # as many processes as (b) runs by default

    def decode(answer: Any) -> list[float]:
        return ensemble.flatten({n: [float(p) for p in answer["predictions"][n]] for n in ensemble.names})

    return Target(
        key="floor",
        label="(a) floor: uvicorn + Starlette, 12 ONNX Runtime calls in turn",
        argv=argv,
        env=clean_env(BENCH_GATEWAY_MODELS=str(ensemble.models_dir)),
        port=port,
        ready_path="/health",
        predict_path=INFERENCE,
        body=ensemble.body,
        decode=decode,
    )


def _gateway_decode(ensemble: Ensemble) -> Decode:
    def decode(answer: Any) -> list[float]:
        if answer["degraded"] or answer["unavailable"]:
            raise ValueError(f"degraded answer; unavailable: {answer['unavailable']}")
        predictions = answer["predictions"]
        return ensemble.flatten(
            {
                n: [float(predictions[n]["probabilities"][lb]) for lb in ensemble.labels[n]]
                for n in ensemble.names
            }
        )

    return decode


def gateway(
    ensemble: Ensemble,
    port: int,
    work: Path,
    *,
    key: str,
    label: str,
    settings: Mapping[str, str] | None = None,
    body: bytes | None = None,
    variant: str = "",
) -> Target:
    """`fortress up --no-train` on the benchmark's registry, auth and rate limit off, audit events to a
    file in ``work``; ``settings``: more ``FORTRESS_*`` variables."""
    argv = [str(FORTRESS), "up", "--no-train", "--port", str(port)]
    env = clean_env(
        FORTRESS_HOME=str(ensemble.home.path),
        FORTRESS_GATEWAY__EVENTS__PATH=str(work / f"events-{port}.jsonl"),
        **OPEN_GATEWAY,
        **(settings or {}),
    )
    return Target(
        key=key,
        label=label,
        argv=argv,
        env=env,
        port=port,
        ready_path="/health/ready",
        predict_path=INFERENCE,
        body=ensemble.body if body is None else body,
        decode=_gateway_decode(ensemble),
        variant=variant,
        marker=DEGRADED,
    )


LOCAL = "(b) fortress up, local backend (in-process ONNX Runtime)"


def local(ensemble: Ensemble, port: int, work: Path) -> Target:
    return gateway(ensemble, port, work, key="local", label=LOCAL)


def local_cached(ensemble: Ensemble, port: int, work: Path) -> Target:
    """(b) answering from its result cache (``cache_enabled: true``)."""
    label = f"{LOCAL}, cache on"
    return gateway(ensemble, port, work, key="local-cache", label=label, body=ensemble.cached_body)


def local_binary(ensemble: Ensemble, port: int, work: Path) -> Target:
    """(b) sent the same investigation with the image as base64 float32 (``{"b64": ...}``)."""
    label = f"{LOCAL}, image as base64 float32"
    return gateway(ensemble, port, work, key="local-b64", label=label, body=ensemble.binary_body)


def remote(ensemble: Ensemble, port: int, serve_url: str, work: Path, patient: bool = False) -> Target:
    """(c): every model on the ``tfserving`` backend at ``serve_url``; ``patient``: long timeouts."""
    backend: dict[str, Any] = {"kind": "tfserving", "url": serve_url}
    settings = {"FORTRESS_GATEWAY__DEFAULT_BACKEND": "serving"}
    label = "(c) fortress up -> fortress serve over HTTP (TF Serving REST), defaults"
    variant = "defaults (1 s per call, 2 s per model)"
    if patient:
        backend["timeout_s"] = LONG_TIMEOUT_S
        settings["FORTRESS_GATEWAY__MODEL_TIMEOUT_S"] = str(LONG_TIMEOUT_S)
        variant = f"timeouts {LONG_TIMEOUT_S:g} s"
        label = f"(c) fortress up -> fortress serve over HTTP (TF Serving REST), {variant}"
    settings["FORTRESS_GATEWAY__BACKENDS"] = json.dumps({"serving": backend})
    return gateway(ensemble, port, work, key="remote", label=label, settings=settings, variant=variant)


def model_server(ensemble: Ensemble, port: int) -> tuple[list[str], dict[str, str]]:
    """argv and environment of `fortress serve` for (c): every registered model, REST only."""
    argv = [str(FORTRESS), "serve", "--rest-port", str(port), "--grpc-port", "0"]
    return argv, clean_env(FORTRESS_HOME=str(ensemble.home.path))


def wait_all_models(server: Server, names: list[str], timeout_s: float = 120.0) -> None:
    """`fortress serve` is ready with one model loaded; wait until it has loaded every one."""
    deadline = time.monotonic() + timeout_s
    loaded: dict[str, list[int]] = {}
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(server.base_url + "/health/ready", timeout=5) as response:
                loaded = json.loads(response.read())["models"]
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            loaded = {}
        if all(loaded.get(name) for name in names):
            return
        time.sleep(0.5)
    missing = [name for name in names if not loaded.get(name)]
    raise ServerError(f"{server.name}: models not loaded after {timeout_s:.0f} s: {missing}")
