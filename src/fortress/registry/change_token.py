"""A cheap answer to "did anything the runtime follows change?" for SQL backend stores.

A full registry poll (every version of every model, through MlflowClient) costs tens of
milliseconds per model, so it runs every ``poll_interval_s`` (30 s). An alias move must be served
within a second (a rollout's promote or rollback), so between polls the runtime reads this token: one
read-only query over MLflow's alias table and a per-model summary of its versions. Any write that
changes what a policy would pick (an alias set or deleted, a version registered, deleted or moved to
another stage) changes it, whoever made the write (fortress, the MLflow UI, another host).

Why not MLflow's own change signal: MLflow's registry webhooks (3.3+) are fired by the MLflow
tracking server's HTTP handlers only, never by a client writing to the store directly (the embedded
SQLite default), and would need a receiver per worker. The tables read here are MLflow's documented
SQLAlchemy models (``mlflow.store.model_registry.dbmodels.models``); a store that is not SQL (an
``http://`` tracking server) has no token and the runtime falls back to its poll.
"""

from __future__ import annotations

import hashlib
from typing import Any

SQL_SCHEMES = ("sqlite:", "postgresql", "mysql", "mssql")

QUERIES = (
    "SELECT name, alias, version FROM registered_model_aliases ORDER BY name, alias",
    "SELECT name, count(*), max(version), max(last_updated_time) FROM model_versions "
    "GROUP BY name ORDER BY name",
)


class ChangeToken:
    """Reads the token of one SQL store; the engine is created on first use and kept."""

    def __init__(self, store_uri: str) -> None:
        self.store_uri = store_uri
        self._engine: Any = None

    @staticmethod
    def supports(store_uri: str) -> bool:
        return store_uri.startswith(SQL_SCHEMES)

    def read(self) -> str:
        """A digest of what the runtime's policies read. Raises whatever the database raises."""
        import sqlalchemy

        if self._engine is None:
            self._engine = sqlalchemy.create_engine(self.store_uri, pool_pre_ping=True, pool_size=1)
        digest = hashlib.blake2b(digest_size=16)
        with self._engine.connect() as connection:
            for query in QUERIES:
                for row in connection.execute(sqlalchemy.text(query)):
                    digest.update(repr(tuple(row)).encode())
                digest.update(b"|")
        return digest.hexdigest()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
