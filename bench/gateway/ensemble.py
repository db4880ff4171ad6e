"""What every server under test is given and must answer: the registry, the champions as ONNX files
for the floor, the twelve-model investigation body and the probabilities ONNX Runtime gives for it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.gateway.export import MANIFEST
from bench.gateway.floor_app import load_models, predict
from bench.gateway.home import TrainedHome, trained_home
from bench.serving.processes import clean_env

INVESTIGATION_ID = "bench-gateway-0001"
COST_BUDGET_S = 1.0


@dataclass(frozen=True, slots=True)
class Ensemble:
    home: TrainedHome
    models_dir: Path
    """``<name>.onnx`` of every champion and ``manifest.json`` (the floor loads these)."""
    versions: dict[str, int]
    labels: dict[str, list[str]]
    body: bytes
    """The investigation with ``cache_enabled: false``: every request runs all twelve models."""
    cached_body: bytes
    """The same with ``cache_enabled: true`` (after the first request, the gateway's cache answers)."""
    binary_body: bytes
    """``body`` with the image as ``{"b64": ...}`` (float32 bytes) instead of 3,072 JSON numbers."""
    expected: list[float]
    """ONNX Runtime's probabilities for the body, model by model (sorted names), label by label."""
    floor_us: float
    """In-process cost of the floor's work per investigation: 12 encodes and 12 session runs."""

    @property
    def names(self) -> list[str]:
        return sorted(self.versions)

    def flatten(self, per_model: dict[str, list[float]]) -> list[float]:
        return [p for name in self.names for p in per_model[name]]


def _export(home: Path, out: Path, progress: Callable[[str], None]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.gateway.export", str(out)],
        env=clean_env(FORTRESS_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    if done.returncode != 0:
        raise RuntimeError(f"exporting the champions failed:\n{done.stderr[-2000:]}")
    progress(f"  {done.stdout.strip()}")
    manifest: dict[str, Any] = json.loads((out / MANIFEST).read_text())
    return manifest


def _body(names: list[str], cache_enabled: bool, binary: bool = False) -> bytes:
    from fortress.catalog import get_spec
    from fortress.gateway.example import example_investigation, with_binary_tensors

    specs = [get_spec(n) for n in names]
    body = example_investigation(specs, INVESTIGATION_ID)
    if binary:
        body = with_binary_tensors(body, specs)
    return orjson.dumps({**body, "cache_enabled": cache_enabled})


def _cost_us(call: Callable[[], object]) -> float:
    call()
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < COST_BUDGET_S:
        call()
        calls += 1
    return (time.perf_counter() - started) / calls * 1e6


def prepare(
    home: Path | None, datasets_dir: Path | None, work: Path, progress: Callable[[str], None]
) -> Ensemble:
    from fortress.catalog import model_names

    trained = (
        TrainedHome(home, f"the given home {home}", True) if home else trained_home(datasets_dir, progress)
    )
    progress("exporting the champions for the floor")
    manifest = _export(trained.path, work / "models", progress)
    missing = sorted(set(model_names()) - set(manifest))
    if missing:
        raise RuntimeError(f"the registry lacks {missing}: the benchmark needs all twelve models")
    names = sorted(manifest)
    body = _body(names, cache_enabled=False)
    models = load_models(work / "models")
    features = orjson.loads(body)["features"]
    per_model = predict(models, features)
    cost = _cost_us(lambda: predict(models, features))
    progress(f"  the floor's work in-process: {cost / 1e3:.2f} ms per investigation ({len(names)} models)")
    return Ensemble(
        home=trained,
        models_dir=work / "models",
        versions={n: int(manifest[n]["version"]) for n in names},
        labels={n: list(manifest[n]["labels"]) for n in names},
        body=body,
        cached_body=_body(names, cache_enabled=True),
        binary_body=_body(names, cache_enabled=False, binary=True),
        expected=[p for n in names for p in per_model[n]],
        floor_us=cost,
    )
