"""RedisRateLimiter against real Redis: replicas share one bucket; Redis down -> fail open, then resume.

Uses the Redis at 127.0.0.1:6379 (unique key prefix per test, keys deleted afterwards) and, for the
outage, a private ``redis-server`` on a free port that the test kills by PID and restarts.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from fortress.gateway.auth.ratelimit import RateLimited, RedisRateLimiter
from fortress.gateway.auth.settings import RateLimitSettings
from support.processes import free_port
from support.redis_server import RedisServer

SHARED_REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    prefix = f"fortress-test:{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(SHARED_REDIS)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {SHARED_REDIS}: {exc}")
    try:
        yield prefix
    finally:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def allowed_at_once(call: Coroutine[Any, Any, None]) -> None:
    """The call lets the request through on its first step, without suspending: it waited on nothing."""
    try:
        call.send(None)
    except StopIteration:
        return
    call.close()
    pytest.fail("the call suspended (it waited on Redis) instead of failing open at once")


async def allowed(limiter: RedisRateLimiter, caller: str) -> bool:
    try:
        await limiter.acquire(caller)
    except RateLimited:
        return False
    return True


def test_two_replicas_share_one_bucket(prefix: str) -> None:
    settings = RateLimitSettings(rate_per_s=0.01, burst=5, redis_url=SHARED_REDIS, key_prefix=prefix)

    async def main() -> None:
        a, b = RedisRateLimiter(settings), RedisRateLimiter(settings)
        try:
            for limiter in (a, b, a, b, a):
                await limiter.acquire("alice")
            for limiter in (a, b):
                with pytest.raises(RateLimited, match="rate limit exceeded for alice") as info:
                    await limiter.acquire("alice")
                assert 99.0 < info.value.retry_after_s <= 100.0  # one token at 0.01 per second
            await b.acquire("bob")  # other callers are untouched
            assert a.status() == (True, "Redis at redis://127.0.0.1:6379/0")
        finally:
            await a.aclose()
            await b.aclose()

    asyncio.run(main())
    client = redis.Redis.from_url(SHARED_REDIS)
    ttl_ms = client.pttl(f"{prefix}alice")
    client.close()
    assert 0 < ttl_ms <= 5 / 0.01 * 1000 + 1000  # idle buckets expire once full again


def test_concurrent_requests_across_replicas_take_exactly_the_burst(prefix: str) -> None:
    settings = RateLimitSettings(rate_per_s=0.001, burst=25, redis_url=SHARED_REDIS, key_prefix=prefix)

    async def main() -> int:
        limiters = [RedisRateLimiter(settings) for _ in range(3)]
        try:
            results = await asyncio.gather(*(allowed(limiters[i % 3], "crowd") for i in range(90)))
        finally:
            for limiter in limiters:
                await limiter.aclose()
        return sum(results)

    assert asyncio.run(main()) == 25


def test_bucket_refills_on_the_redis_clock(prefix: str) -> None:
    # One token a second: three calls in a row take ~1 ms here, so the third finds the bucket empty
    # unless the machine stalls 1 s between them (a margin of hundreds, not a benchmark).
    settings = RateLimitSettings(rate_per_s=1.0, burst=2, redis_url=SHARED_REDIS, key_prefix=prefix)

    async def main() -> None:
        limiter = RedisRateLimiter(settings)
        try:
            assert [await allowed(limiter, "c") for _ in range(3)] == [True, True, False]
            await asyncio.sleep(2.4)  # 2.4 tokens' worth, capped at the burst of 2
            assert [await allowed(limiter, "c") for _ in range(3)] == [True, True, False]
        finally:
            await limiter.aclose()

    asyncio.run(main())


def test_fails_open_while_redis_is_down_and_resumes_after(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Also shows the script is reloaded (NOSCRIPT) after Redis restarts with an empty script cache."""
    port = free_port()
    settings = RateLimitSettings(
        rate_per_s=0.01,
        burst=3,
        redis_url=f"redis://127.0.0.1:{port}/0",
        key_prefix="fortress-test:",
        redis_timeout_s=0.2,
        redis_retry_interval_s=0.2,
    )

    server = RedisServer(port, tmp_path)
    server.start()

    clock = FakeClock()  # the limiter's retry window: moved by the test, not slept through

    async def main() -> None:
        limiter = RedisRateLimiter(settings, clock=clock)
        try:
            assert [await allowed(limiter, "alice") for _ in range(4)] == [True, True, True, False]
            assert limiter.status()[0]

            server.stop()
            assert await allowed(limiter, "alice")  # finds Redis gone: fails open
            for _ in range(49):  # in the retry window nobody waits on the dead server
                allowed_at_once(limiter.acquire("alice"))
            ok, detail = limiter.status()
            assert not ok
            assert f"Redis at redis://127.0.0.1:{port}/0 unreachable" in detail
            assert "failing open, 50 requests allowed without limiting" in detail
            assert (limiter.allowed_while_down, limiter.outages) == (50, 1)

            server.start()  # same port, empty script cache
            # A safety limit, not a benchmark: on the fake clock it resumes after one retry interval
            # (a few real milliseconds of Redis calls); 10 s is >100x that.
            deadline = time.monotonic() + 10
            while await allowed(limiter, "alice"):  # fresh server, fresh bucket of 3, then limited
                assert time.monotonic() < deadline, "rate limiting did not resume"
                clock.now += settings.redis_retry_interval_s
                await asyncio.sleep(0.05)
            assert limiter.status() == (True, f"Redis at redis://127.0.0.1:{port}/0")
            assert [await allowed(limiter, "bob") for _ in range(4)] == [True, True, True, False]
        finally:
            await limiter.aclose()

    try:
        with caplog.at_level(logging.WARNING, logger="fortress.gateway.auth.redis_ratelimit"):
            asyncio.run(main())
    finally:
        server.stop()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("rate limiting suspended" in m for m in messages) == 1, messages
    assert sum("rate limiting resumed" in m for m in messages) == 1, messages


