"""Token buckets per caller in this process: the embedded rate limiter (one gateway replica)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fortress.errors import InvalidInput
from fortress.gateway.auth.errors import RateLimited


def check_cost(cost: int, burst: int) -> None:
    """A cost the bucket can ever pay: at least 1 and at most ``burst``."""
    if cost < 1:
        raise ValueError(f"rate-limit cost must be at least 1, not {cost}")
    if cost > burst:
        raise InvalidInput(f"request cost {cost} is over the rate-limit burst of {burst}; split the request")


def limited(caller: str, cost: int, rate_per_s: float, burst: int, retry_after_s: float) -> RateLimited:
    return RateLimited(
        f"rate limit exceeded for {caller}: {rate_per_s:g} requests/s with bursts of {burst}; "
        f"retry in {retry_after_s:.2f} s",
        retry_after_s=retry_after_s,
    )


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class MemoryRateLimiter:
    """A bucket per caller holds up to ``burst`` tokens and refills at ``rate_per_s``; each request
    takes ``cost`` tokens or is refused with the time until enough are back.

    At most ``max_buckets`` callers are tracked. Buckets idle long enough to be full again are dropped
    (forgetting them changes nothing); past the bound, the least recently seen caller is dropped."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        max_buckets: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_s <= 0 or burst < 1 or max_buckets < 1:
            raise ValueError("rate_per_s, burst and max_buckets must be positive")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_buckets = max_buckets
        self._clock = clock
        self._full_after_s = burst / rate_per_s
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()  # least recently seen first

    async def acquire(self, caller: str, cost: int = 1) -> None:
        self.take(caller, cost)

    def take(self, caller: str, cost: int = 1) -> None:
        """``acquire`` without the coroutine (it never waits)."""
        check_cost(cost, self.burst)
        now = self._clock()
        bucket = self._buckets.get(caller)
        if bucket is None:
            self._make_room(now)
            bucket = self._buckets[caller] = _Bucket(float(self.burst), now)
        else:
            self._buckets.move_to_end(caller)
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate_per_s)
            bucket.updated = now
        if bucket.tokens < cost:
            retry_after_s = (cost - bucket.tokens) / self.rate_per_s
            raise limited(caller, cost, self.rate_per_s, self.burst, retry_after_s)
        bucket.tokens -= cost

    def _make_room(self, now: float) -> None:
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if now - oldest.updated < self._full_after_s and len(self._buckets) < self.max_buckets:
                return
            self._buckets.popitem(last=False)

    @property
    def tracked(self) -> int:
        """Callers with a bucket right now."""
        return len(self._buckets)

    async def aclose(self) -> None:
        self._buckets.clear()

    def status(self) -> tuple[bool, str]:
        return True, f"in-memory token buckets ({len(self._buckets)} callers tracked)"
