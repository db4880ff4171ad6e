"""``fortress keys create/list/revoke`` in a real subprocess, against the store the gateway reads."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from fortress.gateway.auth.keys import ApiKeyStore
from support.cli import fortress, one_error_line

KEY = re.compile(r"fk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def create(home: Path, *args: str) -> tuple[str, str]:
    """Creates a key; returns (key id, key)."""
    result = fortress(home, "keys", "create", *args)
    assert result.returncode == 0, result.stderr
    keys = set(KEY.findall(result.stdout))
    assert len(keys) == 1, result.stdout
    key = keys.pop()
    return key.split("_")[1], key


def keys_file(home: Path) -> Path:
    return home / "auth" / "keys.json"  # FORTRESS_HOME is the test's tmp_path


def test_create_prints_the_key_once_with_how_to_use_it(tmp_path: Path) -> None:
    result = fortress(tmp_path, "keys", "create", "--name", "ci pipeline")
    assert result.returncode == 0, result.stderr
    key = KEY.findall(result.stdout)[0]
    key_id = key.split("_")[1]
    assert f"created API key {key_id} (ci pipeline; scopes: inference)" in result.stdout
    assert f"X-API-Key: {key}" in result.stdout
    assert f"Authorization: Bearer {key}" in result.stdout
    assert "only this once" in result.stdout

    path = keys_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key.split("_", 2)[2] not in path.read_text()
    record = ApiKeyStore(path).verify(key)
    assert record is not None
    assert record.scopes == frozenset({"inference"})


def test_list_and_revoke(tmp_path: Path) -> None:
    assert "no API keys" in fortress(tmp_path, "keys", "list").stdout
    first_id, first = create(tmp_path, "--name", "alice")
    second_id, second = create(tmp_path, "--name", "ops", "--scope", "inference", "--scope", "admin")

    table = fortress(tmp_path, "keys", "list")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["id", "name", "scopes", "created", "revoked"]
    assert lines[1].split()[:3] == [first_id, "alice", "inference"]
    assert lines[2].split()[:3] == [second_id, "ops", "admin,inference"]
    assert lines[1].split()[-1] == "no"

    revoked = fortress(tmp_path, "keys", "revoke", first_id)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == f"revoked API key {first_id} (alice)"

    listing = fortress(tmp_path, "keys", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    assert [(r["key_id"], r["name"], r["scopes"], r["revoked"]) for r in rows] == [
        (first_id, "alice", ["inference"], True),
        (second_id, "ops", ["admin", "inference"], False),
    ]
    assert all(set(r) == {"key_id", "name", "scopes", "created_at", "revoked"} for r in rows)
    for output in (table.stdout, listing.stdout):
        assert first not in output
        assert second not in output
        assert "sha256" not in output

    store = ApiKeyStore(keys_file(tmp_path))
    assert store.verify(first) is None
    assert store.verify(second) is not None


def test_create_json(tmp_path: Path) -> None:
    result = fortress(tmp_path, "keys", "create", "--name", "bot", "--scope", "admin", "--json")
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert KEY.fullmatch(created["key"])
    assert created["key_id"] == created["key"].split("_")[1]
    assert created["scopes"] == ["admin"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["revoke", "0123456789ab"],
            "error: no API key with id '0123456789ab'; `fortress keys list` shows them",
        ),
        (["revoke", "nope"], "error: not an API key id (12 hex characters); `fortress keys list` shows them"),
        (
            ["create", "--name", "x", "--scope", "root"],
            "error: unknown scope 'root'; known scopes: inference, admin",
        ),
    ],
)
def test_errors_are_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = fortress(tmp_path, "keys", *args)
    assert result.returncode == 2
    assert one_error_line(result) == message


def test_corrupt_key_file_is_one_clear_line(tmp_path: Path) -> None:
    path = keys_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{")
    line = one_error_line(fortress(tmp_path, "keys", "list"))
    assert line.startswith(f"error: API key file {path} is corrupt: file: Invalid JSON")


@pytest.mark.parametrize("args", [["keys"], ["keys", "create"], ["keys", "list"], ["keys", "revoke"]])
def test_help(tmp_path: Path, args: list[str]) -> None:
    result = fortress(tmp_path, *args, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