def test_failed_authentications_are_throttled_per_address_across_replicas(prefix: str) -> None:
    """Two gateway replicas' failure throttles on one Redis: the address's failures add up, its
    throttle reaches the replica that had not seen it, other addresses keep their own bucket."""

    async def main() -> None:
        from fortress.gateway.auth.failures import FailureThrottle
        from fortress.gateway.platform import failure_throttle
        from fortress.gateway.settings import GatewaySettings

        gateway = GatewaySettings(
            auth={"max_failures_per_address": 4, "failure_window_s": 60},  # type: ignore[arg-type]
            rate_limit={"redis_url": SHARED_REDIS, "key_prefix": prefix},  # type: ignore[arg-type]
        )
        replicas = [failure_throttle(gateway), failure_throttle(gateway)]
        first, second = replicas
        assert isinstance(first, FailureThrottle)
        assert isinstance(second, FailureThrottle)
        assert isinstance(first.limiter, RedisRateLimiter)
        try:
            for replica in (first, second, first, second):
                await replica.failed("192.0.2.1")
            with pytest.raises(RateLimited, match=r"too many failed authentications from 192\.0\.2\.1"):
                await second.failed("192.0.2.1")
            with pytest.raises(RateLimited):
                second.check("192.0.2.1")  # remembered: no Redis call
            first.check("192.0.2.1")  # first has not seen the verdict yet...
            with pytest.raises(RateLimited) as refused:
                await first.failed("192.0.2.1")  # ...its next failure finds the shared bucket empty
            assert 0 < refused.value.retry_after_s <= 15
            await first.failed("192.0.2.2")  # another address
            with redis.Redis.from_url(SHARED_REDIS) as admin:
                assert admin.exists(f"{prefix}auth-failures:192.0.2.1")
        finally:
            for replica in replicas:
                await replica.aclose()

    asyncio.run(main())
