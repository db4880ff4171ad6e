"""Backups of a home whose MLflow store is PostgreSQL: ``pg_dump -Fc`` and ``pg_restore`` into a database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fortress.ops.errors import BackupInvalid
from fortress.ops.postgres import scratch_database, tool, user_tables
from fortress.registry.base import CHAMPION
from fortress.registry.mlflow_registry import MlflowRegistry
from support.cli import fortress
from support.ops import TRAINED, home_settings, restore_into, take_backup, train_home

pytestmark = pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump not installed")


def test_postgresql_store_backs_up_and_restores_into_a_fresh_database(tmp_path: Path, pg_uri: str) -> None:
    settings = home_settings(tmp_path / "home", tracking_uri=pg_uri)
    train_home(settings)
    manifest, backup = take_backup(settings, tmp_path / "backups")
    info = manifest.stores["mlflow"]
    assert info["kind"] == "postgresql"
    assert (backup / "mlflow" / "mlflow.pgdump").stat().st_size > 0
    assert manifest.schema_versions["mlflow_alembic"]
    assert manifest.fingerprint["champions"] == dict.fromkeys(sorted(TRAINED), 1)

    # The configured (non-empty) database is replaced only with --force.
    restored_home = tmp_path / "restored"
    with pytest.raises(BackupInvalid, match=r"PostgreSQL database is not empty.*--force"):
        restore_into(settings, backup, restored_home, tracking_uri=pg_uri)
    assert not restored_home.exists()
    with scratch_database(pg_uri) as fresh:
        assert user_tables(fresh) == 0
        restore_into(settings, backup, restored_home, tracking_uri=fresh)
        shutil.rmtree(settings.home)  # the backed-up home's artifacts are gone: only the restored ones
        other = home_settings(restored_home, tracking_uri=fresh)
        registry = MlflowRegistry(other.registry, other.home)
        for name in TRAINED:
            assert registry.fetch(name, CHAMPION).info.version == 1


def test_pg_dump_matches_the_server_version(pg_uri: str) -> None:
    from fortress.ops.postgres import VERSION, server_major

    major = server_major(pg_uri)
    import subprocess

    found = tool("pg_dump", major)
    out = subprocess.run([str(found), "--version"], capture_output=True, text=True, check=True).stdout
    match = VERSION.search(out)
    assert match
    assert int(match.group(1)) >= major


@pytest.mark.slow
def test_drill_on_postgresql_restores_into_a_scratch_database(tmp_path: Path, pg_uri: str) -> None:
    settings = home_settings(tmp_path / "home", tracking_uri=pg_uri)
    train_home(settings)
    env = {"FORTRESS_REGISTRY__TRACKING_URI": pg_uri}
    result = fortress(settings.home, "dr", "drill", "--report", str(tmp_path / "report.json"), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "drill passed" in result.stdout
    assert user_tables(pg_uri) > 0  # the configured database was never the drill's target
