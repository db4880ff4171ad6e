"""``fortress backup verify`` and ``restore``: check every file against the manifest, stage every store
into a fresh folder beside the home, then swap it in. The old home is untouched until the swap: a
refused, failed or interrupted restore leaves it as it was (a leftover staging folder is deleted)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fortress.ops.errors import BackupCorrupt, BackupInvalid
from fortress.ops.manifest import Manifest, check_files
from fortress.ops.stores.base import Store, Target
from fortress.ops.swap import swap_in


def verify(folder: Path) -> Manifest:
    """The manifest of an intact backup; ``BackupCorrupt`` naming every bad file otherwise."""
    manifest = Manifest.read(folder)
    problems = check_files(folder, manifest)
    if problems:
        raise BackupCorrupt(f"backup {manifest.backup_id} is damaged: " + "; ".join(problems))
    return manifest


def is_empty(home: Path) -> bool:
    return not home.exists() or (home.is_dir() and not any(home.iterdir()))


@dataclass(frozen=True, slots=True)
class Restored:
    manifest: Manifest
    home: Path
    seconds: float


def restore(
    folder: Path,
    target: Target,
    stores: Sequence[Store],
    progress: Callable[[str], None] = lambda _: None,
) -> Restored:
    """``target.staging`` is ignored: a fresh one is made beside ``target.home``."""
    started = time.perf_counter()
    home = target.home.expanduser().resolve()
    if home.exists() and not home.is_dir():
        raise BackupInvalid(f"{home} exists and is not a folder")
    if not is_empty(home) and not target.force:
        raise BackupInvalid(f"{home} is not empty: restoring replaces it, pass --force")
    try:
        manifest = verify(folder)
    except BackupCorrupt as exc:
        raise BackupCorrupt(f"refusing to restore: {exc}") from None
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.restore-", dir=home.parent))
    target = Target(home, staging, target.tracking_uri, target.paths, target.force, target.s3_endpoint_url)
    try:
        used = [s for s in stores if s.name in manifest.stores]
        for store in used:
            store.check(manifest, target)
        for store in used:
            store.restore(folder, manifest, target)
            progress(f"restored {store.name}")
        for store in used:
            store.commit(folder, manifest, target)
        os.chmod(staging, 0o700)
        swap_in(staging, home)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Restored(manifest, home, time.perf_counter() - started)
