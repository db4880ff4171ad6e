"""The embedded result cache: TTL, LRU bounds by count and by bytes, overwrite."""

from __future__ import annotations

import asyncio

import pytest

from fortress.gateway.cache.memory import MemoryResultCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cache(max_entries: int = 100, max_bytes: int = 10_000) -> tuple[MemoryResultCache, FakeClock]:
    clock = FakeClock()
    return MemoryResultCache(max_entries, max_bytes, clock=clock), clock


def test_get_returns_what_set_stored_and_none_when_absent() -> None:
    cache, _ = _cache()

    async def main() -> None:
        await cache.start()
        assert await cache.get("k") is None
        await cache.set("k", b"value", 60)
        assert await cache.get("k") == b"value"
        status = cache.status()
        assert status.ok
        assert (status.kind, status.entries) == ("memory", 1)
        await cache.aclose()
        assert await cache.get("k") is None

    asyncio.run(main())


def test_entries_expire_after_their_ttl() -> None:
    cache, clock = _cache()

    async def main() -> None:
        await cache.set("short", b"1", 5)
        await cache.set("long", b"2", 50)
        clock.now += 4.999
        assert await cache.get("short") == b"1"
        clock.now += 0.001  # exactly at expiry: gone
        assert await cache.get("short") is None
        assert await cache.get("long") == b"2"
        assert len(cache) == 1  # the expired entry was dropped when read
        assert cache.bytes_used == 1
        clock.now += 100
        assert await cache.get("long") is None
        assert len(cache) == 0

    asyncio.run(main())


def test_least_recently_used_entries_go_first_when_full() -> None:
    cache, _ = _cache(max_entries=3)

    async def main() -> None:
        for key in "abc":
            await cache.set(key, key.encode(), 60)
        assert await cache.get("a") == b"a"  # a is now the most recently used
        await cache.set("d", b"d", 60)
        assert len(cache) == 3
        assert await cache.get("b") is None
        assert [await cache.get(key) for key in "acd"] == [b"a", b"c", b"d"]

    asyncio.run(main())


def test_total_value_bytes_are_bounded() -> None:
    cache, _ = _cache(max_bytes=100)

    async def main() -> None:
        await cache.set("a", b"x" * 40, 60)
        await cache.set("b", b"x" * 40, 60)
        assert await cache.get("a") is not None  # b is now the least recently used
        await cache.set("c", b"x" * 30, 60)  # 110 bytes: b goes
        assert cache.bytes_used == 70
        assert await cache.get("b") is None
        await cache.set("d", b"x" * 100, 60)  # as large as the whole cache: everything else goes
        assert (len(cache), cache.bytes_used) == (1, 100)
        assert await cache.get("d") == b"x" * 100

    asyncio.run(main())


def test_a_value_larger_than_max_bytes_is_not_stored() -> None:
    cache, _ = _cache(max_bytes=100)

    async def main() -> None:
        await cache.set("small", b"s", 60)
        await cache.set("big", b"x" * 101, 60)
        assert await cache.get("big") is None
        assert await cache.get("small") == b"s"  # nothing was evicted for it
        await cache.set("small", b"x" * 101, 60)  # replacing a value with a too-large one drops it
        assert await cache.get("small") is None
        assert (len(cache), cache.bytes_used) == (0, 0)

    asyncio.run(main())


def test_overwrite_replaces_value_ttl_and_size() -> None:
    cache, clock = _cache(max_entries=2)

    async def main() -> None:
        await cache.set("k", b"old value", 5)
        await cache.set("other", b"o", 60)
        await cache.set("k", b"new", 60)
        assert (len(cache), cache.bytes_used) == (2, 4)
        clock.now += 10  # past the first TTL, within the second
        assert await cache.get("k") == b"new"
        await cache.set("third", b"t", 60)  # "other" is now the least recently used
        assert await cache.get("other") is None
        assert await cache.get("k") == b"new"

    asyncio.run(main())


def test_expired_entries_are_evicted_before_live_ones() -> None:
    cache, clock = _cache(max_entries=3)

    async def main() -> None:
        await cache.set("a", b"a", 10)
        await cache.set("b", b"b", 10)
        clock.now += 5
        await cache.set("c", b"c", 10)
        assert await cache.get("a") == b"a"  # a is the most recently used, b the least
        clock.now += 6  # a and b have expired, c has not
        await cache.set("d", b"d", 10)
        assert len(cache) == 2  # both expired entries made room, not just one
        assert await cache.get("c") == b"c"  # the live entry stayed, though it was older than a
        assert await cache.get("d") == b"d"

    asyncio.run(main())


@pytest.mark.parametrize("ttl_s", [0.0, -1.0, float("nan")])
def test_a_ttl_that_is_not_positive_stores_nothing(ttl_s: float) -> None:
    cache, _ = _cache()

    async def main() -> None:
        await cache.set("k", b"v", 60)
        await cache.set("k", b"w", ttl_s)
        assert await cache.get("k") is None
        assert len(cache) == 0

    asyncio.run(main())


@pytest.mark.parametrize(("max_entries", "max_bytes"), [(0, 10), (10, 0)])
def test_bounds_must_be_positive(max_entries: int, max_bytes: int) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        MemoryResultCache(max_entries, max_bytes)


def test_stays_within_bounds_under_churn() -> None:
    cache, clock = _cache(max_entries=50, max_bytes=2_000)

    async def main() -> None:
        for i in range(2_000):
            await cache.set(f"k{i % 300}", b"x" * (i % 97), ttl_s=1 + i % 7)
            if i % 3 == 0:
                await cache.get(f"k{(i * 7) % 300}")
            clock.now += 0.01
            assert len(cache) <= 50
            assert cache.bytes_used <= 2_000
        kept = [await cache.get(f"k{i}") for i in range(300)]
        assert cache.bytes_used == sum(len(v) for v in kept if v is not None)

    asyncio.run(main())
