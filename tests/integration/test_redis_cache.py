"""The Redis result cache against real Redis servers: the shared one at 127.0.0.1:6379 and, for
outages, a private ``redis-server`` that these tests start, stop, pause and restart by PID."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from fortress.gateway.cache import CacheSettings, build_result_cache
from fortress.gateway.cache.errors import CacheUnavailable
from fortress.gateway.cache.redis_cache import RedisResultCache
from support.processes import free_port
from support.redis_server import RedisServer

SHARED_URL = "redis://127.0.0.1:6379/0"
REDIS_TIMEOUT_S = 0.05
"""The cache's own limit on one Redis command (redis_timeout_s below)."""
SAFETY_LIMIT_S = 1.0
"""A safety limit, not a benchmark: 20x the longest a failing call may wait (one REDIS_TIMEOUT_S). It
catches a call left waiting on a dead or paused server (no timeout, retries), not a slow machine."""
WINDOW_S = 5.0


class FakeClock:
    """The back-off clock: these tests move it past the window instead of sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def shared_prefix() -> Iterator[str]:
    """A key prefix of its own on the shared Redis; its keys are deleted afterwards."""
    prefix = f"fortress-test:{uuid.uuid4().hex}:"
    with redis.Redis.from_url(SHARED_URL, socket_timeout=2) as admin:
        try:
            admin.ping()
        except redis.RedisError as exc:
            pytest.fail(f"Redis is not reachable at {SHARED_URL}: {exc}")
        try:
            yield prefix
        finally:
            keys = list(admin.scan_iter(match=prefix + "*"))
            if keys:
                admin.delete(*keys)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """Not started: each test starts it when it wants Redis up."""
    server = RedisServer(free_port(), tmp_path)
    try:
        yield server
    finally:
        server.stop()


def _settings(url: str, prefix: str = "fortress-test:", retry_after_s: float = WINDOW_S) -> CacheSettings:
    return CacheSettings(
        backend="redis",
        redis_url=url,
        key_prefix=prefix,
        redis_timeout_s=REDIS_TIMEOUT_S,
        retry_after_failure_s=retry_after_s,
    )


async def _fails_fast(call: Awaitable[object]) -> None:
    """The call tries Redis and fails with CacheUnavailable, bounded by the cache's own timeout."""
    with pytest.raises(CacheUnavailable):
        async with asyncio.timeout(SAFETY_LIMIT_S):
            await call


def _fails_at_once(call: Coroutine[Any, Any, object]) -> None:
    """The call fails on its first step, without ever suspending: it waited on nothing (no connection,
    no timer), which is what the back-off window promises."""
    try:
        call.send(None)
    except CacheUnavailable:
        return
    except StopIteration:
        pytest.fail("the call succeeded instead of failing at once")
    call.close()
    pytest.fail("the call suspended (it waited on Redis or a timer) instead of failing at once")


def test_set_get_and_ttl_on_the_shared_redis(shared_prefix: str) -> None:
    cache = build_result_cache(_settings(SHARED_URL, shared_prefix))
    value = b'{"verdict":"malicious"}\x00\xff'

    async def main() -> None:
        await cache.start()
        assert cache.status().ok
        assert await cache.get("absent") is None
        await cache.set("k", value, 0.5)
        assert await cache.get("k") == value
        with redis.Redis.from_url(SHARED_URL) as admin:
            assert admin.get(shared_prefix + "k") == value  # stored under the prefix, as is
            assert 0 < admin.pttl(shared_prefix + "k") <= 500  # SET ... PX
            await cache.set("long", b"v1", 60)
            await cache.set("long", b"v2", 60)
            assert await cache.get("long") == b"v2"
            assert 59_000 < admin.pttl(shared_prefix + "long") <= 60_000
            await cache.set("long", b"v3", 0)  # a TTL that is not positive deletes the key
            assert admin.exists(shared_prefix + "long") == 0
        await asyncio.sleep(0.6)
        assert await cache.get("k") is None
        await cache.aclose()
        assert not cache.status().ok

    asyncio.run(main())


