"""The MLflow backend store, taken consistently while the gateway serves: SQLite through the online
backup API (a snapshot of one instant, readers and writers go on), PostgreSQL through ``pg_dump -Fc``.

Restoring rewrites the artifact locations that pointed into the backed-up home so they point into
the restored one (the registry then reads the restored artifacts, not the old home's).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from fortress.ops import postgres
from fortress.ops.errors import BackupInvalid
from fortress.ops.manifest import Manifest
from fortress.ops.sql_store import alembic_revision, relocate, version_locations
from fortress.ops.stores.base import Source, Target

BACKEND = "mlflow"
SQLITE_FILE = "mlflow.db"
PG_FILE = "mlflow.pgdump"
SQLITE = "sqlite:///"


def home_uri(home: Path) -> str:
    """Prefix of every artifact location inside ``home``, ending in ``/``."""
    return home.resolve().as_uri() + "/"


class BackendStore:
    name = BACKEND

    def present(self, source: Source) -> bool:
        uri = source.tracking_uri
        return postgres.is_postgres(uri) or (
            uri.startswith(SQLITE) and Path(uri.removeprefix(SQLITE)).is_file()
        )

    def backup(self, source: Source, out: Path) -> dict[str, Any]:
        folder = out / self.name
        folder.mkdir(parents=True, exist_ok=True)
        uri = source.tracking_uri
        if postgres.is_postgres(uri):
            tool = postgres.dump(uri, folder / PG_FILE)
            info: dict[str, Any] = {"kind": "postgresql", "file": PG_FILE, "tool": tool}
            read_uri = uri  # versions read after the dump: any registered since are extra, never missing
        else:
            snapshot = folder / SQLITE_FILE
            live = sqlite3.connect(f"file:{uri.removeprefix(SQLITE)}?mode=ro", uri=True, timeout=30)
            copy = sqlite3.connect(snapshot)
            try:
                live.backup(copy)  # the online backup API: one consistent snapshot
            finally:
                copy.close()
                live.close()
            info = {"kind": "sqlite", "file": SQLITE_FILE}
            read_uri = f"{SQLITE}{snapshot}"
        source.scratch["versions"] = version_locations(read_uri)
        info["alembic_revision"] = alembic_revision(read_uri)
        info["versions"] = len(source.scratch["versions"])
        return info

    def check(self, manifest: Manifest, target: Target) -> None:
        kind = manifest.stores[self.name]["kind"]
        is_pg = postgres.is_postgres(target.tracking_uri)
        if (kind == "postgresql") != is_pg:
            where = "PostgreSQL" if is_pg else "SQLite"
            raise BackupInvalid(
                f"the backup holds a {kind} MLflow store and the configured one is {where} "
                "(FORTRESS_REGISTRY__TRACKING_URI): restore with the backend the backup was taken from"
            )
        if is_pg and not target.force and postgres.user_tables(target.tracking_uri):
            raise BackupInvalid(
                "the configured PostgreSQL database is not empty: restoring replaces it, pass --force"
            )
        if not is_pg:
            target.staged(self._sqlite_path(target))  # refuses a SQLite file outside the home

    def _sqlite_path(self, target: Target) -> Path:
        if not target.tracking_uri.startswith(SQLITE):
            raise BackupInvalid(f"unsupported MLflow store for a restore: {target.tracking_uri}")
        return Path(target.tracking_uri.removeprefix(SQLITE))

    def restore(self, folder: Path, manifest: Manifest, target: Target) -> None:
        if manifest.stores[self.name]["kind"] != "sqlite":
            return  # the database is restored in commit, once every file is staged
        dest = target.staged(self._sqlite_path(target))
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((folder / self.name / SQLITE_FILE).read_bytes())
        old, new = str(manifest.source["home_uri"]), home_uri(target.home)
        relocate(f"{SQLITE}{dest}", old, new)

    def commit(self, folder: Path, manifest: Manifest, target: Target) -> None:
        if manifest.stores[self.name]["kind"] != "postgresql":
            return
        postgres.restore(target.tracking_uri, folder / self.name / PG_FILE)
        relocate(target.tracking_uri, str(manifest.source["home_uri"]), home_uri(target.home))
