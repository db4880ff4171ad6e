"""tests/load/locustfile.py (the CI load test) run headless for 20 s against a local ``fortress up``:
the blueprint's 100 users at spawn rate 10, and not one failed request."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import fortress
from support.up_process import fortress_up

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timeout(900)]
LOCUSTFILE = Path(__file__).resolve().parents[1] / "load" / "locustfile.py"
LOCUST = Path(sys.executable).with_name("locust")
OPEN = {"FORTRESS_GATEWAY__AUTH__ENABLED": "false"}


def test_locustfile_runs_20_s_with_no_failures(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    trained = fortress(home, "train", "--models", "dga_detector", timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    with fortress_up(home, "--no-train", "--workers", "1", env=OPEN) as up:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORTRESS_")}
        env["LOAD_INVESTIGATION"] = str(home / "example-investigation.json")
        command = [str(LOCUST), "-f", str(LOCUSTFILE), "--host", up.url, "--headless", "--users", "100"]
        command += [
            "--spawn-rate",
            "10",
            "--run-time",
            "20s",
            "--only-summary",
            "--csv",
            str(tmp_path / "load"),
        ]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
        assert up.stop() == 0
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with (tmp_path / "load_stats.csv").open(encoding="utf-8") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    total = rows["Aggregated"]
    assert int(total["Failure Count"]) == 0, result.stderr[-3000:]
    assert int(rows["/api/v1/inference"]["Request Count"]) > 200  # 100 users, ~1 request/s each, 20 s
