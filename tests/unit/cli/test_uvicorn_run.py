"""How many server processes a Fortress command starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fortress.cli.uvicorn_run import process_count
from fortress.gateway.settings import GatewaySettings
from support.cli import fortress


def test_zero_workers_means_one_per_usable_cpu_core() -> None:
    assert GatewaySettings().workers == 0  # the gateway's default
    assert process_count(0) == len(os.sched_getaffinity(0))


def test_zero_workers_counts_the_cores_this_process_may_use_not_the_machines() -> None:
    """Pinned to one core (as a container's CPU set or taskset does), one worker, on any machine."""
    code = (
        "import os; from fortress.cli.uvicorn_run import process_count; "
        "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        "print(process_count(0), os.cpu_count())"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    workers, cores = child.stdout.split()
    assert workers == "1", f"{workers} workers on one usable core (the machine has {cores})"


@pytest.mark.parametrize("workers", [1, 3])
def test_a_given_worker_count_is_kept(workers: int) -> None:
    assert process_count(workers) == workers


def test_up_refuses_a_negative_worker_count(tmp_path: Path) -> None:
    result = fortress(tmp_path, "up", "--workers", "-1")
    assert result.returncode == 2
    assert "Invalid value" in result.stderr
    assert "Traceback" not in result.stderr


def test_workers_are_not_handed_the_unknown_variables_the_command_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fortress.cli.uvicorn_run import export_to_workers
    from fortress.settings import Settings, unknown_settings

    monkeypatch.setenv("FORTRESS_HOMEE", "/x")  # reported by the command; each worker would repeat it
    monkeypatch.setenv("FORTRESS_TEST_KEEP", "1")
    monkeypatch.setenv("FORTRESS_GATEWAY", "{}")  # so that monkeypatch removes what is exported
    monkeypatch.setenv("FORTRESS_RUNTIME", "{}")
    export_to_workers(Settings(), ("gateway", "runtime"))
    assert "FORTRESS_HOMEE" not in os.environ
    assert os.environ["FORTRESS_TEST_KEEP"] == "1"
    assert unknown_settings(os.environ) == []
