"""Rate limiting per caller: the ``RateLimiter`` protocol, its two implementations, and the factory.

``MemoryRateLimiter`` keeps buckets in this process (one replica); ``RedisRateLimiter`` keeps them in
Redis so every replica draws from the same bucket. Both refuse with ``RateLimited`` (429 +
``Retry-After``).
"""

from __future__ import annotations

from typing import Protocol

from fortress.gateway.auth.errors import RateLimited
from fortress.gateway.auth.memory_ratelimit import MemoryRateLimiter
from fortress.gateway.auth.redis_ratelimit import RedisRateLimiter
from fortress.gateway.auth.settings import RateLimitSettings

__all__ = [
    "MemoryRateLimiter",
    "NoRateLimiter",
    "RateLimited",
    "RateLimiter",
    "RedisRateLimiter",
    "build_rate_limiter",
]


class RateLimiter(Protocol):
    async def acquire(self, caller: str, cost: int = 1) -> None:
        """Take ``cost`` tokens from ``caller``'s bucket or raise ``RateLimited``."""

    async def aclose(self) -> None: ...

    def status(self) -> tuple[bool, str]:
        """``(ok, detail)`` for ``/health``."""


class NoRateLimiter:
    """Rate limiting disabled: every request passes."""

    async def acquire(self, caller: str, cost: int = 1) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def status(self) -> tuple[bool, str]:
        return True, "rate limiting disabled"


def build_rate_limiter(settings: RateLimitSettings) -> RateLimiter:
    """Redis-backed when ``redis_url`` is set, in-memory otherwise, a no-op when disabled.

    Creates (but does not connect) the Redis client: call it inside the app's lifespan."""
    if not settings.enabled:
        return NoRateLimiter()
    if settings.redis_url:
        return RedisRateLimiter(settings)
    return MemoryRateLimiter(settings.rate_per_s, settings.burst, max_buckets=settings.max_buckets)
