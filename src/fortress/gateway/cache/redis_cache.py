"""The scale-out result cache: one Redis shared by every gateway process and replica.

A cache must never make a request slower than no cache. Each call is bounded by
``redis_timeout_s`` (connecting included, retry included). A command whose pooled connection was
closed under it (Redis restarted: every pooled connection is stale) is retried once, at once, on a
fresh connection; nothing else is retried (a timeout never is). After a failure the cache is
*down* for ``retry_after_failure_s``: calls raise ``CacheUnavailable`` at once, without touching the
network. Then exactly one call (the probe) goes to Redis while the others keep failing fast; if it
succeeds the cache is up again, otherwise the window starts over.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, RedisError

from fortress.gateway.cache.base import CacheStatus
from fortress.gateway.cache.errors import CacheUnavailable
from fortress.gateway.cache.settings import CacheSettings

T = TypeVar("T")

logger = logging.getLogger(__name__)

_FAILURES = (RedisError, OSError)  # OSError covers socket errors and asyncio's TimeoutError


class RedisResultCache:
    kind: str = "redis"

    def __init__(self, settings: CacheSettings, clock: Callable[[], float] = time.monotonic) -> None:
        if not settings.redis_url:
            raise ValueError("RedisResultCache needs settings.redis_url")
        self._url = settings.redis_url
        self._timeout_s = settings.redis_timeout_s
        self._prefix = settings.key_prefix
        self._retry_after_s = settings.retry_after_failure_s
        self._clock = clock
        self._client: Redis | None = None
        self._error: str | None = "not started"
        """Why the cache is down; ``None`` while it is up."""
        self._down_until = 0.0
        self._probing = False

    async def start(self) -> None:
        """Create the client and ping Redis; when Redis does not answer, the cache starts down."""
        if self._client is None:
            self._client = Redis.from_url(
                self._url,
                socket_timeout=self._timeout_s,
                socket_connect_timeout=self._timeout_s,
                retry=Retry(NoBackoff(), 1, supported_errors=(ConnectionError,)),
                health_check_interval=0,
            )
            self._error = None
        try:
            await self._call("PING", self._client.ping())
        except CacheUnavailable:
            return

    async def get(self, key: str) -> bytes | None:
        client = self._admit()
        reply = client.get(self._prefix + key)  # typed bytes | str: bytes, as decode_responses is off
        return await self._call("GET", cast("Awaitable[bytes | None]", reply))

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """``SET key value PX ttl``. A TTL that is not positive stores nothing and deletes the key."""
        client = self._admit()
        name = self._prefix + key
        if not ttl_s > 0:
            await self._call("DEL", client.delete(name))
            return
        px = max(1, math.ceil(ttl_s * 1000)) if math.isfinite(ttl_s) else None
        await self._call("SET", client.set(name, value, px=px))

    async def aclose(self) -> None:
        client, self._client = self._client, None
        self._error = "closed"
        if client is not None:
            await client.aclose()

    def status(self) -> CacheStatus:
        where = _redacted(self._url)
        if self._error is None:
            return CacheStatus(ok=True, kind=self.kind, detail=f"connected to {where}")
        detail = f"{where}: {self._error}"
        if self._client is not None:
            wait = max(0.0, self._down_until - self._clock())
            detail += f" (next try in {wait:.2f} s)" if wait else " (next call tries again)"
        return CacheStatus(ok=False, kind=self.kind, detail=detail)

    def _admit(self) -> Redis:
        """The client, or ``CacheUnavailable`` at once while the cache is down and this call is not
        the one that tries Redis again."""
        if self._client is None:
            raise CacheUnavailable(f"redis cache {self._error}")
        if self._error is not None and (self._probing or self._clock() < self._down_until):
            raise CacheUnavailable(f"redis cache unavailable: {self._error}")
        return self._client

    async def _call(self, command: str, operation: Awaitable[T]) -> T:
        probe = self._error is not None
        if probe:
            self._probing = True
        try:
            async with asyncio.timeout(self._timeout_s):
                result = await operation
        except _FAILURES as exc:
            was_up = self._error is None
            self._error = _describe(command, exc, self._timeout_s)
            self._down_until = self._clock() + self._retry_after_s
            if was_up:  # log when the cache goes down, not on every failed call or probe
                logger.warning(
                    "redis cache down (%s); calls fail fast for %s s, then it is tried again",
                    self._error,
                    self._retry_after_s,
                )
            raise CacheUnavailable(f"redis cache unavailable: {self._error}") from exc
        finally:
            if probe:
                self._probing = False
        if self._error is not None:
            logger.info("redis cache is back at %s", _redacted(self._url))
            self._error = None
        return result


def _describe(command: str, exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower():
        return f"{command} got no answer within {timeout_s} s"
    return f"{command} failed: {type(exc).__name__}: {exc}"


def _redacted(url: str) -> str:
    """``scheme://host:port/db`` without user or password."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
