"""Cost against contribution: the inference log written by a real in-process gateway, read back, and the
verdict recomputed with and without each member by the gateway's own vote; the counts equal those
recomputed from the gateway's answers themselves."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from fortress.cli.ops_wiring import ensemble_verdict, inference_log_dir, served_specs
from fortress.gateway.ensemble import Vote, vote
from fortress.gateway.settings import GatewaySettings
from fortress.monitoring.settings import MonitoringSettings
from fortress.ops.contribution import from_log
from fortress.ops.cost import Allocation, PriceBook, report
from fortress.ops.cost_usage import Usage
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from support.gateway import TINY, gateway_candidates, gateway_client, investigation, register_gateway_models

pytestmark = pytest.mark.anyio
OPEN = {"auth": {"enabled": False}, "rate_limit": {"enabled": False}}
SAMPLED, UNSAMPLED = 16, 4


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def _settings(home: Path, **log: Any) -> Settings:
    monitoring = {"drift_enabled": False, "inference_log": {"flush_interval_s": 0.05, **log}}
    return Settings(
        home=home,
        datasets_dir=None,
        registry=RegistrySettings(),
        gateway=GatewaySettings(**OPEN),  # type: ignore[arg-type]
        monitoring=MonitoringSettings.model_validate(monitoring),
    )


async def _serve(client: Any, ids: range, prefix: str) -> list[dict[str, Any]]:
    bodies = []
    for i in ids:
        request = investigation(f"{prefix}-{i}")
        # x across the tiny models' boundary (x + 0.5 udp > 0.2): their verdicts differ by investigation
        request["features"]["tiny"] = {**TINY, "x": -1.6 + 3.2 * i / SAMPLED, "proto": "tcp"}
        response = await client.post("/api/v1/inference", json=request)
        assert response.status_code == 200, response.text
        bodies.append(response.json())
    return bodies


def _expected(bodies: list[dict[str, Any]], settings: Settings) -> dict[str, int]:
    """From the answers themselves: per member, the verdicts that change when it is left out."""
    changed: dict[str, int] = {}
    for body in bodies:
        votes = [Vote(d["model"], d["weight"], d["risk"]) for d in body["ensemble"]["drivers"]]
        for left_out in votes:
            rest = [v for v in votes if v is not left_out]
            verdict = vote(rest, sum(v.weight for v in rest), settings.gateway.ensemble)["verdict"]
            changed[left_out.model] = changed.get(left_out.model, 0) + (
                verdict != body["ensemble"]["verdict"]
            )
    return changed


async def test_verdict_changes_when_dropped_match_the_gateways_answers(
    tmp_path: Path, sqlite_template: Path
) -> None:
    home = tmp_path / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    register_gateway_models(_settings(home), gateway_candidates())
    started = time.time()
    sampled = _settings(home, sample_rate=1.0)
    async with gateway_client(sampled) as (client, _):
        bodies = await _serve(client, range(SAMPLED), "whole")
    # not sampled, every answer below the confidence bar: logged, but not whole investigations
    async with gateway_client(_settings(home, sample_rate=0.0, low_confidence=1.0)) as (client, _):
        await _serve(client, range(UNSAMPLED), "part")
    root = inference_log_dir(sampled)
    assert any(root.glob("date=*/model=tiny_detector/*.parquet"))

    found = from_log(root, time.time() + 1 - started, served_specs(sampled), ensemble_verdict(sampled))

    assert found["investigations"] == SAMPLED  # the unsampled ones are partial: left out
    expected = _expected(bodies, sampled)
    assert set(found["members"]) == {"tiny_detector", "tiny_primary", "phishing_url"} == set(expected)
    for model, member in found["members"].items():
        assert member["investigations"] == SAMPLED
        assert member["verdict_changes"] == expected[model], model
    assert sum(expected.values()) > 0  # the load makes some verdicts hinge on one member

    usage = Usage(
        60.0,
        SAMPLED,
        {"tiny_detector": 16.0, "phishing_url": 16.0},
        {"tiny_detector": 0.5, "phishing_url": 0.01},
    )
    body = report(usage, PriceBook(), Allocation(1, 1), found)
    tiny = body["members"]["tiny_detector"]
    assert tiny["verdict_changes_when_dropped"] == expected["tiny_detector"]
    assert tiny["verdict_change_share"] == pytest.approx(expected["tiny_detector"] / SAMPLED)
    assert not [line for line in body["recommendations"] if line.startswith("review ")]  # all >= 1%


async def test_a_fallbacks_answer_counts_for_the_member_it_stood_in_for(
    tmp_path: Path, sqlite_template: Path
) -> None:
    home = tmp_path / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    register_gateway_models(_settings(home), gateway_candidates())
    started = time.time()
    settings = _settings(home, sample_rate=0.0, low_confidence=0.0)  # logged because degraded
    async with gateway_client(settings, broken=["tiny_primary"]) as (client, _):
        bodies = await _serve(client, range(SAMPLED), "degraded")
    assert all(body["degraded"] for body in bodies)

    found = from_log(
        inference_log_dir(settings),
        time.time() + 1 - started,
        served_specs(settings),
        ensemble_verdict(settings),
    )

    assert found["investigations"] == SAMPLED
    expected = _expected(bodies, settings)
    assert set(found["members"]) == {"tiny_detector", "tiny_primary", "phishing_url"} == set(expected)
    for model, member in found["members"].items():
        assert member["verdict_changes"] == expected[model], model


def test_an_empty_log_says_so_in_the_advice(tmp_path: Path) -> None:
    found = from_log(tmp_path / "none", 60.0, lambda _m, _v: None, lambda _a: "benign")
    assert found == {"log": str(tmp_path / "none"), "investigations": 0, "members": {}}
    body = report(Usage(60.0, 1, {"a": 1.0}, {"a": 1.0}), PriceBook(), Allocation(1, 1), found)
    assert any("no whole investigation in the inference log" in line for line in body["recommendations"])


def test_a_costly_member_that_changes_no_verdict_is_to_review() -> None:
    found = {
        "log": "log",
        "investigations": 200,
        "members": {
            "idle": {"investigations": 200, "verdict_changes": 1, "share": 0.005},
            "key": {"investigations": 200, "verdict_changes": 40, "share": 0.2},
            "cheap": {"investigations": 200, "verdict_changes": 0, "share": 0.0},
        },
    }
    compute = {"idle": 0.6, "key": 0.39, "cheap": 0.01}
    body = report(
        Usage(60.0, 200, dict.fromkeys(compute, 200.0), compute), PriceBook(), Allocation(1, 1), found
    )
    review = [line for line in body["recommendations"] if line.startswith("review ")]
    assert review == [
        "review idle: it takes 60% of the compute and dropping it changes the verdict of 1 of 200 logged "
        "investigations (0.5% < 1%): a candidate to drop or run on fewer investigations"
    ]
