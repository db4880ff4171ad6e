"""The inference log in the gateway over a real registry and runtime: served investigations are found
in the Parquet log under the feature repository (sampled, degraded, fallbacks), a full queue never
fails an answer, and the log can be turned off."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from fortress.gateway.settings import GatewaySettings
from fortress.monitoring.inference_log.reader import read_window
from fortress.monitoring.settings import MonitoringSettings
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from support.gateway import TINY, gateway_candidates, gateway_client, investigation, register_gateway_models

pytestmark = pytest.mark.anyio
OPEN = {"auth": {"enabled": False}, "rate_limit": {"enabled": False}}
REQUESTS = 12


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    home = tmp_path_factory.mktemp("inference-log") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    register_gateway_models(_settings(home), gateway_candidates())
    return home


@pytest.fixture
def home(registered: Path) -> Path:
    shutil.rmtree(registered / "features", ignore_errors=True)
    return registered


def _settings(home: Path, **log: Any) -> Settings:
    monitoring = {"drift_enabled": False, "inference_log": {"flush_interval_s": 0.05, **log}}
    return Settings(
        home=home,
        datasets_dir=None,
        registry=RegistrySettings(),
        gateway=GatewaySettings(**OPEN),  # type: ignore[arg-type]
        monitoring=MonitoringSettings.model_validate(monitoring),
    )


def _log_dir(home: Path) -> Path:
    return home / "features" / "offline" / "inference_log"


async def _serve(client: Any, n: int) -> list[dict[str, Any]]:
    bodies = []
    for i in range(n):
        request = investigation(f"inv-{i}")
        request["features"]["tiny"] = {**TINY, "x": 0.3 + i / 100}  # distinct: no cache hits
        response = await client.post("/api/v1/inference", json=request)
        assert response.status_code == 200, response.text
        bodies.append(response.json())
    return bodies


async def test_served_investigations_are_in_the_log(home: Path) -> None:
    started = time.time()
    async with gateway_client(_settings(home, sample_rate=1.0)) as (client, platform):
        assert platform.inference_log is not None
        bodies = await _serve(client, REQUESTS)
        metrics = (await client.get("/metrics")).text
    assert all(not body["degraded"] for body in bodies)
    assert 'fortress_inference_log_rows_dropped_total{reason="queue_full",sink="parquet"} 0.0' in metrics
    root = _log_dir(home)  # the default: the feature repository's offline store
    ids = [f"inv-{i}" for i in range(REQUESTS)]
    for model in ("tiny_detector", "tiny_primary", "phishing_url"):
        frame = read_window(root, model, started - 1, time.time() + 1)
        assert sorted(frame["investigation_id"]) == sorted(ids), model
        assert set(frame["version"]) == {1}
        assert set(frame["route"]) == {"champion"}
        assert frame["sampled"].all()
        assert not frame["degraded"].any()
    tiny = read_window(root, "tiny_detector", started - 1, time.time() + 1).sort_values("investigation_id")
    first = tiny[tiny["investigation_id"] == "inv-3"].iloc[0]
    assert first["input.x"] == pytest.approx(0.33)
    assert first["input.proto"] == "udp"
    answer = bodies[3]["predictions"]["tiny_detector"]
    assert first["label"] == answer["label"]
    assert first["confidence"] == pytest.approx(answer["confidence"], rel=1e-6)
    assert list(first["probabilities"]) == pytest.approx(list(answer["probabilities"].values()), rel=1e-6)


async def test_degraded_answers_are_logged_unsampled_with_their_fallback(home: Path) -> None:
    started = time.time()
    settings = _settings(home, sample_rate=0.0, low_confidence=0.0)
    async with gateway_client(settings, broken=["tiny_primary"]) as (client, _):
        bodies = await _serve(client, 3)
    assert all(body["degraded"] for body in bodies)
    root = _log_dir(home)
    tiny = read_window(root, "tiny_detector", started - 1, time.time() + 1)
    # every degraded investigation: tiny_detector answered for itself and stood in for tiny_primary
    assert len(tiny) == 6
    assert tiny["degraded"].all()
    assert not tiny["sampled"].any()
    assert sorted(tiny["fallback_for"].fillna("-")) == ["-"] * 3 + ["tiny_primary"] * 3
    assert not list(root.glob("date=*/model=tiny_primary"))  # the broken model never answered


async def test_a_full_queue_drops_rows_and_answers_as_always(home: Path) -> None:
    settings = _settings(home, sample_rate=1.0, queue_max_rows=1, flush_interval_s=3600)
    async with gateway_client(settings) as (client, platform):
        bodies = await _serve(client, 5)
        registry = platform.metrics_registry
    assert len(bodies) == 5
    assert all(not body["degraded"] for body in bodies)
    dropped = registry.get_sample_value(
        "fortress_inference_log_rows_dropped_total", {"sink": "parquet", "reason": "queue_full"}
    )
    written = registry.get_sample_value("fortress_inference_log_rows_written_total", {"sink": "parquet"})
    assert dropped is not None
    assert written is not None
    assert dropped >= 5 * 3 - 6  # one row held at a time, the queue emptied once a second at most
    assert dropped + written == 5 * 3  # three models per investigation: every row written or counted


async def test_inference_log_off(home: Path) -> None:
    async with gateway_client(_settings(home, enabled=False)) as (client, platform):
        assert platform.inference_log is None
        assert platform.service.inference_log is None
        await _serve(client, 2)
        metrics = (await client.get("/metrics")).text
    assert "fortress_inference_log" not in metrics
    assert not _log_dir(home).exists()


async def test_a_log_folder_that_cannot_be_created_turns_the_log_off(home: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log's parent folder should be")
    async with gateway_client(_settings(home, path=str(blocker / "log"))) as (client, platform):
        assert platform.inference_log is None
        assert platform.service.inference_log is None
        bodies = await _serve(client, 2)
    assert all(not body["degraded"] for body in bodies)
