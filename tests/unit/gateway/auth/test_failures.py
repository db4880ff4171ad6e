"""FailureThrottle over the in-memory buckets: per address, remembered verdicts, recovery."""

from __future__ import annotations

import pytest

from fortress.gateway.auth.errors import RateLimited
from fortress.gateway.auth.failures import FailureThrottle
from fortress.gateway.auth.memory_ratelimit import MemoryRateLimiter

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock, limit: int = 3, window_s: float = 60.0, max_tracked: int = 100) -> FailureThrottle:
    limiter = MemoryRateLimiter(limit / window_s, limit, clock=clock)
    return FailureThrottle(limiter, limit, window_s, max_tracked=max_tracked, clock=clock)


async def test_an_address_over_its_failures_is_refused_until_one_could_pass_again() -> None:
    clock = Clock()
    failures = throttle(clock)
    for _ in range(3):
        failures.check("10.0.0.1")
        await failures.failed("10.0.0.1")
    with pytest.raises(
        RateLimited, match=r"too many failed authentications from 10\.0\.0\.1: at most 3 per 60 s"
    ):
        await failures.failed("10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        failures.check("10.0.0.1")  # before any credential check
    assert refused.value.retry_after_s == pytest.approx(20.0)
    failures.check("10.0.0.2")  # other addresses pass
    await failures.failed("10.0.0.2")
    failures.check(None)  # an unknown address is never throttled
    await failures.failed(None)
    clock.now += 19.9
    with pytest.raises(RateLimited):
        failures.check("10.0.0.1")
    clock.now += 0.2
    failures.check("10.0.0.1")  # one failure may pass again: one token refilled
    await failures.failed("10.0.0.1")
    with pytest.raises(RateLimited):
        await failures.failed("10.0.0.1")


async def test_remembered_verdicts_are_bounded() -> None:
    clock = Clock()
    failures = throttle(clock, limit=1, max_tracked=10)
    for i in range(50):
        await failures.failed(f"10.0.1.{i}")
        with pytest.raises(RateLimited):
            await failures.failed(f"10.0.1.{i}")
    assert len(failures._blocked) <= 10
    with pytest.raises(RateLimited):
        failures.check("10.0.1.49")  # the newest verdicts are kept
