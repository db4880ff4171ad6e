"""Token buckets in Redis, shared by every gateway replica: one atomic Lua script per request.

The script reads the bucket, refills it by the time elapsed on the Redis clock (so replicas' clocks do
not matter), takes the cost or answers how long until it can, and lets idle buckets expire. When Redis
cannot be reached the limiter fails OPEN: requests are allowed and counted, ``status()`` reports the
outage, one warning is logged per outage, and only one request per ``redis_retry_interval_s`` tries
Redis again (the others do not wait on a dead server).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from fortress.gateway.auth.memory_ratelimit import check_cost, limited
from fortress.gateway.auth.settings import RateLimitSettings

logger = logging.getLogger(__name__)

# KEYS[1] bucket; ARGV: rate per second, burst, cost, idle expiry in ms. Returns {allowed, retry_after_s}.
TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
if tokens < cost then
  return {0, tostring((cost - tokens) / rate)}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - cost), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1, '0'}
"""


def redacted(url: str) -> str:
    """The URL without credentials, for logs and health details."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class RedisRateLimiter:
    def __init__(self, settings: RateLimitSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        if not settings.redis_url:
            raise ValueError("RedisRateLimiter needs rate_limit.redis_url")
        self.settings = settings
        self.where = redacted(settings.redis_url)
        self._clock = clock
        self._client = Redis.from_url(
            settings.redis_url,
            socket_timeout=settings.redis_timeout_s,
            socket_connect_timeout=settings.redis_timeout_s,
            retry=Retry(NoBackoff(), 1),  # one immediate retry: a pooled connection may be stale
        )
        self._script = self._client.register_script(TOKEN_BUCKET_LUA)
        # Idle this long, a bucket is full again: the key can go.
        self._expire_ms = math.ceil(settings.burst / settings.rate_per_s * 1000) + 1000
        self._down_since: float | None = None
        self._last_error = ""
        self._next_probe = 0.0
        self._contacted = False
        self.allowed_while_down = 0
        """Requests allowed without limiting because Redis was unreachable (a counter)."""
        self.outages = 0
        """Times Redis became unreachable (a counter)."""

    async def acquire(self, caller: str, cost: int = 1) -> None:
        s = self.settings
        check_cost(cost, s.burst)
        now = self._clock()
        if self._down_since is not None:
            if now < self._next_probe:
                self.allowed_while_down += 1
                return
            self._next_probe = now + s.redis_retry_interval_s  # this request probes; the others skip
        try:
            allowed, retry = await self._script(
                keys=[s.key_prefix + caller], args=[s.rate_per_s, s.burst, cost, self._expire_ms]
            )
        except (RedisError, OSError) as exc:
            self._went_down(exc, now)
            self.allowed_while_down += 1
            return
        self._contacted = True
        if self._down_since is not None:
            self._came_back(now)
        if not int(allowed):
            raise limited(caller, cost, s.rate_per_s, s.burst, float(retry))

    def _went_down(self, exc: Exception, now: float) -> None:
        self._last_error = f"{type(exc).__name__}: {exc}"
        if self._down_since is None:
            self._down_since = now
            self._next_probe = now + self.settings.redis_retry_interval_s
            self.outages += 1
            logger.warning(
                "rate limiting suspended: Redis at %s is unreachable (%s); requests are allowed "
                "until it is back",
                self.where,
                self._last_error,
            )

    def _came_back(self, now: float) -> None:
        assert self._down_since is not None
        logger.warning(
            "rate limiting resumed: Redis at %s is reachable again after %.1f s (%d requests were allowed "
            "without limiting so far)",
            self.where,
            now - self._down_since,
            self.allowed_while_down,
        )
        self._down_since = None
        self._last_error = ""

    def status(self) -> tuple[bool, str]:
        if self._down_since is not None:
            down_for = self._clock() - self._down_since
            return False, (
                f"Redis at {self.where} unreachable for {down_for:.1f} s ({self._last_error}); failing open, "
                f"{self.allowed_while_down} requests allowed without limiting"
            )
        if not self._contacted:
            return True, f"Redis at {self.where} (not contacted yet)"
        return True, f"Redis at {self.where}"

    async def aclose(self) -> None:
        await self._client.aclose()
