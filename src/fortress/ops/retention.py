"""``fortress backup prune``: backups older than the retention go; the newest one always stays."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fortress.ops.errors import BackupCorrupt, BackupInvalid
from fortress.ops.location import Location
from fortress.ops.manifest import Manifest


@dataclass(frozen=True, slots=True)
class Listed:
    backup_id: str
    manifest: Manifest | None
    problem: str | None = None


def listed(location: Location) -> list[Listed]:
    """Every complete backup, oldest first; one whose manifest cannot be read is listed with why."""
    found = []
    for backup_id in location.ids():
        try:
            found.append(Listed(backup_id, location.manifest(backup_id)))
        except (BackupCorrupt, BackupInvalid) as exc:
            found.append(Listed(backup_id, None, str(exc)))
    return sorted(found, key=lambda x: (x.manifest.created_at if x.manifest else 0.0, x.backup_id))


def prune(location: Location, keep_days: float, now: float | None = None) -> list[str]:
    """Delete the backups created more than ``keep_days`` ago except the newest readable one."""
    cutoff = (now if now is not None else time.time()) - keep_days * 86400
    readable = [x for x in listed(location) if x.manifest is not None]
    newest = readable[-1].backup_id if readable else None
    gone = []
    for item in readable:
        assert item.manifest is not None
        if item.manifest.created_at < cutoff and item.backup_id != newest:
            location.delete(item.backup_id)
            gone.append(item.backup_id)
    return gone
