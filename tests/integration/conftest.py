"""Real services for integration tests: PostgreSQL on this machine, moto's S3 server."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.processes import free_port, running

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
TEMPLATE_DB = "fortress_mlflow_template"


def _admin_execute(sql: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(sql))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_template() -> str:
    """A PostgreSQL database migrated for MLflow once per session; tests clone it."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    try:
        _admin_execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")
    except Exception as exc:
        pytest.fail(f"PostgreSQL is not reachable at 127.0.0.1:5432: {exc}")
    _admin_execute(f"CREATE DATABASE {TEMPLATE_DB}")
    uri = PG_ADMIN.rsplit("/", 1)[0] + f"/{TEMPLATE_DB}"
    store = SqlAlchemyStore(uri, "file:///tmp/unused")
    store.engine.dispose()
    return TEMPLATE_DB


@pytest.fixture
def pg_uri(pg_template: str) -> Iterator[str]:
    name = f"fortress_test_{uuid.uuid4().hex[:10]}"
    _admin_execute(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible server on a free port."""
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    url = f"http://127.0.0.1:{port}"
    with running([str(moto), "-H", "127.0.0.1", "-p", str(port)], url):
        yield url


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    name = f"fortress-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return name
