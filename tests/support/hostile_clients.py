"""Clients that attack an HTTP server's connection handling, on a background asyncio loop: slow
clients that send a request's head one byte a second (reconnecting when cut off), and clients that
send oversized requests over and over. They stop when the context exits."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

SLOW_HEAD = b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 10_000


@dataclass
class Tally:
    slow_cut: int = 0
    """Slow connections the server closed."""
    slow_bytes: int = 0
    oversized_sent: int = 0
    """Oversized requests sent (each refused or cut by the server)."""
    errors: int = 0
    """Connections that could not even be opened."""


class Attack:
    def __init__(self, url: str, interval_s: float) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.interval_s = interval_s
        self.tally = Tally()
        self.stop = asyncio.Event()

    async def connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            return await asyncio.open_connection(self.host, self.port)
        except OSError:
            self.tally.errors += 1
            await asyncio.sleep(self.interval_s)
            return None

    async def slow_client(self) -> None:
        while not self.stop.is_set():
            if (opened := await self.connection()) is None:
                continue
            reader, writer = opened
            try:
                await self.trickle(reader, writer)
            except OSError:
                self.tally.slow_cut += 1
            finally:
                writer.close()

    async def trickle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for byte in SLOW_HEAD:
            writer.write(bytes([byte]))
            await writer.drain()
            self.tally.slow_bytes += 1
            with suppress(TimeoutError):
                if await asyncio.wait_for(reader.read(65536), self.interval_s) == b"":
                    self.tally.slow_cut += 1  # the server closed it (after a 408)
                    return
            if self.stop.is_set():
                return

    async def oversized_client(self, data: bytes) -> None:
        while not self.stop.is_set():
            if (opened := await self.connection()) is None:
                continue
            reader, writer = opened
            try:
                writer.write(data)
                with suppress(OSError):
                    await writer.drain()
                with suppress(OSError, TimeoutError):
                    await asyncio.wait_for(reader.read(), 30)
                self.tally.oversized_sent += 1
            finally:
                writer.close()

    async def run(self, slow: int, oversized: tuple[bytes, ...], started: threading.Event) -> None:
        tasks = [asyncio.create_task(self.slow_client()) for _ in range(slow)]
        tasks += [asyncio.create_task(self.oversized_client(data)) for data in oversized]
        started.set()
        await self.stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextmanager
def hostile_clients(
    url: str, *, slow: int, oversized: tuple[bytes, ...], interval_s: float = 1.0
) -> Iterator[Tally]:
    """``slow`` connections sending one byte per ``interval_s``; one task per ``oversized`` request,
    sending it again as soon as the server has dealt with it."""
    loop = asyncio.new_event_loop()
    attack = Attack(url, interval_s)
    started = threading.Event()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(attack.run(slow, oversized, started),), daemon=True
    )
    thread.start()
    started.wait(10)
    try:
        yield attack.tally
    finally:
        loop.call_soon_threadsafe(attack.stop.set)
        thread.join(30)
        loop.close()