def test_start_does_not_raise_while_redis_is_down_and_the_cache_comes_up_later(
    private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    cache = RedisResultCache(_settings(private_redis.url), clock=clock)
    caplog.set_level(logging.INFO, logger="fortress.gateway.cache.redis_cache")

    async def main() -> None:
        await cache.start()  # nothing listens on the port yet
        status = cache.status()
        assert not status.ok
        assert "PING failed" in status.detail
        _fails_at_once(cache.get("k"))  # the failed PING opened the back-off window
        clock.now += WINDOW_S
        await _fails_fast(cache.get("k"))  # a failed probe
        private_redis.start()
        clock.now += WINDOW_S
        await cache.set("k", b"v", 60)
        assert await cache.get("k") == b"v"
        assert cache.status().ok
        await cache.aclose()

    asyncio.run(main())
    # One line when the cache goes down and one when it is back, not one per failed call.
    assert [(r.levelno, r.getMessage().split(" (")[0]) for r in caplog.records] == [
        (logging.WARNING, "redis cache down"),
        (logging.INFO, f"redis cache is back at {private_redis.url}"),
    ]


def test_redis_stopped_mid_use_fails_fast_without_touching_the_network_and_recovers(
    private_redis: RedisServer,
) -> None:
    private_redis.start()
    clock = FakeClock()
    cache = RedisResultCache(_settings(private_redis.url), clock=clock)

    async def main() -> None:
        await cache.start()
        await cache.set("k", b"v", 60)
        assert await cache.get("k") == b"v"

        private_redis.stop()
        await _fails_fast(cache.get("k"))
        status = cache.status()
        assert not status.ok
        assert "GET failed" in status.detail
        assert "ConnectionError" in status.detail

        # Redis is back, but the back-off window is not over: calls fail at once and never reach
        # the network (the restarted server sees no new connection).
        private_redis.start()
        with redis.Redis(port=private_redis.port) as admin:
            before = private_redis.connections_received(admin)
            for _ in range(50):
                _fails_at_once(cache.get("k"))
                _fails_at_once(cache.set("k", b"v", 60))
            assert private_redis.connections_received(admin) == before
            assert "next try in 5.00 s" in cache.status().detail

            clock.now += WINDOW_S  # the window is over: the next call tries Redis again
            assert await cache.get("k") is None  # the restarted server kept nothing
            assert cache.status().ok
            await cache.set("k", b"v2", 60)
            assert await cache.get("k") == b"v2"
        await cache.aclose()

    asyncio.run(main())


def test_a_redis_that_does_not_answer_times_out_quickly(private_redis: RedisServer) -> None:
    private_redis.start()
    clock = FakeClock()
    cache = RedisResultCache(_settings(private_redis.url), clock=clock)

    async def main() -> None:
        await cache.start()
        await cache.set("k", b"v", 60)
        private_redis.pause()
        await _fails_fast(cache.get("k"))
        assert "GET got no answer within 0.05 s" in cache.status().detail
        _fails_at_once(cache.set("k", b"v", 60))  # in the window: no second wait
        private_redis.resume()
        clock.now += WINDOW_S
        assert await cache.get("k") == b"v"  # the paused server kept its data
        assert cache.status().ok
        await cache.aclose()

    asyncio.run(main())


def test_after_the_window_one_call_tries_redis_while_the_others_fail_fast(
    private_redis: RedisServer,
) -> None:
    private_redis.start()
    clock = FakeClock()
    cache = RedisResultCache(_settings(private_redis.url), clock=clock)

    async def main() -> None:
        await cache.start()
        private_redis.stop()
        await _fails_fast(cache.get("k"))
        private_redis.start()
        clock.now += WINDOW_S
        with redis.Redis(port=private_redis.port) as admin:
            before = private_redis.connections_received(admin)
            results = await asyncio.gather(*(cache.get("k") for _ in range(20)), return_exceptions=True)
            assert results[0] is None  # the probe reached the restarted Redis
            assert all(isinstance(r, CacheUnavailable) for r in results[1:])
            assert private_redis.connections_received(admin) == before + 1
        assert cache.status().ok
        assert await cache.get("k") is None
        await cache.aclose()

    asyncio.run(main())


def test_a_cancelled_probe_does_not_leave_the_cache_down(private_redis: RedisServer) -> None:
    private_redis.start()
    clock = FakeClock()
    cache = RedisResultCache(_settings(private_redis.url), clock=clock)

    async def main() -> None:
        await cache.start()
        await cache.set("k", b"v", 60)
        private_redis.pause()
        await _fails_fast(cache.get("k"))
        clock.now += WINDOW_S
        probe = asyncio.create_task(cache.get("k"))
        await asyncio.sleep(0.01)  # the probe now waits on the paused server
        probe.cancel()
        with pytest.raises(asyncio.CancelledError):
            await probe
        private_redis.resume()
        assert await cache.get("k") == b"v"  # this call could probe: the cancelled one let go
        await cache.aclose()

    asyncio.run(main())


def test_recovery_with_the_real_clock(private_redis: RedisServer) -> None:
    private_redis.start()
    cache = RedisResultCache(_settings(private_redis.url, retry_after_s=0.3))

    async def main() -> None:
        await cache.start()
        private_redis.stop()
        await _fails_fast(cache.get("k"))
        _fails_at_once(cache.get("k"))  # still in the window
        private_redis.start()
        await asyncio.sleep(0.35)
        assert await cache.get("k") is None
        assert cache.status().ok
        await cache.aclose()

    asyncio.run(main())


def test_a_redis_restart_costs_at_most_one_failure_despite_stale_pooled_connections(
    private_redis: RedisServer,
) -> None:
    """Kill and restart Redis while the pool holds several connections: under concurrent calls each
    stale one failed once (the issue saw 4 more failures after a restart); retried once on a fresh
    connection, none fails."""
    private_redis.start()
    clock = FakeClock()
    cache = RedisResultCache(_settings(private_redis.url, retry_after_s=WINDOW_S), clock=clock)

    async def main() -> int:
        await cache.start()
        await cache.set("k", b"v", 60)
        for _ in range(3):  # concurrent calls: the pool opens several connections
            assert await asyncio.gather(*(cache.get("k") for _ in range(6))) == [b"v"] * 6
        private_redis.stop()
        private_redis.start()
        failures = 0
        try:
            for _ in range(6):  # under load: concurrent calls, each on its own pooled connection
                results = await asyncio.gather(
                    *(cache.set("k", b"w", 60) for _ in range(6)), return_exceptions=True
                )
                failed = [r for r in results if isinstance(r, CacheUnavailable)]
                assert len(failed) + results.count(None) == len(results), results
                failures += len(failed)
                if failed:
                    clock.now += WINDOW_S + 0.1  # past the back-off window: the next call tries Redis
            assert await cache.get("k") == b"w"
        finally:
            await cache.aclose()
        return failures

    assert asyncio.run(main()) <= 1
