"""Builds the result cache the settings ask for (the gateway's wiring calls this once)."""

from __future__ import annotations

from fortress.gateway.cache.base import ResultCache
from fortress.gateway.cache.memory import MemoryResultCache
from fortress.gateway.cache.settings import CacheSettings


def build_result_cache(settings: CacheSettings) -> ResultCache:
    """A cache that has not connected to anything yet: call ``await cache.start()`` in the lifespan."""
    if settings.backend == "redis":
        from fortress.gateway.cache.redis_cache import RedisResultCache  # redis only where used

        return RedisResultCache(settings)
    return MemoryResultCache(settings.max_entries, settings.max_bytes)
