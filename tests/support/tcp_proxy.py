"""A Kafka-aware TCP proxy that a test can cut and restore, to make a broker vanish and come back.

librdkafka's mock cluster cannot be stopped and restarted on the same port (it lives and dies with
its owner client), so tests put this proxy between the client under test and the mock broker:

    client --> 127.0.0.1:<proxy port> --> mock broker (127.0.0.1:<real port>)

Kafka clients only use the bootstrap address for the first Metadata request and then connect to the
address each broker *advertises*, which would bypass the proxy. The proxy therefore frames the
responses (4-byte big-endian size + payload) and rewrites the advertised ``host + port`` of the
upstream broker into the proxy's own port (a same-length byte substitution, so frames keep their
size). Every later connection comes through the proxy too.

``cut()`` closes every connection and the listening socket (new connections are refused);
``restore()`` listens again on the same port. By default the cut is *graceful*, like a broker's
controlled shutdown: requests not yet forwarded are dropped, requests already forwarded get their
responses back before the sockets close. ``cut(graceful=False)`` closes at once, so a request the
broker has already handled can lose its response (the case a producer cannot tell from a failure).

The proxy runs its own asyncio loop in one thread; ``close()`` (or leaving the ``with`` block) stops
it and joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
from collections.abc import Coroutine
from typing import Any, Self

FRAME_SIZE = struct.Struct(">i")


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream = upstream
        self.pending = 0  # requests forwarded upstream whose response has not come back
        self.accepting = True  # False while a graceful cut drains this link
        self.drained = asyncio.Event()

    def close(self) -> None:
        for writer in (self.client, self.upstream):
            writer.close()


class KafkaTcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = host
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kafka-tcp-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0  # accepted client connections, for assertions

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # ---- control, called from the test's thread ----
    def start(self) -> Self:
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self, *, graceful: bool = True, grace_s: float = 2.0) -> None:
        """Close every connection and stop listening (new connections are refused)."""
        self._call(self._cut(graceful, grace_s))

    def restore(self) -> None:
        """Listen again on the same port."""
        self._call(self._listen())

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._cut(False, 0.0))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    # ---- inside the proxy's loop ----
    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self, graceful: bool, grace_s: float) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        links = list(self._links)
        if graceful:
            for link in links:
                link.accepting = False
                if link.pending == 0:
                    link.drained.set()
            waits = [link.drained.wait() for link in links]
            if waits:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.gather(*waits), grace_s)
        for link in links:
            link.close()
        self._links.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        except OSError:
            writer.close()
            return
        link = _Link(writer, up_writer)
        self._links.add(link)
        for coro in (self._requests(link, reader), self._responses(link, up_reader)):
            task = asyncio.create_task(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _requests(self, link: _Link, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                frame = await _read_frame(reader)
                if not link.accepting:
                    continue  # a graceful cut is draining: the request never reaches the broker
                link.pending += 1
                link.upstream.write(frame)
                await link.upstream.drain()
        link.close()

    async def _responses(self, link: _Link, reader: asyncio.StreamReader) -> None:
        old = self.upstream_host.encode() + FRAME_SIZE.pack(self.upstream_port)
        new = self.upstream_host.encode() + FRAME_SIZE.pack(self.port)
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                frame = (await _read_frame(reader)).replace(old, new)
                link.client.write(frame)
                await link.client.drain()
                link.pending -= 1
                if not link.accepting and link.pending <= 0:
                    link.drained.set()
        link.close()


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readexactly(FRAME_SIZE.size)
    (size,) = FRAME_SIZE.unpack(head)
    return head + await reader.readexactly(size)
