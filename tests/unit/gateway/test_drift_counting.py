"""Drift counting in the gateway over a real registry and runtime: served rows reach each version's
reference bins and the /metrics scrape; versions without a readable reference answer as before.
(Cache hits never reach a model and are not counted: each request here differs.)"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fortress.catalog.encode import encode_frame
from fortress.gateway.settings import GatewaySettings
from fortress.monitoring.drift.reference import build_reference
from fortress.monitoring.settings import MonitoringSettings
from fortress.registry.base import Candidate
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from support.candidates import SPEC, tiny_frame
from support.gateway import TINY, gateway_candidates, gateway_client, investigation, register_gateway_models

pytestmark = pytest.mark.anyio
OPEN = {"auth": {"enabled": False}, "rate_limit": {"enabled": False}}
REQUESTS = 40


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def _with_reference(candidate: Candidate) -> Candidate:
    frame, _ = tiny_frame(n=2000, seed=4)
    proba = np.random.default_rng(4).dirichlet([1, 1], size=500)
    drift = build_reference(SPEC, encode_frame(SPEC, frame), proba).to_dict()
    return dataclasses.replace(candidate, baseline={**candidate.baseline, "drift": drift})


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """tiny_detector with a reference, tiny_primary without one (an old version), phishing_url corrupt."""
    home = tmp_path_factory.mktemp("drift") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    tiny, primary, url = gateway_candidates()
    corrupt = dataclasses.replace(
        url, baseline={**url.baseline, "drift": {"format": 1, "features": {"url": 3}}}
    )
    register_gateway_models(_settings(home, True), [_with_reference(tiny), primary, corrupt])
    return home


def _settings(home: Path, enabled: bool) -> Settings:
    monitoring = {"drift_enabled": enabled, "drift": {"min_rows": 20, "tick_s": 0.02, "flush_rows": 4}}
    return Settings(
        home=home,
        datasets_dir=None,
        registry=RegistrySettings(),
        gateway=GatewaySettings(**OPEN),  # type: ignore[arg-type]
        monitoring=MonitoringSettings.model_validate(monitoring),
    )


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_served_rows_are_counted_and_scored(home: Path) -> None:
    async with gateway_client(_settings(home, True)) as (client, platform):
        assert platform.drift is not None
        for i in range(REQUESTS):
            request = investigation(f"inv-{i}")
            request["features"]["tiny"] = {**TINY, "x": 3.0 + i / 100}  # distinct: no cache hits
            response = await client.post("/api/v1/inference", json=request)
            assert response.status_code == 200
            body: dict[str, Any] = response.json()
            assert not body["degraded"], body["unavailable"]
            if i == 0:  # the first calls ask for the references; they load off the request path
                for _ in range(500):
                    await asyncio.sleep(0.01)
                    if len(platform.drift.views) + len(platform.drift.unavailable) == 3:
                        break
        for _ in range(500):
            await asyncio.sleep(0.01)
            view = platform.drift.current.get("tiny_detector")
            if view is not None and view.window_rows == REQUESTS - 1:
                break
        metrics = _samples((await client.get("/metrics")).text)
    counted = [
        v for k, v in metrics.items() if k[0] == "fortress_drift_bin_total" and ("feature", "x") in k[1]
    ]
    assert sum(counted) == REQUESTS - 1  # every request after the first, once
    score = metrics[("ml_feature_drift_score", (("feature", "x"), ("model", "tiny_detector")))]
    assert score > 1.0  # x of 3 and more: all in the top bin
    assert ("ml_prediction_drift_score", (("model", "tiny_detector"),)) in metrics
    available = {k[1]: v for k, v in metrics.items() if k[0] == "fortress_drift_reference_available"}
    assert available == {
        (("model", "tiny_detector"), ("version", "1")): 1.0,
        (("model", "tiny_primary"), ("version", "1")): 0.0,
        (("model", "phishing_url"), ("version", "1")): 0.0,
    }
    reasons = platform.drift.unavailable
    assert "no drift reference" in reasons[("tiny_primary", 1)]
    assert "cannot read" in reasons[("phishing_url", 1)]


async def test_drift_counting_off(home: Path) -> None:
    async with gateway_client(_settings(home, False)) as (client, platform):
        assert platform.drift is None
        response = await client.post("/api/v1/inference", json=investigation())
        assert response.status_code == 200
        text = (await client.get("/metrics")).text
    assert "ml_inference_total" in text
    assert "fortress_drift_bin_total" not in text
    assert "ml_feature_drift_score" not in text
