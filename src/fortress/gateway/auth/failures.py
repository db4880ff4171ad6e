"""Failed authentications throttled per client address, in the rate limiter's token buckets.

Each address has a bucket of ``limit`` failures refilled over ``window_s`` (20 a minute by default),
in memory or in Redis like the per-caller rate limits (one mechanism: a ``RateLimiter``). A failure
that finds the bucket empty is a 429 instead of a 401, and so is every attempt from that address,
right or wrong, until a failure could pass again: the verdict is remembered here, so a throttled
address costs a dict lookup, not a credential check nor a Redis round trip. Other addresses, and
callers that authenticate, are not affected; with several replicas each learns the verdict from
the shared bucket on its own next failure from that address.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fortress.gateway.auth.errors import RateLimited
from fortress.gateway.auth.ratelimit import RateLimiter

KEY_PREFIX = "auth-failures:"
"""Bucket names: ``auth-failures:<address>``, apart from callers' ``api_key:`` / ``jwt:`` buckets."""


class FailureThrottle:
    def __init__(
        self,
        limiter: RateLimiter,
        limit: int,
        window_s: float,
        *,
        max_tracked: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limiter = limiter
        self.limit = limit
        self.window_s = window_s
        self._max_tracked = max_tracked
        self._clock = clock
        self._blocked: dict[str, float] = {}
        """Address -> until when (``clock``) it is refused, oldest verdict first."""

    def check(self, address: str | None) -> None:
        """``RateLimited`` when ``address`` is throttled now; call it before checking credentials."""
        if not self._blocked or address is None:
            return
        until = self._blocked.get(address)
        if until is None:
            return
        wait_s = until - self._clock()
        if wait_s <= 0:
            del self._blocked[address]
            return
        raise self._refusal(address, wait_s)

    async def failed(self, address: str | None) -> None:
        """Count one failed authentication; ``RateLimited`` when it is one too many."""
        if address is None:
            return
        try:
            await self.limiter.acquire(KEY_PREFIX + address)
        except RateLimited as exc:
            self._block(address, exc.retry_after_s)
            raise self._refusal(address, exc.retry_after_s) from None

    def _block(self, address: str, wait_s: float) -> None:
        now = self._clock()
        if len(self._blocked) >= self._max_tracked:
            self._blocked = {a: until for a, until in self._blocked.items() if until > now}
            while len(self._blocked) >= self._max_tracked:
                del self._blocked[next(iter(self._blocked))]
        self._blocked.pop(address, None)
        self._blocked[address] = now + wait_s

    def _refusal(self, address: str, wait_s: float) -> RateLimited:
        return RateLimited(
            f"too many failed authentications from {address}: at most {self.limit} per "
            f"{self.window_s:g} s; retry in {wait_s:.2f} s",
            retry_after_s=wait_s,
        )

    async def aclose(self) -> None:
        await self.limiter.aclose()
