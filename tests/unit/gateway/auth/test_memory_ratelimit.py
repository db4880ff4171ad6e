"""MemoryRateLimiter: burst then 429 with a sensible Retry-After, refill, bounded buckets; the factory."""

from __future__ import annotations

import asyncio

import pytest

from fortress.errors import ErrorKind, InvalidInput, Overloaded
from fortress.gateway.auth.ratelimit import (
    MemoryRateLimiter,
    NoRateLimiter,
    RateLimited,
    RedisRateLimiter,
    build_rate_limiter,
)
from fortress.gateway.auth.settings import RateLimitSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_burst_then_limited_with_retry_after(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(rate_per_s=2.0, burst=5, clock=clock)
    for _ in range(5):
        limiter.take("alice")
    with pytest.raises(RateLimited, match="rate limit exceeded for alice") as info:
        limiter.take("alice")
    assert isinstance(info.value, Overloaded)
    assert info.value.kind is ErrorKind.OVERLOADED
    assert info.value.retry_after_s == pytest.approx(0.5)  # one token at 2 per second

    clock.now += 0.2
    with pytest.raises(RateLimited) as info:
        limiter.take("alice")
    assert info.value.retry_after_s == pytest.approx(0.3)


def test_refill(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(rate_per_s=10.0, burst=3, clock=clock)
    for _ in range(3):
        limiter.take("a")
    clock.now += 0.1
    limiter.take("a")
    with pytest.raises(RateLimited):
        limiter.take("a")
    clock.now += 3600  # refills up to the burst, no further
    for _ in range(3):
        limiter.take("a")
    with pytest.raises(RateLimited):
        limiter.take("a")


def test_callers_have_their_own_buckets(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(rate_per_s=1.0, burst=2, clock=clock)
    limiter.take("a", cost=2)
    with pytest.raises(RateLimited):
        limiter.take("a")
    limiter.take("b", cost=2)


def test_cost(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(rate_per_s=4.0, burst=10, clock=clock)
    limiter.take("a", cost=8)
    with pytest.raises(RateLimited) as info:
        limiter.take("a", cost=4)
    assert info.value.retry_after_s == pytest.approx(0.5)  # needs 2 more tokens at 4 per second
    limiter.take("a", cost=2)
    with pytest.raises(InvalidInput, match="request cost 11 is over the rate-limit burst of 10"):
        limiter.take("a", cost=11)
    with pytest.raises(ValueError, match="at least 1"):
        limiter.take("a", cost=0)


def test_buckets_are_bounded_and_idle_ones_dropped(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(rate_per_s=1.0, burst=2, max_buckets=3, clock=clock)
    for n in range(10):
        limiter.take(f"caller-{n}")
        assert limiter.tracked <= 3
    assert limiter.tracked == 3
    clock.now += 2.0  # idle for burst / rate: full again, nothing to remember
    limiter.take("newcomer")
    assert limiter.tracked == 1


def test_recently_seen_callers_are_kept(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(rate_per_s=1.0, burst=2, max_buckets=2, clock=clock)
    limiter.take("busy", cost=2)
    limiter.take("other")
    clock.now += 0.1
    with pytest.raises(RateLimited):
        limiter.take("busy")  # seen again: now the most recent
    limiter.take("third")  # drops "other", the least recently seen
    with pytest.raises(RateLimited):
        limiter.take("busy")


def test_async_interface_and_status() -> None:
    async def main() -> tuple[bool, str]:
        limiter = MemoryRateLimiter(rate_per_s=100.0, burst=2)
        await limiter.acquire("a")
        await limiter.acquire("a")
        with pytest.raises(RateLimited):
            await limiter.acquire("a")
        status = limiter.status()
        await limiter.aclose()
        return status

    ok, detail = asyncio.run(main())
    assert ok
    assert "in-memory" in detail


def test_build_rate_limiter() -> None:
    async def main() -> None:
        disabled = build_rate_limiter(RateLimitSettings(enabled=False))
        assert isinstance(disabled, NoRateLimiter)
        for _ in range(1000):
            await disabled.acquire("a")
        assert disabled.status() == (True, "rate limiting disabled")

        memory = build_rate_limiter(RateLimitSettings(rate_per_s=5, burst=7, max_buckets=9))
        assert isinstance(memory, MemoryRateLimiter)
        assert (memory.rate_per_s, memory.burst, memory.max_buckets) == (5, 7, 9)

        # Builds the client without connecting: nothing listens on port 1.
        redis = build_rate_limiter(RateLimitSettings(redis_url="redis://user:pw@127.0.0.1:1/0"))
        assert isinstance(redis, RedisRateLimiter)
        ok, detail = redis.status()
        assert ok
        assert detail == "Redis at redis://127.0.0.1:1/0 (not contacted yet)"
        await redis.aclose()

    asyncio.run(main())
