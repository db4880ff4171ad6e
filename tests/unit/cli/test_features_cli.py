"""``fortress features``: help and bad input in a real process, the full flow in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fortress.cli.features import parse_entities
from fortress.cli.main import app
from fortress.errors import InvalidInput
from support.cli import fortress, one_error_line


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = fortress(tmp_path, "features", "--help")
    assert result.returncode == 0, result.stderr
    for command in ("apply", "ingest", "materialize", "get", "simulate"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["get", "--entity", "user_id"],
            "error: --entity must look like KEY=VALUE (e.g. user_id=u0001), got 'user_id'",
        ),
        (
            ["get", "--entity", "host=h1"],
            "error: unknown entity key 'host'; known: user_id, investigation_id",
        ),
        (["ingest", "missing.parquet"], "error: events file not found: "),
        (["materialize", "--incremental", "--start", "2026-01-01"], "error: --start cannot be combined"),
        (["materialize"], "error: no offline rows under "),
    ],
)
def test_bad_input_is_one_error_line(tmp_path: Path, args: list[str], expected: str) -> None:
    assert one_error_line(fortress(tmp_path, "features", *args)).startswith(expected)


def test_a_malformed_events_file_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_text("user_id,when\nu1,yesterday\n")
    line = one_error_line(fortress(tmp_path, "features", "ingest", "events.csv"))
    assert line == "error: raw events need an 'event_type' column"


def test_parse_entities() -> None:
    assert parse_entities(["user_id=u1", "investigation_id = inv-2"]) == {
        "user_id": "u1",
        "investigation_id": "inv-2",
    }
    with pytest.raises(InvalidInput):
        parse_entities(["user_id="])


def _run(home: Path, *args: str) -> Result:
    result = CliRunner().invoke(
        app, ["features", *args], env={"FORTRESS_HOME": str(home)}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result


def test_simulate_apply_ingest_materialize_get(tmp_path: Path) -> None:
    home, events = tmp_path / "home", tmp_path / "events.jsonl"
    assert (
        "wrote" in _run(home, "simulate", str(events), "--users", "12", "--days", "4", "--seed", "2").stdout
    )
    applied = _run(home, "apply").stdout
    assert (
        "feature views: threat_features, user_features, network_features, user_activity, login_profile"
        in applied
    )
    ingested = _run(home, "ingest", str(events), "--push-online")
    assert "computing features from" in ingested.stderr
    table = {line.split()[0]: line.split()[1:] for line in ingested.stdout.splitlines()[1:6]}
    assert set(table) == {
        "threat_features",
        "network_features",
        "user_features",
        "user_activity",
        "login_profile",
    }
    assert all(pushed != "-" for _, pushed in table.values())
    assert "materialized" in _run(home, "materialize", "--incremental").stdout
    assert "materialized" in _run(home, "materialize").stdout
    got = json.loads(_run(home, "get", "--entity", "user_id=u0001").stdout)
    assert set(got) == {"user_activity", "login_event", "user_features"}
    assert set(got["user_activity"]["values"]) == {
        "sessions_per_day",
        "avg_session_minutes",
        "distinct_ips_7d",
        "distinct_devices_7d",
        "failed_action_ratio",
        "data_download_mb",
        "after_hours_ratio",
        "privileged_actions",
        "new_resource_ratio",
        "api_calls_per_hour",
    }
    nobody = json.loads(_run(home, "get", "--entity", "user_id=nobody", "--group", "login_event").stdout)
    assert nobody["login_event"]["values"] == {}
    assert "auth_method" in nobody["login_event"]["missing"]
