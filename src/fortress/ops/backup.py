"""``fortress backup create``: every store into a fresh folder, the manifest last, then publish."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fortress
from fortress.errors import NotFound
from fortress.ops.fingerprint import Answerer, Investigations, fingerprint
from fortress.ops.location import Location
from fortress.ops.manifest import FORMAT, MANIFEST, FileEntry, Manifest
from fortress.ops.stores.backend import BACKEND, home_uri
from fortress.ops.stores.base import Source, Store
from fortress.registry.base import CHAMPION, ModelRegistry

FINGERPRINT = "fingerprint"
INVESTIGATIONS_FILE = f"{FINGERPRINT}/investigations.json"


@dataclass(frozen=True, slots=True)
class Fingerprinting:
    """How a backup gets its fingerprint: the investigations for the given model names, and the
    gateway's answers to them (built by the entry point: ops never imports the gateway)."""

    investigations: Callable[[list[str]], Investigations]
    answer: Answerer


def champions(registry: ModelRegistry) -> dict[str, int]:
    found: dict[str, int] = {}
    for name in registry.model_names():
        try:
            found[name] = registry.resolve(name, CHAMPION).version
        except NotFound:
            continue
    return found


def new_id(now: float) -> str:
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"fortress-{stamp}-{os.urandom(3).hex()}"


def create_backup(
    source: Source,
    stores: Sequence[Store],
    registry: ModelRegistry,
    fingerprinting: Fingerprinting,
    location: Location,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[Manifest, str]:
    """The manifest and where the backup now is. Champions are read before and after the backend
    snapshot; the backup is taken again if one moved meanwhile (the fingerprint must match the snapshot)."""
    for _ in range(3):
        staged = location.staging()
        try:
            result = _create(source, stores, registry, fingerprinting, staged, progress)
            if result is not None:
                return result, location.publish(staged, result.backup_id)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        shutil.rmtree(staged, ignore_errors=True)
        progress("a champion moved while the backup ran; taking it again")
    raise RuntimeError("champions kept moving during three backups in a row")


def _create(
    source: Source,
    stores: Sequence[Store],
    registry: ModelRegistry,
    fingerprinting: Fingerprinting,
    out: Path,
    progress: Callable[[str], None],
) -> Manifest | None:
    before = champions(registry)
    taken = time.time()
    infos: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    owners: dict[str, str] = {}
    for store in stores:
        if not store.present(source):
            skipped.append(store.name)
            continue
        started = time.perf_counter()
        seen = {p for p in out.rglob("*") if p.is_file()}
        infos[store.name] = store.backup(source, out)
        for path in out.rglob("*"):
            if path.is_file() and path not in seen:
                owners[path.relative_to(out).as_posix()] = store.name
        progress(f"backed up {store.name} in {time.perf_counter() - started:.1f} s")
    if champions(registry) != before:
        return None
    investigations = fingerprinting.investigations(sorted(before))
    answers = fingerprinting.answer(investigations) if before else []
    (out / FINGERPRINT).mkdir()
    (out / INVESTIGATIONS_FILE).write_text(json.dumps(investigations), encoding="utf-8")
    owners[INVESTIGATIONS_FILE] = FINGERPRINT
    files = [FileEntry.of(out, out / rel, store) for rel, store in sorted(owners.items())]
    schema = {"manifest": str(FORMAT)}
    if BACKEND in infos:
        schema["mlflow_alembic"] = str(infos[BACKEND]["alembic_revision"])
    config_info = infos.get("config", {})
    manifest = Manifest(
        backup_id=new_id(taken),
        created_at=taken,
        fortress_version=fortress.__version__,
        schema_versions=schema,
        source={"home": str(source.home.resolve()), "home_uri": home_uri(source.home)},
        stores={**infos, "skipped": {"names": skipped}},
        fingerprint=fingerprint(investigations, answers, before),
        secrets={
            "status": config_info.get("secrets", "no configuration backed up"),
            "paths": config_info.get("secret_paths", []),
        },
        files=files,
    )
    (out / MANIFEST).write_bytes(manifest.to_json())
    return manifest
