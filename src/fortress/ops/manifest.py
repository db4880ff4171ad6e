"""A backup's manifest: every file with its size and sha256, what made it and the champion fingerprint."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fortress.ops.errors import BackupCorrupt, BackupInvalid

MANIFEST = "manifest.json"
FORMAT = 1
"""Version of the backup layout and of this manifest."""
CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    """Relative to the backup folder, ``/``-separated."""
    size: int
    sha256: str
    store: str

    @classmethod
    def of(cls, root: Path, path: Path, store: str) -> FileEntry:
        return cls(path.relative_to(root).as_posix(), path.stat().st_size, file_sha256(path), store)


@dataclass(frozen=True, slots=True)
class Manifest:
    backup_id: str
    created_at: float
    """Unix time the backed-up state was taken (the RPO is measured from it)."""
    fortress_version: str
    schema_versions: dict[str, str]
    """``manifest`` (this layout), ``mlflow_alembic`` (the MLflow store's migration), ..."""
    source: dict[str, Any]
    """Where the backup came from: the home, the backend kind (no secrets)."""
    stores: dict[str, dict[str, Any]]
    """Each store that was backed up, with what it says about itself; absent ones under ``skipped``."""
    fingerprint: dict[str, Any]
    """``digest``, ``answers`` (one digest per investigation), ``champions`` (model -> version)."""
    secrets: dict[str, Any]
    files: list[FileEntry] = field(default_factory=list)

    @property
    def created_iso(self) -> str:
        return datetime.fromtimestamp(self.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def to_json(self) -> bytes:
        body = asdict(self)
        body["format"] = FORMAT
        body["created_iso"] = self.created_iso
        return json.dumps(body, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes, where: str) -> Manifest:
        try:
            body = json.loads(raw)
            if body.get("format") != FORMAT:
                raise BackupInvalid(f"{where}: backup format {body.get('format')!r}, expected {FORMAT}")
            files = [FileEntry(**entry) for entry in body["files"]]
            return cls(
                backup_id=str(body["backup_id"]),
                created_at=float(body["created_at"]),
                fortress_version=str(body["fortress_version"]),
                schema_versions=dict(body["schema_versions"]),
                source=dict(body["source"]),
                stores=dict(body["stores"]),
                fingerprint=dict(body["fingerprint"]),
                secrets=dict(body["secrets"]),
                files=files,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupCorrupt(f"{where}: {MANIFEST} is not a valid manifest ({exc})") from None

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.is_file():
            raise BackupInvalid(f"{folder} is not a backup: it has no {MANIFEST}")
        return cls.from_json(path.read_bytes(), str(folder))

    def store_files(self, store: str) -> list[FileEntry]:
        return [f for f in self.files if f.store == store]


def check_files(folder: Path, manifest: Manifest) -> list[str]:
    """Every way the files under ``folder`` differ from the manifest, one line each naming the file:
    missing, truncated or grown (size), tampered (sha256), or not in the manifest."""
    problems: list[str] = []
    listed = set()
    for entry in manifest.files:
        listed.add(entry.path)
        path = folder / entry.path
        if not path.is_file():
            problems.append(f"{entry.path}: missing")
            continue
        size = path.stat().st_size
        if size != entry.size:
            what = "truncated" if size < entry.size else "grown"
            problems.append(f"{entry.path}: {what} ({size} bytes, manifest says {entry.size})")
        elif file_sha256(path) != entry.sha256:
            problems.append(f"{entry.path}: sha256 differs from the manifest (tampered or corrupt)")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel != MANIFEST and rel not in listed:
            problems.append(f"{rel}: not in the manifest")
    return problems
