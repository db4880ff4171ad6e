"""``FeatureStore`` over Feast: one ``feast.FeatureStore`` per process, no registry on the read path.

The adapter builds the feature views from the same code that ``fortress features apply``
registers (``definitions.py``) and reads the online store through Feast's provider
(``Provider.online_read``: one query per view), so a lookup never loads, parses or refreshes the
registry. Stores whose Feast reads are synchronous (SQLite) run them on the adapter's own small
thread pool (one thread by default: the SQLite connection is shared); stores with native async reads
(Redis) read every view concurrently on Feast's asyncio client, with no thread hop. Missing values
stay missing (Feast's ``None``), and values older than the view's TTL are reported stale and not
served.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fortress.errors import InvalidInput
from fortress.features import redis_batch
from fortress.features.errors import FeatureStoreUnavailable
from fortress.features.repo import FeatureRepo
from fortress.features.settings import FeatureSettings
from fortress.features.store import OnlineFeatures
from fortress.features.views import GROUPS, ViewSpec

logger = logging.getLogger(__name__)

Plan = list[tuple[str, ViewSpec, str | None]]
"""(group, view, entity id or None when the request did not name the view's entity)."""
Row = tuple[datetime | None, Mapping[str, Any] | None]
"""What Feast's online read gives for one entity: (event time, feature -> ValueProto) or (None, None)."""


class FeastFeatureStore:
    def __init__(
        self, features: FeatureSettings, home: Path, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        """Opens the repository (imports Feast: seconds; use ``open`` from async code)."""
        from feast.protos.feast.types.EntityKey_pb2 import EntityKey
        from feast.protos.feast.types.Value_pb2 import Value
        from feast.type_map import feast_value_type_to_python_type

        from fortress.features.definitions import repository

        self._entity_key, self._value, self._to_python = EntityKey, Value, feast_value_type_to_python_type
        self._repo = FeatureRepo.at(features, home)
        self._feast = self._repo.open()
        self._provider = self._feast.provider
        self._redis = features.online == "redis"
        self._views = {view.name: view for view in repository()[1]}
        self._executor = ThreadPoolExecutor(features.online_threads, thread_name_prefix="fortress-features")
        self._clock = clock or (lambda: datetime.now(UTC))
        self._problems: dict[str, str] = {}
        """View -> what went wrong on its last read (cleared by a good read)."""

    @classmethod
    async def open(cls, features: FeatureSettings, home: Path) -> FeastFeatureStore:
        """Build the store off the event loop (Feast's import and set-up block for seconds)."""
        return await asyncio.to_thread(cls, features, home)

    async def lookup(self, entities: Mapping[str, str], groups: Sequence[str]) -> OnlineFeatures:
        plan = self._plan(entities, groups)
        if not plan:
            return OnlineFeatures()
        if self._redis:  # one pipelined round trip on Feast's asyncio client, no thread hop
            return self._assemble(plan, await self._read_redis(plan))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._read, plan)

    def lookup_sync(self, entities: Mapping[str, str], groups: Sequence[str]) -> OnlineFeatures:
        """The same lookup on the calling thread (CLI, benchmarks)."""
        return self._read(self._plan(entities, groups))

    def status(self) -> tuple[bool, str]:
        if self._problems:
            return False, "; ".join(self._problems.values())
        return True, f"feast online store: {self._repo.describe_online()}"

    async def aclose(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        await _close_online_store(getattr(self._provider, "online_store", None))

    def _plan(self, entities: Mapping[str, str], groups: Sequence[str]) -> Plan:
        plan: Plan = []
        for group in dict.fromkeys(groups):
            spec = GROUPS.get(group)
            if spec is None:
                raise InvalidInput(
                    f"the feature store serves no group {group!r}; it serves: {', '.join(GROUPS)}"
                )
            key = entities.get(spec.entity.join_key)
            plan.append((group, spec, None if key is None else str(key)))
        return plan

    def _read(self, plan: Plan) -> OnlineFeatures:
        if self._redis:
            return self._assemble(plan, self._read_redis_sync(plan))
        return self._assemble(plan, [self._read_view(spec, key) for _, spec, key in plan])

    def _assemble(self, plan: Plan, rows: Sequence[Row]) -> OnlineFeatures:
        now = self._clock()
        values: dict[str, dict[str, Any]] = {}
        missing: dict[str, tuple[str, ...]] = {}
        stale: dict[str, tuple[str, ...]] = {}
        for (group, spec, _), (timestamp, row) in zip(plan, rows, strict=True):
            fresh = timestamp is not None and now - timestamp <= spec.ttl
            found: dict[str, Any] = {}
            absent: list[str] = []
            old: list[str] = []
            for name in spec.field_names:
                value = self._python(row.get(name)) if row else None
                if value is None:
                    absent.append(name)
                elif fresh:
                    found[name] = value
                else:
                    old.append(name)
            if found:
                values[group] = found
            if absent:
                missing[group] = tuple(absent)
            if old:
                stale[group] = tuple(old)
        return OnlineFeatures(values, missing, stale)

    def _entity_key_of(self, spec: ViewSpec, key: str) -> Any:
        return self._entity_key(join_keys=[spec.entity.join_key], entity_values=[self._value(string_val=key)])

    def _request(self, spec: ViewSpec, key: str) -> dict[str, Any]:
        return {
            "config": self._feast.config,
            "table": self._views[spec.name],
            "entity_keys": [self._entity_key_of(spec, key)],
            "requested_features": list(spec.field_names),
        }

    def _read_view(self, spec: ViewSpec, key: str | None) -> Row:
        if key is None:
            return None, None
        try:
            return self._first(spec, self._provider.online_read(**self._request(spec, key)))
        except Exception as exc:  # Feast surfaces every store error (SQLite, Redis down, ...) as itself
            return self._error(spec, exc)

    def _redis_requests(self, plan: Plan) -> list[redis_batch.Request]:
        return [
            (self._views[spec.name], self._entity_key_of(spec, key), list(spec.field_names))
            for _, spec, key in plan
            if key is not None
        ]

    def _redis_rows(self, plan: Plan, rows: Sequence[Row]) -> list[Row]:
        found = iter(rows)
        self._problems.pop("redis", None)
        return [(None, None) if key is None else next(found) for _, _, key in plan]

    def _read_redis_sync(self, plan: Plan) -> list[Row]:
        try:
            rows = redis_batch.read(
                self._provider.online_store, self._feast.config, self._redis_requests(plan)
            )
        except Exception as exc:  # redis-py raises its own errors (connection refused, timeout, ...)
            raise self._failed("redis", exc) from exc
        return self._redis_rows(plan, rows)

    async def _read_redis(self, plan: Plan) -> list[Row]:
        try:
            rows = await redis_batch.read_async(
                self._provider.online_store, self._feast.config, self._redis_requests(plan)
            )
        except Exception as exc:
            raise self._failed("redis", exc) from exc
        return self._redis_rows(plan, rows)

    def _first(self, spec: ViewSpec, rows: Sequence[Row]) -> Row:
        self._problems.pop(spec.name, None)
        return rows[0] if rows else (None, None)

    def _error(self, spec: ViewSpec, exc: Exception) -> Row:
        """A view never applied reads as missing (and the status says so); anything else raises."""
        if isinstance(exc, sqlite3.OperationalError) and "no such table" in str(exc):
            self._problems[spec.name] = (
                f"view {spec.name!r} is not in the online store (run `fortress features apply`)"
            )
            return None, None
        raise self._failed(spec.name, exc) from exc

    def _failed(self, what: str, exc: Exception) -> FeatureStoreUnavailable:
        self._problems[what] = f"online store read failed ({self._repo.describe_online()}): {exc}"
        logger.warning("feature lookup (%s) failed: %s", what, exc)
        return FeatureStoreUnavailable(f"online feature store unavailable: {exc}")

    def _python(self, proto: Any) -> Any:
        if proto is None or proto.WhichOneof("val") is None:
            return None
        value = self._to_python(proto)
        if isinstance(value, float) and math.isnan(value):
            return None
        return value


async def _close_online_store(store: Any) -> None:
    """Close the connections Feast's SQLite or Redis online store keeps (Feast offers no close)."""
    for attribute in ("_conn", "_client", "_client_async"):
        handle = getattr(store, attribute, None)
        if handle is None:
            continue
        try:
            closed = handle.aclose() if attribute == "_client_async" else handle.close()
            if asyncio.iscoroutine(closed):
                await closed
        except Exception as exc:  # closing is best effort
            logger.debug("closing %s of the online store failed: %s", attribute, exc)
        setattr(store, attribute, None)
