"""The factory builds the configured backend without connecting to anything."""

from __future__ import annotations

import asyncio

import pytest

import fortress.gateway.cache.redis_cache as redis_module
from fortress.gateway.cache import CacheSettings, MemoryResultCache, build_result_cache
from fortress.gateway.cache.errors import CacheUnavailable
from fortress.gateway.cache.redis_cache import RedisResultCache


def test_memory_is_the_default() -> None:
    cache = build_result_cache(CacheSettings(max_entries=7, max_bytes=1000))
    assert isinstance(cache, MemoryResultCache)
    assert cache.kind == "memory"


def test_redis_backend_is_built_but_not_connected() -> None:
    # Port 1: nothing listens there, so connecting would fail; building must not try.
    cache = build_result_cache(CacheSettings(backend="redis", redis_url="redis://127.0.0.1:1/0"))
    assert isinstance(cache, RedisResultCache)
    assert cache.kind == "redis"
    status = cache.status()
    assert not status.ok
    assert "not started" in status.detail


def test_no_redis_client_exists_at_import() -> None:
    from redis.asyncio import ConnectionPool, Redis

    assert not [v for v in vars(redis_module).values() if isinstance(v, Redis | ConnectionPool)]


def test_calls_before_start_are_unavailable() -> None:
    cache = RedisResultCache(CacheSettings(backend="redis", redis_url="redis://127.0.0.1:1/0"))

    async def main() -> None:
        with pytest.raises(CacheUnavailable, match="not started"):
            await cache.get("k")
        with pytest.raises(CacheUnavailable, match="not started"):
            await cache.set("k", b"v", 1.0)

    asyncio.run(main())


def test_status_never_shows_the_password() -> None:
    url = "redis://user:s3cret@127.0.0.1:1/0"
    status = RedisResultCache(CacheSettings(backend="redis", redis_url=url)).status()
    assert "s3cret" not in status.detail
    assert "redis://127.0.0.1:1/0" in status.detail
