"""Reads and one rewrite of an MLflow backend store through SQLAlchemy (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from typing import Any

from fortress.ops.postgres import engine

LOCATION_COLUMNS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("logged_models", "artifact_location"),
    ("model_versions", "storage_location"),
)
"""Every column in which MLflow 3 stores an artifact location (checked on a registered model's store)."""


def alembic_revision(uri: str) -> str:
    import sqlalchemy

    db = engine(uri)
    try:
        with db.connect() as conn:
            return str(conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar_one())
    finally:
        db.dispose()


def version_locations(uri: str) -> list[dict[str, Any]]:
    """Each registered version with the artifact locations it needs: its run's and its logged model's."""
    import sqlalchemy

    sql = (
        "SELECT mv.name, mv.version, mv.storage_location, r.artifact_uri FROM model_versions mv "
        "LEFT JOIN runs r ON r.run_uuid = mv.run_id ORDER BY mv.name, mv.version"
    )
    db = engine(uri)
    try:
        with db.connect() as conn:
            rows = conn.execute(sqlalchemy.text(sql)).all()
    finally:
        db.dispose()
    return [{"name": r[0], "version": int(r[1]), "locations": [u for u in (r[2], r[3]) if u]} for r in rows]


def relocate(uri: str, old: str, new: str) -> int:
    """Artifact locations under ``old`` (the backed-up home's URI) moved to ``new``; rows changed."""
    import sqlalchemy

    if old == new:
        return 0
    changed = 0
    db = engine(uri)
    try:
        with db.begin() as conn:
            for table, column in LOCATION_COLUMNS:
                sql = (
                    f"UPDATE {table} SET {column} = :new || substr({column}, :cut) "
                    f"WHERE substr({column}, 1, :length) = :old"
                )
                params = {"new": new, "old": old, "cut": len(old) + 1, "length": len(old)}
                changed += conn.execute(sqlalchemy.text(sql), params).rowcount
    finally:
        db.dispose()
    return changed
