"""``pg_dump -Fc`` and ``pg_restore`` of the MLflow store, with a client that matches the server.

pg_dump refuses (or silently mis-dumps with old versions) a server newer than itself, so the tool is
picked for the server's major version: ``/usr/lib/postgresql/<major>/bin`` (Debian's layout), else the
one on ``PATH`` when it is at least as new as the server.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fortress.ops.errors import OpsFailed

VERSION = re.compile(r"\(PostgreSQL\) (\d+)")


def is_postgres(uri: str) -> bool:
    return uri.startswith(("postgresql", "postgres://"))


def engine(uri: str) -> Any:
    import sqlalchemy

    return sqlalchemy.create_engine(uri, poolclass=sqlalchemy.pool.NullPool)


def server_major(uri: str) -> int:
    import sqlalchemy

    db = engine(uri)
    try:
        with db.connect() as conn:
            number = int(conn.execute(sqlalchemy.text("SHOW server_version_num")).scalar_one())
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise OpsFailed(f"cannot reach the PostgreSQL store: {getattr(exc, 'orig', None) or exc}") from None
    finally:
        db.dispose()
    return number // 10000


def tool(name: str, major: int) -> Path:
    """``pg_dump`` / ``pg_restore`` able to talk to a server of ``major``."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin/{name}")]
    found = shutil.which(name)
    candidates += [Path(found)] if found else []
    for path in candidates:
        if path.is_file():
            out = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False)
            match = VERSION.search(out.stdout)
            if match and int(match.group(1)) >= major:
                return path
    raise OpsFailed(
        f"no {name} for PostgreSQL {major} (looked in /usr/lib/postgresql/{major}/bin and PATH): "
        f"install postgresql-client-{major}"
    )


def _args(uri: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection options of a SQLAlchemy URL; the password goes in the environment, never argv."""
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-d", url.database or "postgres"]
    if url.username:
        args += ["-U", url.username]
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise OpsFailed(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def dump(uri: str, dest: Path) -> str:
    """One consistent snapshot (pg_dump runs in a single repeatable-read transaction); the tool used."""
    pg_dump = tool("pg_dump", server_major(uri))
    args, env = _args(uri)
    _run([str(pg_dump), "-Fc", "--no-owner", "-f", str(dest), *args], env, "pg_dump")
    return str(pg_dump)


def user_tables(uri: str) -> int:
    import sqlalchemy

    db = engine(uri)
    try:
        with db.connect() as conn:
            sql = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            return int(conn.execute(sqlalchemy.text(sql)).scalar_one())
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise OpsFailed(f"cannot reach the PostgreSQL store: {getattr(exc, 'orig', None) or exc}") from None
    finally:
        db.dispose()


def restore(uri: str, source: Path) -> None:
    """All or nothing: one transaction, existing objects dropped first (``--clean --if-exists``)."""
    pg_restore = tool("pg_restore", server_major(uri))
    args, env = _args(uri)
    cmd = [str(pg_restore), "--single-transaction", "--clean", "--if-exists", "--no-owner", *args]
    _run([*cmd, str(source)], env, "pg_restore")


@contextlib.contextmanager
def scratch_database(uri: str) -> Iterator[str]:
    """A new, uniquely named database on the server of ``uri`` (the drill restores into it, never into
    the configured one), dropped afterwards."""
    import sqlalchemy
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    name = f"fortress_drill_{os.urandom(5).hex()}"
    admin = sqlalchemy.create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.pool.NullPool
    )
    try:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.SQLAlchemyError as exc:
        admin.dispose()
        raise OpsFailed(
            f"cannot create the drill's scratch database: {getattr(exc, 'orig', None) or exc}"
        ) from None
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
