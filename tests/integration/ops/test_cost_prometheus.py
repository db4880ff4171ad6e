"""``fortress cost report --prometheus``: a real Prometheus scrapes a gateway process that serves a known
load; the report read from Prometheus counts what was sent and prices the window by hand."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from fortress.catalog import get_spec
from fortress.gateway.example import example_investigation
from fortress.settings import Settings
from support.cli import fortress
from support.ops import TRAINED
from support.processes import free_port
from support.prometheus_server import MISSING, PROMETHEUS, prometheus_server, wait_for_value
from support.up_process import fortress_up

DISTINCT, REPEATS = 20, 10
WINDOW_S = 600


@pytest.mark.slow
@pytest.mark.skipif(PROMETHEUS is None, reason=MISSING)
def test_report_from_prometheus_counts_what_was_sent(home: Settings, tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"cpu_per_vcpu_hour": 0.05, "ram_per_gib_hour": 0.01, "source": "test"}))
    specs = [get_spec(name) for name in TRAINED]
    bodies = [example_investigation(specs, f"prom-{i}", seed=i) for i in range(DISTINCT)]
    unlimited = {
        "FORTRESS_GATEWAY__RATE_LIMIT__ENABLED": "false",
        "FORTRESS_MONITORING__INFERENCE_LOG__SAMPLE_RATE": "1.0",
        "FORTRESS_MONITORING__INFERENCE_LOG__FLUSH_INTERVAL_S": "0.2",
    }
    with fortress_up(home.home, "--no-train", "--workers", "1", env=unlimited) as up:
        key = up.api_key()
        assert key is not None
        with prometheus_server(tmp_path / "prometheus", [up.url.split("//")[1]]) as prom:
            wait_for_value(prom, 'up{job="fortress-gateway"}', 1)
            with httpx.Client(base_url=up.url, headers={"X-API-Key": key}, timeout=30) as client:
                for body in [*bodies, *[bodies[0]] * REPEATS]:
                    assert client.post("/api/v1/inference", json=body).status_code == 200
            wait_for_value(prom, "sum(fortress_gateway_verdicts_total)", DISTINCT + REPEATS)
            wait_for_value(prom, "sum(fortress_batch_rows_sum)", DISTINCT * len(TRAINED))
            args = ["--prometheus", prom, "--window", f"{WINDOW_S}s", "--json", "--prices", str(prices)]
            result = fortress(home.home, "cost", "report", *args, "--vcpus", "2", "--memory-gib", "4")
            text = fortress(home.home, "cost", "report", *[a for a in args if a != "--json"])
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"window {WINDOW_S:.1f} s: {DISTINCT + REPEATS} investigations")
    header = next(line for line in lines if "verdict changes when dropped" in line)
    assert header.split() == [
        "model", "inferences", "compute", "per", "1k", "verdict", "changes", "when", "dropped",
        f"({DISTINCT}", "logged", "investigations)",
    ]  # fmt: skip
    for name in TRAINED:
        row = next(line for line in lines if line.split()[0] == name)
        assert row.split()[1] == str(DISTINCT)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["source"] == {"prometheus": prom}
    assert got["contribution"]["investigations"] == DISTINCT  # the home's log, over the same window
    assert got["resets"] == []
    assert got["window_s"] == WINDOW_S
    assert got["investigations"] == DISTINCT + REPEATS
    for name in TRAINED:  # cached answers call no model
        assert got["members"][name]["inferences"] == DISTINCT
    assert got["cache_hit_rate"] == pytest.approx(REPEATS / (DISTINCT + REPEATS))
    hours = WINDOW_S / 3600
    total = 2 * hours * 0.05 + 4 * hours * 0.01
    assert got["cost"]["total"] == pytest.approx(total)
    assert got["cost_per_1k_investigations"] == pytest.approx(total / (DISTINCT + REPEATS) * 1000)
    assert got["cost_per_inference"] == pytest.approx(total / (DISTINCT * len(TRAINED)))
    assert sum(m["compute_share"] for m in got["members"].values()) == pytest.approx(1.0)
    assert all(m["compute_s"] > 0 for m in got["members"].values())
    assert "increase batching: the average batch is" in "\n".join(got["recommendations"])


def _serve(url: str, key: str, bodies: list[dict[str, object]]) -> None:
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
        for body in bodies:
            assert client.post("/api/v1/inference", json=body).status_code == 200


@pytest.mark.slow
@pytest.mark.skipif(PROMETHEUS is None, reason=MISSING)
def test_a_restarted_gateway_is_counted_across_the_reset_and_flagged(home: Settings, tmp_path: Path) -> None:
    specs = [get_spec(name) for name in TRAINED]
    first = [example_investigation(specs, f"a-{i}", seed=i) for i in range(DISTINCT)]
    second = [example_investigation(specs, f"b-{i}", seed=100 + i) for i in range(DISTINCT // 2)]
    env = {"FORTRESS_GATEWAY__RATE_LIMIT__ENABLED": "false"}
    port = free_port()
    with prometheus_server(tmp_path / "prometheus", [f"127.0.0.1:{port}"]) as prom:
        with fortress_up(home.home, "--no-train", "--workers", "1", env=env, port=port) as up:
            key = up.api_key()
            assert key is not None
            _serve(up.url, key, first)
            wait_for_value(prom, "sum(fortress_gateway_verdicts_total)", len(first))
        # the same target restarted: its counters start again from zero (a reset, as Prometheus sees it)
        with fortress_up(home.home, "--no-train", "--workers", "1", env=env, port=port) as up:
            _serve(up.url, key, second)
            wait_for_value(prom, "sum(fortress_gateway_verdicts_total)", len(second))
            result = fortress(home.home, "cost", "report", "--prometheus", prom, "--window", "10m", "--json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert "fortress_gateway_verdicts_total" in got["resets"]
    assert "ml_inference_total" in got["resets"]
    # before the reset and after it, each scraped: exact (a plain difference would give len(second),
    # increase() misses the first sample of a series born in the window and extrapolates)
    assert got["investigations"] == len(first) + len(second)
    for name in TRAINED:
        assert got["members"][name]["inferences"] == len(first) + len(second)
