"""``fortress cost report`` against a gateway process that serves a known load."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from fortress.catalog import get_spec
from fortress.gateway.example import example_investigation
from fortress.settings import Settings
from support.cli import FORTRESS, command_env
from support.ops import TRAINED
from support.up_process import fortress_up

DISTINCT, REPEATS = 20, 10


@pytest.mark.slow
def test_cost_report_counts_what_was_sent_and_prices_it_by_hand(home: Settings, tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"cpu_per_vcpu_hour": 0.05, "ram_per_gib_hour": 0.01, "source": "test"}))
    specs = [get_spec(name) for name in TRAINED]
    bodies = [example_investigation(specs, f"cost-{i}", seed=i) for i in range(DISTINCT)]
    unlimited = {
        "FORTRESS_GATEWAY__RATE_LIMIT__ENABLED": "false",
        # every investigation logged whole, written within ~1 s: the report reads the home's log
        "FORTRESS_MONITORING__INFERENCE_LOG__SAMPLE_RATE": "1.0",
        "FORTRESS_MONITORING__INFERENCE_LOG__FLUSH_INTERVAL_S": "0.2",
    }
    with fortress_up(home.home, "--no-train", "--workers", "1", env=unlimited) as up:
        key = up.api_key()
        assert key is not None
        cmd = [
            FORTRESS, "cost", "report", "--metrics", f"{up.url}/metrics", "--window", "9s", "--json",
            "--prices", str(prices), "--vcpus", "2", "--memory-gib", "4",
        ]  # fmt: skip
        report = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=command_env(home.home),
            cwd=home.home,
        )
        assert report.stderr is not None
        line = report.stderr.readline()
        assert "first scrape taken" in line, line + report.stderr.read()
        started = time.monotonic()
        with httpx.Client(base_url=up.url, headers={"X-API-Key": key}, timeout=30) as client:
            for body in [*bodies, *[bodies[0]] * REPEATS]:
                assert client.post("/api/v1/inference", json=body).status_code == 200
        assert time.monotonic() - started < 5, "the load did not fit in the window"
        out, err = report.communicate(timeout=60)
        assert report.returncode == 0, err
    got = json.loads(out)
    assert got["investigations"] == DISTINCT + REPEATS
    for name in TRAINED:  # cached answers call no model
        assert got["members"][name]["inferences"] == DISTINCT
    assert got["inferences"] == DISTINCT * len(TRAINED)
    assert got["cache_hit_rate"] == pytest.approx(REPEATS / (DISTINCT + REPEATS))
    hours = got["window_s"] / 3600
    assert 9 <= got["window_s"] < 11
    total = 2 * hours * 0.05 + 4 * hours * 0.01
    assert got["cost"]["total"] == pytest.approx(total)
    assert got["cost_per_1k_investigations"] == pytest.approx(total / (DISTINCT + REPEATS) * 1000)
    assert got["cost_per_inference"] == pytest.approx(total / (DISTINCT * len(TRAINED)))
    shares = [m["compute_share"] for m in got["members"].values()]
    assert sum(shares) == pytest.approx(1.0)
    assert sum(m["cost"] for m in got["members"].values()) == pytest.approx(total)
    assert got["contribution"]["investigations"] == DISTINCT  # cached answers are not logged
    for name in TRAINED:
        member = got["members"][name]
        assert member["logged_investigations"] == DISTINCT
        assert 0 <= member["verdict_changes_when_dropped"] <= DISTINCT
    text = "\n".join(got["recommendations"])
    assert f"hit rate is {REPEATS / (DISTINCT + REPEATS):.2f}" in text  # < 0.5: improve caching
    assert "increase batching: the average batch is" in text  # one investigation at a time
    assert "consolidate replicas" in text
