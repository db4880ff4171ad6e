"""``fortress backup`` and ``fortress dr``: help, keys, and bad input as one clear line (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import fortress, one_error_line


@pytest.mark.parametrize(
    "args",
    [
        ["backup", "--help"],
        ["backup", "create", "--help"],
        ["backup", "list", "--help"],
        ["backup", "verify", "--help"],
        ["backup", "restore", "--help"],
        ["backup", "prune", "--help"],
        ["backup", "key", "--help"],
        ["dr", "--help"],
        ["dr", "drill", "--help"],
        ["cost", "--help"],
        ["cost", "report", "--help"],
    ],
)
def test_every_ops_command_has_help(tmp_path: Path, args: list[str]) -> None:
    result = fortress(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_backup_key_is_a_fernet_key(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    result = fortress(tmp_path, "backup", "key")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
    assert fortress(tmp_path, "backup", "key").stdout.strip() != key


def test_missing_backup_is_one_clear_line(tmp_path: Path) -> None:
    for command in (["backup", "verify"], ["backup", "restore"], ["dr", "drill", "--from"]):
        result = fortress(tmp_path, *command, str(tmp_path / "nope"))
        assert result.returncode == 2, result.stderr
        assert one_error_line(result).startswith("error: no backup at ")


def test_malformed_backup_key_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text("not-a-fernet-key\n")
    result = fortress(tmp_path, "backup", "create", "--to", str(tmp_path / "b"), "--key-file", str(key_file))
    assert result.returncode == 2
    assert "must be a Fernet key" in one_error_line(result)
    assert not (tmp_path / "b").exists()


def test_backups_may_not_live_inside_the_home(tmp_path: Path) -> None:
    result = fortress(tmp_path, "backup", "create", "--to", str(tmp_path / "backups"))
    assert result.returncode == 2
    assert "cannot live inside the home" in one_error_line(result)


def test_cost_report_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    bad = fortress(tmp_path, "cost", "report", "--metrics", "http://127.0.0.1:9/metrics", "--window", "soon")
    assert bad.returncode == 2
    assert "--window must look like" in one_error_line(bad)
    (tmp_path / "prices.json").write_text("{not json")
    args = ["--metrics", "http://127.0.0.1:9/metrics", "--prices", str(tmp_path / "prices.json")]
    assert "cannot read the price file" in one_error_line(fortress(tmp_path, "cost", "report", *args))
    unreachable = fortress(tmp_path, "cost", "report", "--metrics", "http://127.0.0.1:9/metrics")
    assert "cannot read metrics at http://127.0.0.1:9/metrics" in one_error_line(unreachable)
    neither = fortress(tmp_path, "cost", "report")
    assert "exactly one of --metrics URL and --prometheus URL" in one_error_line(neither)
    both = ["--metrics", "http://127.0.0.1:9/metrics", "--prometheus", "http://127.0.0.1:9"]
    assert "exactly one of" in one_error_line(fortress(tmp_path, "cost", "report", *both))
    no_prometheus = fortress(tmp_path, "cost", "report", "--prometheus", "http://127.0.0.1:9")
    assert no_prometheus.returncode == 2
    assert "cannot query Prometheus at http://127.0.0.1:9" in one_error_line(no_prometheus)


def test_empty_location_lists_nothing(tmp_path: Path) -> None:
    result = fortress(tmp_path, "backup", "list", "--from", str(tmp_path / "none"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"no backups in {tmp_path / 'none'}"
