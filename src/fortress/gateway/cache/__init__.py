"""The gateway's result cache: whole inference responses by request and model versions."""

from fortress.gateway.cache.base import CacheStatus, ResultCache
from fortress.gateway.cache.entry import CachedResult
from fortress.gateway.cache.errors import CacheCorrupt, CacheUnavailable
from fortress.gateway.cache.factory import build_result_cache
from fortress.gateway.cache.keys import canonical_json, result_key
from fortress.gateway.cache.memory import MemoryResultCache
from fortress.gateway.cache.settings import CacheSettings

__all__ = [
    "CacheCorrupt",
    "CacheSettings",
    "CacheStatus",
    "CacheUnavailable",
    "CachedResult",
    "MemoryResultCache",
    "ResultCache",
    "build_result_cache",
    "canonical_json",
    "result_key",
]
