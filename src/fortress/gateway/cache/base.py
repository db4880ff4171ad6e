"""What the gateway needs from a result cache, whatever keeps the entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CacheStatus:
    ok: bool
    kind: str
    detail: str = ""
    entries: int | None = None
    """Entries held, where the backend knows it cheaply (memory); ``None`` otherwise."""


class ResultCache(Protocol):
    """Whole inference responses (bytes) by key (see ``keys.result_key``)."""

    kind: str
    """``memory`` or ``redis``."""

    async def start(self) -> None:
        """Connect where there is something to connect to. Never raises because the backend is
        down: ``status()`` says so, and calls raise ``CacheUnavailable`` until it is back."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The cached value, or ``None`` when absent or expired.

        Raises ``CacheUnavailable`` when the backend fails or is in its back-off window."""
        ...

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store ``value`` for ``ttl_s`` seconds. Raises ``CacheUnavailable`` like ``get``."""
        ...

    async def aclose(self) -> None: ...

    def status(self) -> CacheStatus: ...
