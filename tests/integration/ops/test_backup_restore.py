"""Backups of a trained home and restores from them (SQLite store, local folders), through the ops API."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from fortress.errors import NotFound
from fortress.ops.errors import BackupCorrupt, BackupInvalid
from fortress.ops.manifest import MANIFEST, file_sha256
from fortress.ops.restore import restore, verify
from fortress.ops.sql_store import LOCATION_COLUMNS
from fortress.ops.stores import default_stores
from fortress.ops.stores.base import FileStore, Source, Target
from fortress.registry.base import CHAMPION
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings
from support.ops import (
    INFERENCE_LOG_PART,
    TRAINED,
    Trained,
    artifact_file,
    flip_byte,
    restore_into,
    take_backup,
    tree_digest,
)


def test_manifest_lists_every_file_with_size_and_sha256(trained: Trained) -> None:
    manifest = trained.manifest
    on_disk = sorted(
        p.relative_to(trained.backup).as_posix() for p in trained.backup.rglob("*") if p.is_file()
    )
    assert sorted([f.path for f in manifest.files] + [MANIFEST]) == on_disk
    for entry in manifest.files:
        path = trained.backup / entry.path
        assert (path.stat().st_size, file_sha256(path)) == (entry.size, entry.sha256)
    assert manifest.schema_versions["mlflow_alembic"]  # the MLflow store's migration
    assert manifest.fortress_version
    assert manifest.fingerprint["champions"] == dict.fromkeys(sorted(TRAINED), 1)
    assert len(manifest.fingerprint["answers"]) == manifest.fingerprint["investigations"] == 8
    assert manifest.fingerprint["degraded"] == 0
    assert {"mlflow", "artifacts", "features", "keys", "audit", "config"} <= set(manifest.stores)
    stores = {f.store for f in manifest.files}
    assert {"mlflow", "artifacts", "features", "keys", "audit", "config", "fingerprint"} == stores
    assert not any(f.path.endswith("online.db") for f in manifest.files)  # rebuilt by materialization
    assert not any("inference_log" in f.path for f in manifest.files)  # only when asked for
    audit = next(f for f in manifest.files if f.store == "audit")
    assert (trained.backup / audit.path).read_text().endswith("}\n")  # cut at the last whole event
    assert verify(trained.backup).backup_id == manifest.backup_id


def test_restored_home_serves_its_own_artifacts(trained: Trained, home: Settings, tmp_path: Path) -> None:
    """The restored store points into the restored home: it answers with the session home gone."""
    moved = tmp_path / "moved-home"
    other = home.model_copy(update={"home": tmp_path / "second"})
    restore_into(other, trained.backup, other.home)
    shutil.move(home.home, moved)  # the first copy is out of the way: nothing may read it
    with sqlite3.connect(other.home / "registry" / "mlflow.db") as db:
        # Every location Fortress wrote (MLflow's "Default" experiment, never used, keeps its own).
        where = {"experiments": " WHERE name != 'Default'"}
        locations = [
            row[0]
            for t, c in LOCATION_COLUMNS
            for row in db.execute(f"SELECT {c} FROM {t}{where.get(t, '')}")
        ]
    assert locations
    assert all(uri.startswith(other.home.resolve().as_uri() + "/") for uri in locations), locations
    registry = MlflowRegistry(other.registry, other.home)
    for name in TRAINED:
        fetched = registry.fetch(name, CHAMPION)
        assert fetched.onnx_path.is_relative_to(other.home)
    keys = json.loads((other.home / "auth" / "keys.json").read_text())
    assert keys  # hashes only
    assert not (other.home / "features" / "online.db").exists()
    assert (other.home / "features" / "offline" / "user_activity" / "part-0.parquet").is_file()


def test_the_inference_log_is_backed_up_when_asked_and_restored(trained: Trained, tmp_path: Path) -> None:
    manifest, backup = take_backup(trained.settings, tmp_path / "backups", inference_log=True)
    assert "inference_log" in manifest.stores
    assert [f.path for f in manifest.files if f.store == "inference_log"] == [
        f"inference_log/inference_log/{INFERENCE_LOG_PART}"
    ]
    features = trained.settings.features.repo_root(trained.settings.home)
    original = trained.settings.monitoring.inference_log.log_dir(features) / INFERENCE_LOG_PART
    other = trained.settings.model_copy(update={"home": tmp_path / "restored"})
    restore_into(other, backup, other.home)
    restored = (
        other.monitoring.inference_log.log_dir(other.features.repo_root(other.home)) / INFERENCE_LOG_PART
    )
    assert restored.read_bytes() == original.read_bytes()


class Failing(FileStore):
    """A store that breaks in the middle of a restore (after the MLflow store was staged)."""

    name = "features"

    def present(self, source: Source) -> bool:
        return True

    def backup(self, source: Source, out: Path) -> dict[str, Any]:
        raise AssertionError("not used")

    def restore(self, folder: Path, manifest: Any, target: Target) -> None:
        assert any(target.staging.rglob("mlflow.db"))  # something was already written
        raise OSError(28, "No space left on device")


def test_interrupted_restore_leaves_the_old_home_untouched(trained: Trained, home: Settings) -> None:
    before = tree_digest(home.home)
    stores = default_stores()
    stores.insert(2, Failing())
    target = Target(home.home, home.home, home.tracking_uri(), {}, force=True)
    with pytest.raises(OSError, match="No space"):
        restore(trained.backup, target, stores)
    assert tree_digest(home.home) == before
    assert [p.name for p in home.home.parent.iterdir() if ".restore-" in p.name] == []  # staging removed


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_artifact_fails_verify_and_restore_naming_the_file(
    trained: Trained, home: Settings, tmp_path: Path, damage: str
) -> None:
    backup = tmp_path / trained.backup.name
    shutil.copytree(trained.backup, backup)
    name = artifact_file(trained.manifest)
    if damage == "flip":
        flip_byte(backup / name)
        expected = f"{name}: sha256 differs"
    else:
        data = (backup / name).read_bytes()
        (backup / name).write_bytes(data[: len(data) // 2])
        expected = f"{name}: truncated"
    before = tree_digest(home.home)
    with pytest.raises(BackupCorrupt, match=re.escape(expected)):
        verify(backup)
    with pytest.raises(BackupCorrupt, match=f"refusing to restore: .*{re.escape(expected)}"):
        restore_into(home, backup, home.home, force=True)
    assert tree_digest(home.home) == before


def test_restoring_over_a_non_empty_home_needs_force(trained: Trained, home: Settings) -> None:
    registry = MlflowRegistry(home.registry, home.home)
    registry.delete_alias(TRAINED[0], CHAMPION)  # the home drifts from the backup
    (home.home / "stray.txt").write_text("not in the backup")
    before = tree_digest(home.home)
    with pytest.raises(BackupInvalid, match=r"not empty.*--force"):
        restore_into(home, trained.backup, home.home)
    assert tree_digest(home.home) == before
    restore_into(home, trained.backup, home.home, force=True)
    assert not (home.home / "stray.txt").exists()
    # Read with sqlite3: MLflow keeps one engine per URI in this process, still open on the old file (a
    # running gateway would too: restore with it stopped, docs/OPERATIONS.md).
    with sqlite3.connect(home.home / "registry" / "mlflow.db") as db:
        aliases = db.execute("SELECT name, alias, version FROM registered_model_aliases").fetchall()
    assert sorted(aliases) == [(name, CHAMPION, 1) for name in sorted(TRAINED)]


def test_backup_of_a_home_without_champions_skips_what_is_absent(tmp_path: Path, trained: Trained) -> None:
    settings = trained.settings.model_copy(update={"home": tmp_path / "bare"})
    registry = MlflowRegistry(settings.registry, settings.home)  # an empty, migrated store
    assert registry.model_names() == []
    manifest, backup = take_backup(settings, tmp_path / "backups")
    assert set(manifest.stores["skipped"]["names"]) == {
        "artifacts",
        "features",
        "keys",
        "audit",
        "inference_log",
    }
    assert manifest.fingerprint["champions"] == {}
    restored = restore_into(settings, backup, tmp_path / "restored")
    with pytest.raises(NotFound):
        MlflowRegistry(settings.registry, restored.home).resolve("bot_detector", CHAMPION)
