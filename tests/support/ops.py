"""Homes to back up: two reference models trained on the simulator (the fastest two), an API key, an
audit log and a feature repository folder; digests of whole folders; corrupting a backup's file."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fortress.cli.ops_wiring import backup_source, in_process_answers, restore_target
from fortress.ops.backup import create_backup
from fortress.ops.location import LocalLocation
from fortress.ops.manifest import Manifest
from fortress.ops.restore import Restored, restore
from fortress.ops.stores import default_stores
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAINED = ("bot_detector", "phishing_url")
"""The two reference models that train fastest on the simulator (~3 s each)."""


@dataclass(frozen=True, slots=True)
class Trained:
    settings: Settings
    manifest: Manifest
    backup: Path
    """A pristine backup of the session's home: never modified by tests (copy it to corrupt it)."""


def home_settings(home: Path, **registry: Any) -> Settings:
    return Settings(
        home=home,
        registry=registry,  # type: ignore[arg-type]
        training={"thresholds_file": REPO_ROOT / "configs" / "performance_thresholds.yaml"},  # type: ignore[arg-type]
    )


INFERENCE_LOG_PART = "date=2026-12-04/model=dga_detector/part-1-1-0.parquet"
"""A file of the home's inference log (``train_home`` writes it)."""


def train_home(settings: Settings) -> MlflowRegistry:
    """``TRAINED`` registered as champions, plus a key, an audit log and a feature repository."""
    from fortress.catalog import resolve_models
    from fortress.gateway.auth.keys import key_store
    from fortress.training.gates import load_gates
    from fortress.training.run import DataSources, train_and_register

    registry = MlflowRegistry(settings.registry, settings.home)
    gates = load_gates(settings.training.thresholds_path())
    sources = DataSources(None, settings.features, settings.home)
    summary = train_and_register(
        resolve_models(",".join(TRAINED)), settings.training, sources, registry, gates, lambda _: None
    )
    assert not summary.failures, summary.failures
    key_store(settings.home, settings.gateway.auth).create("ops-test", ["inference"])
    audit = settings.gateway.events.log_path(settings.home)
    audit.parent.mkdir(parents=True, exist_ok=True)
    audit.write_text(
        "".join(json.dumps({"event_id": str(i)}) + "\n" for i in range(5)) + '{"partial', "utf-8"
    )
    features = settings.features.repo_root(settings.home)
    (features / "offline" / "user_activity").mkdir(parents=True)
    (features / "offline" / "user_activity" / "part-0.parquet").write_bytes(os.urandom(2048))
    (features / "registry.db").write_bytes(os.urandom(512))
    (features / "online.db").write_bytes(b"rebuilt by materialization")
    logged = settings.monitoring.inference_log.log_dir(features) / INFERENCE_LOG_PART
    logged.parent.mkdir(parents=True)
    logged.write_bytes(os.urandom(1024))
    return registry


def take_backup(
    settings: Settings, where: Path, key: bytes | None = None, *, inference_log: bool = False
) -> tuple[Manifest, Path]:
    registry = MlflowRegistry(settings.registry, settings.home)
    source = backup_source(settings, key, audit=True, inference_log=inference_log)
    manifest, path = create_backup(
        source, default_stores(), registry, in_process_answers(settings, registry), LocalLocation(where)
    )
    return manifest, Path(path)


def restore_into(settings: Settings, backup: Path, home: Path, *, force: bool = False, **kw: Any) -> Restored:
    target = restore_target(settings, home, force=force, **kw)
    return restore(backup, target, default_stores())


def tree_digest(root: Path) -> str:
    """Every path under ``root`` with its kind, mode and content: any change to the tree changes it."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        mode = path.lstat().st_mode
        digest.update(f"{rel}\0{mode:o}\0".encode())
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[min(offset, len(data) - 1)] ^= 0xFF
    path.write_bytes(bytes(data))


def artifact_file(manifest: Manifest, suffix: str = "model.onnx") -> str:
    return next(f.path for f in manifest.files if f.store == "artifacts" and f.path.endswith(suffix))
