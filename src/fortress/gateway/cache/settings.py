"""Settings of the gateway's result cache (nested as ``Settings.gateway.cache``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, PositiveFloat, PositiveInt, model_validator

REDIS_URL_SCHEMES = ("redis://", "rediss://", "unix://")


class CacheSettings(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)  # redis_url may hold a password

    backend: Literal["memory", "redis"] = "memory"
    """``memory``: one LRU per process. ``redis``: shared by every gateway process and replica."""
    ttl_s: PositiveFloat = 300.0
    """How long a cached response may be served."""
    max_entries: PositiveInt = 10_000
    """Memory backend: most entries kept; the least recently used go first."""
    max_bytes: PositiveInt = 64 * 2**20
    """Memory backend: most value bytes kept; a value larger than this is not cached."""
    redis_url: str | None = None
    """``redis://[user:password@]host:6379/0``, ``rediss://...`` or ``unix:///path?db=0``.
    Required when ``backend`` is ``redis``."""
    redis_timeout_s: PositiveFloat = 0.05
    """Longest one cache call may wait for Redis (connecting included) before it gives up."""
    key_prefix: str = "fortress:inference:"
    """Prepended to every Redis key, so several deployments can share one Redis."""
    retry_after_failure_s: PositiveFloat = 1.0
    """After a Redis failure, calls fail at once (without touching the network) for this long;
    then one call tries Redis again."""

    @model_validator(mode="after")
    def _redis_needs_a_url(self) -> CacheSettings:
        if self.backend == "redis":
            if not self.redis_url:
                raise ValueError(
                    "gateway.cache.redis_url is required when gateway.cache.backend is 'redis' "
                    "(set FORTRESS_GATEWAY__CACHE__REDIS_URL=redis://host:6379/0)"
                )
            if not self.redis_url.startswith(REDIS_URL_SCHEMES):
                # The URL is not echoed: it may hold a password.
                raise ValueError(
                    f"gateway.cache.redis_url must start with one of {', '.join(REDIS_URL_SCHEMES)}"
                )
        return self
