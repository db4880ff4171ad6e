"""A model server over a real registry, in-process: candidates to register and an HTTP client on the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import numpy as np
import pandas as pd
from prometheus_client import CollectorRegistry

from fortress.catalog import get_spec
from fortress.catalog.encode import encode_frame
from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.registry.base import CANARY, CHAMPION, Candidate
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.runtime.manager import ModelRuntime
from fortress.server.app import create_app
from fortress.server.settings import ServerSettings
from fortress.settings import Settings
from fortress.training.baseline import baseline_stats
from fortress.training.trainers import train

from .candidates import tiny_candidate


def text_candidate(seed: int = 3) -> Candidate:
    """``phishing_url`` (one string input, 'text' [N, 1]) trained on a few hundred synthetic URLs."""
    spec = get_spec("phishing_url")
    rng = np.random.default_rng(seed)
    good = [f"https://www.example{i}.com/news/{rng.integers(1000)}" for i in range(200)]
    bad = [
        f"http://{rng.integers(255)}.{rng.integers(255)}.1.2/paypal-login/verify?id={i}" for i in range(200)
    ]
    frame = pd.DataFrame({"url": good + bad})
    y = np.array([0] * 200 + [1] * 200)
    inputs = encode_frame(spec, frame)
    result = train(spec, inputs, y, seed=seed, threads=1)
    proba = result.model.predict_proba(inputs)
    return Candidate(
        spec=spec,
        onnx=result.model.to_onnx(),
        metrics={"roc_auc": 0.99},
        params=result.params,
        tags={"data.kind": "simulated", "data.name": "test", "data.seed": str(seed)},
        baseline=baseline_stats(spec, frame),
        input_example={k: v[:2] for k, v in inputs.items()},
        output_example=proba[:2].astype(np.float32),
        headline_metric="roc_auc",
    )


@dataclass(frozen=True, slots=True)
class ServedCandidates:
    """tiny_detector v1 (champion) and v2 (canary), numeric + categorical; phishing_url v1 (champion)."""

    tiny_v1: Candidate
    tiny_v2: Candidate
    text: Candidate


def served_candidates() -> ServedCandidates:
    return ServedCandidates(tiny_candidate(seed=1)[0], tiny_candidate(seed=2)[0], text_candidate())


def register(settings: Settings, candidates: ServedCandidates) -> None:
    registry = MlflowRegistry(settings.registry, settings.home)
    for candidate, alias in (
        (candidates.tiny_v1, CHAMPION),
        (candidates.tiny_v2, CANARY),
        (candidates.text, CHAMPION),
    ):
        info = registry.register(candidate)
        registry.set_alias(info.name, alias, info.version)


@asynccontextmanager
async def served_client(
    settings: Settings, server: ServerSettings | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, CollectorRegistry]]:
    """The app over a started runtime (its lifespan runs), with an in-process HTTP client."""
    metrics = CollectorRegistry()
    runtime = ModelRuntime(
        MlflowRegistry(settings.registry, settings.home), settings.runtime, RuntimeMetrics(metrics)
    )
    app = create_app(runtime, server or ServerSettings(grpc_port=0), metrics)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fortress") as client:
            yield client, metrics
