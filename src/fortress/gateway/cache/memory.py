"""The embedded result cache: one bounded LRU per process, with a TTL per entry.

No locks: asyncio runs every call on one thread and no method awaits, so each call is atomic.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fortress.gateway.cache.base import CacheStatus


@dataclass(frozen=True, slots=True)
class _Entry:
    value: bytes
    expires_at: float


class MemoryResultCache:
    """At most ``max_entries`` entries and ``max_bytes`` value bytes. Every operation is O(1)
    (amortised). It never raises ``CacheUnavailable``.

    Expired entries are dropped when read, and when room is needed they go before live ones: entries
    are also kept in the order they were set, which is the order they expire in when every entry has
    the same TTL (the gateway's case). With mixed TTLs an expired entry behind a live one waits until
    it is read or until it is the least recently used.
    """

    kind: str = "memory"

    def __init__(self, max_entries: int, max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError(f"max_entries and max_bytes must be positive, not {max_entries}, {max_bytes}")
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self._lru: OrderedDict[str, _Entry] = OrderedDict()
        """Least recently used first."""
        self._by_age: OrderedDict[str, float] = OrderedDict()
        """Key -> expiry time, least recently set first."""
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._lru)

    @property
    def bytes_used(self) -> int:
        return self._bytes

    async def start(self) -> None:
        return None

    async def get(self, key: str) -> bytes | None:
        entry = self._lru.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            self._drop(key)
            return None
        self._lru.move_to_end(key)
        return entry.value

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store ``value``; a value larger than ``max_bytes`` or a TTL that is not positive is not
        stored (and any older value under ``key`` is dropped)."""
        if key in self._lru:
            self._drop(key)
        size = len(value)
        if size > self._max_bytes or not ttl_s > 0:
            return
        expires_at = self._clock() + ttl_s
        self._lru[key] = _Entry(value, expires_at)
        self._by_age[key] = expires_at
        self._bytes += size
        if len(self._lru) > self._max_entries or self._bytes > self._max_bytes:
            self._make_room()

    async def aclose(self) -> None:
        self._lru.clear()
        self._by_age.clear()
        self._bytes = 0

    def status(self) -> CacheStatus:
        return CacheStatus(
            ok=True,
            kind=self.kind,
            detail=f"{len(self._lru)} entries, {self._bytes} of {self._max_bytes} bytes",
            entries=len(self._lru),
        )

    def _make_room(self) -> None:
        now = self._clock()
        while self._by_age:
            key, expires_at = next(iter(self._by_age.items()))
            if expires_at > now:
                break
            self._drop(key)
        while len(self._lru) > self._max_entries or self._bytes > self._max_bytes:
            key, entry = self._lru.popitem(last=False)
            del self._by_age[key]
            self._bytes -= len(entry.value)

    def _drop(self, key: str) -> None:
        entry = self._lru.pop(key)
        del self._by_age[key]
        self._bytes -= len(entry.value)
