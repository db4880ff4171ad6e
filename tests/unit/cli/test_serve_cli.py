"""``fortress serve`` options: help, clear errors, and the settings worker processes rebuild."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.cli.serve import _settings
from fortress.cli.uvicorn_run import export_to_workers
from fortress.settings import Settings
from support.cli import fortress, one_error_line


def test_help_lists_the_options(tmp_path: Path) -> None:
    result = fortress(tmp_path, "serve", "--help")
    assert result.returncode == 0, result.stderr
    for option in ("--models", "--host", "--rest-port", "--grpc-port", "--workers"):
        assert option in result.stdout


def test_unknown_model_is_one_clear_line(tmp_path: Path) -> None:
    line = one_error_line(fortress(tmp_path, "serve", "--models", "nope", "--rest-port", "0"))
    assert line.startswith("error: unknown model 'nope'")


@pytest.mark.parametrize("args", [["--workers", "0"], ["--rest-port", "70000"], ["--grpc-port", "-1"]])
def test_out_of_range_options_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    result = fortress(tmp_path, "serve", *args)
    assert result.returncode == 2
    assert "Invalid value" in result.stderr
    assert "Traceback" not in result.stderr


def test_workers_rebuild_the_command_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORTRESS_SERVER__REST_PORT", "1234")  # overridden by --rest-port below
    monkeypatch.setenv("FORTRESS_SERVER__MAX_BODY_BYTES", "2048")  # kept
    monkeypatch.setenv("FORTRESS_RUNTIME__BATCHING__MAX_BATCH_SIZE", "8")  # kept
    for name in ("FORTRESS_SERVER", "FORTRESS_RUNTIME"):
        monkeypatch.setenv(name, "{}")  # so that monkeypatch removes what the command sets
    command = _settings(Settings(), "a, b", None, 9000, 0, 3)
    assert command.server.rest_port == 9000
    assert command.server.max_body_bytes == 2048
    assert command.runtime.models == ["a", "b"]

    export_to_workers(command, ("server", "runtime"))
    worker = Settings()
    assert worker.server == command.server
    assert worker.runtime == command.runtime
    assert worker.runtime.batching.max_batch_size == 8
    assert (worker.server.rest_port, worker.server.grpc_port, worker.server.workers) == (9000, 0, 3)
