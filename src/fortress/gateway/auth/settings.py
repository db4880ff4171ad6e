"""Settings of gateway authentication and rate limiting (``Settings.gateway.auth`` / ``.rate_limit``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, SecretStr


class AuthSettings(BaseModel):
    enabled: bool = True
    """Off: every request is served as an anonymous caller holding every scope (development only)."""
    keys_file: Path | None = None
    """API key store (hashes only, mode 0600). Default: ``$FORTRESS_HOME/auth/keys.json``."""
    jwt_hs256_secret: SecretStr | None = None
    """Shared secret: enables HS256 bearer tokens."""
    jwt_public_key_file: Path | None = None
    """PEM public key of the token issuer: enables RS256 bearer tokens."""
    jwt_issuer: str | None = None
    """When set, a token's ``iss`` must equal it."""
    jwt_audience: str | None = None
    """When set, a token's ``aud`` must contain it."""
    jwt_leeway_s: NonNegativeFloat = 30
    """Clock skew tolerated on ``exp``, ``nbf`` and ``iat``."""
    max_failures_per_address: NonNegativeInt = 20
    """Failed authentications a client address may make per ``failure_window_s``; past it, every
    attempt from that address gets 429 until one could pass again (0: no limit). Token buckets in
    memory, or in Redis when ``rate_limit.redis_url`` is set."""
    failure_window_s: PositiveFloat = 60.0
    open_health: bool = True
    """``/health`` answers without credentials. ``/health/live`` and ``/health/ready`` always do
    (orchestrator probes carry none)."""
    open_metrics: bool = True
    """``/metrics`` answers without credentials."""


class RateLimitSettings(BaseModel):
    enabled: bool = True
    rate_per_s: PositiveFloat = 200.0
    """Tokens added per second to each caller's bucket (one request costs one token by default)."""
    burst: PositiveInt = 400
    """Bucket size: how many requests a caller that was idle may send at once."""
    redis_url: str | None = None
    """When set, buckets live in Redis and are shared by every gateway replica."""
    key_prefix: str = "fortress:ratelimit:"
    max_buckets: PositiveInt = 100_000
    """In-memory limiter only: callers tracked at once (least recently seen are dropped first)."""
    redis_timeout_s: PositiveFloat = 0.25
    """Connect and command timeout towards Redis; past it the request is allowed (fail open)."""
    redis_retry_interval_s: PositiveFloat = 1.0
    """While Redis is unreachable, how often one request tries it again (the others skip it)."""
