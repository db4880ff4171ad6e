"""The store interface and what backups and restores hand to stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fortress.ops.errors import BackupInvalid
from fortress.ops.manifest import Manifest


@dataclass
class Source:
    """The live state a backup reads."""

    home: Path
    tracking_uri: str
    s3_endpoint_url: str | None = None
    paths: dict[str, Path] = field(default_factory=dict)
    """Files and folders by store name (``features``, ``keys``, ``audit``); a store not named is skipped."""
    config: Any = None
    """The effective settings, ``model_dump()`` in python mode (secrets still ``SecretStr``)."""
    key: bytes | None = None
    """Fernet key for the secrets; ``None``: secrets are left out."""
    scratch: dict[str, Any] = field(default_factory=dict)
    """What one store leaves for a later one during a backup (the backend's version list)."""


@dataclass
class Target:
    """Where a restore goes: ``staging`` is the fresh folder that becomes ``home`` by one swap."""

    home: Path
    staging: Path
    tracking_uri: str
    """The backend store to restore into (the configured one, or the drill's scratch database)."""
    paths: dict[str, Path] = field(default_factory=dict)
    """As ``Source.paths``, for the restored home."""
    force: bool = False
    s3_endpoint_url: str | None = None

    def staged(self, path: Path) -> Path:
        """``path`` (inside ``home``) as it is written inside ``staging``."""
        try:
            rel = path.resolve().relative_to(self.home.resolve())
        except ValueError:
            raise BackupInvalid(
                f"{path} is outside the home {self.home}: a restore writes only inside the home"
            ) from None
        return self.staging / rel


class Store(Protocol):
    name: str

    def present(self, source: Source) -> bool:
        """Something to back up (a store whose source is absent is skipped and listed as such)."""
        ...

    def backup(self, source: Source, out: Path) -> dict[str, Any]:
        """Write this store's files under ``out / name``; what the manifest records about it."""
        ...

    def check(self, manifest: Manifest, target: Target) -> None:
        """Refuse a restore before anything is written (e.g. a non-empty database without force)."""
        ...

    def restore(self, folder: Path, manifest: Manifest, target: Target) -> None:
        """Write into ``target.staging`` only (the old home stays untouched)."""
        ...

    def commit(self, folder: Path, manifest: Manifest, target: Target) -> None:
        """After every store was staged, before the swap: writes outside the home (a database)."""
        ...


class FileStore:
    """Defaults for stores that only stage files."""

    name = ""

    def check(self, manifest: Manifest, target: Target) -> None:
        return None

    def commit(self, folder: Path, manifest: Manifest, target: Target) -> None:
        return None
