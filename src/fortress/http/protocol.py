"""uvicorn's httptools protocol with limits on what a client may send before the app sees a request.

httptools has no limits of its own: it buffers a header field until its end, by repeated ``bytes``
concatenation (a 64 MB header costs seconds), and nothing bounds how long a client may take to send a
request. This subclass counts what the parser hands over (request target, header fields) and the raw
bytes of an unfinished head, keeps one timer per connection while a head or a body is incomplete, and
caps the connections of a worker that have not completed a request (``PendingConnections``).

A request that fits in one read (most do) arms no timer at all: timers start only when a read ends
inside a head or a body.
"""

from __future__ import annotations

import asyncio
import logging
import time
from asyncio import TimerHandle
from dataclasses import dataclass
from typing import Any

import httptools
import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from fortress.http.settings import HttpSettings

logger = logging.getLogger(__name__)
RAW_HEAD_MARGIN = 1024
"""Raw bytes allowed past ``max_header_bytes`` for what the count of fields leaves out (method,
version, line ends, spaces): the raw count only has to stop the parser buffering without bound."""
CAP_WARNING_INTERVAL_S = 60.0


class RequestRefused(Exception):
    """Raised from a parser callback to stop parsing; answered with ``status`` and closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class PendingConnections:
    """A worker's connections that have not completed a request yet, and how many it accepts."""

    limit: int
    count: int = 0
    warned_at: float = float("-inf")

    def refused(self) -> None:
        """Warn at most once a minute while connections are being refused."""
        now = time.monotonic()
        if now - self.warned_at >= CAP_WARNING_INTERVAL_S:
            self.warned_at = now
            logger.warning(
                "closing new connections: %d connections have not completed a request "
                "(FORTRESS_HTTP__MAX_PENDING_CONNECTIONS=%d)",
                self.count,
                self.limit,
            )


class LimitedConfig(uvicorn.Config):
    """A uvicorn ``Config`` serving HTTP with ``LimitedHttpToolsProtocol`` and ``limits``. It is
    pickled into each worker process, so every worker has the limits and its own connection count."""

    def __init__(self, app: Any, *, limits: HttpSettings, **options: Any) -> None:
        super().__init__(app, http=LimitedHttpToolsProtocol, **options)
        self.http_limits = limits
        self.pending = PendingConnections(limits.max_pending_connections)


@dataclass(slots=True)
class ReadState:
    """What a connection has sent of its current request. Kept in one slotted object: uvicorn's
    protocol already has 28 attributes, and past 30 CPython stops sharing instance-dict keys, which
    made every attribute access of the protocol slower (measured: +5 us a request)."""

    limits: HttpSettings
    pending: PendingConnections
    max_head_bytes: int
    max_line_bytes: int
    counted: bool = False
    """Counted in ``pending`` (until its first response completes or it closes)."""
    in_head: bool = True
    """Reading a request line and headers (or waiting for the next request's first byte)."""
    in_body: bool = False
    head_started: bool = False
    raw_head_bytes: int = 0
    head_bytes: int = 0
    timer: TimerHandle | None = None

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def release(self) -> None:
        if self.counted:
            self.counted = False
            self.pending.count -= 1


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if not isinstance(config, LimitedConfig):
            raise TypeError("LimitedHttpToolsProtocol needs a LimitedConfig")
        limits = config.http_limits
        self.read = ReadState(limits, config.pending, limits.max_header_bytes, limits.max_header_line_bytes)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        read = self.read
        if read.pending.count >= read.pending.limit:
            read.pending.refused()
            transport.close()
            return
        read.pending.count += 1
        read.counted = True
        read.timer = self.loop.call_later(read.limits.header_timeout_s, self.head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self.read.release()
        self.read.cancel_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, plus: refusals raised by callbacks, the raw size of an unfinished head, and a
        timer when the read ends inside a head or a body."""
        self._unset_keepalive_if_required()
        read = self.read
        counting = read.in_head and read.head_started  # a head that began in this read: not counted
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, RequestRefused):
                self.refuse(exc.__context__.status, str(exc.__context__))
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        if read.in_head and read.head_started:
            if counting:
                read.raw_head_bytes += len(data)
                if read.raw_head_bytes > read.max_head_bytes + RAW_HEAD_MARGIN:
                    self.refuse(431, too_large("request headers", read.max_head_bytes))
                    return
            if read.timer is None:
                read.timer = self.loop.call_later(read.limits.header_timeout_s, self.head_timed_out)
        elif read.in_body and read.timer is None:
            read.timer = self.loop.call_later(read.limits.body_timeout_s, self.body_timed_out)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.read.head_started = True
        self.read.head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self.url += url
        read = self.read
        read.head_bytes += len(url)
        if len(self.url) > read.max_line_bytes:
            raise RequestRefused(414, too_large("request target", read.max_line_bytes))

    def on_header(self, name: bytes, value: bytes) -> None:
        # uvicorn's, inlined (this runs for every header of every request), plus the sizes
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))
        read = self.read
        size = len(name) + len(value)
        if size > read.max_line_bytes:
            raise RequestRefused(431, too_large("a header field", read.max_line_bytes))
        read.head_bytes += size + 4
        if read.head_bytes > read.max_head_bytes:
            raise RequestRefused(431, too_large("request headers", read.max_head_bytes))

    def on_headers_complete(self) -> None:
        read = self.read
        if len(self.headers) > read.limits.max_header_count:
            raise RequestRefused(431, f"more than {read.limits.max_header_count} header fields")
        read.in_head = read.head_started = False
        read.in_body = True
        read.raw_head_bytes = 0
        read.cancel_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        read = self.read
        read.in_body = False
        read.in_head = True
        read.cancel_timer()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self.read.release()
        super().on_response_complete()

    def handle_websocket_upgrade(self) -> None:
        self.read.release()
        self.read.cancel_timer()
        super().handle_websocket_upgrade()

    def head_timed_out(self) -> None:
        read = self.read
        read.timer = None
        if not read.head_started:
            self.transport.close()  # nothing of a request arrived: nobody to answer
            return
        self.refuse(408, f"request headers not received within {read.limits.header_timeout_s:g} s")

    def body_timed_out(self) -> None:
        read = self.read
        read.timer = None
        if self.flow.read_paused:  # the app has not consumed what arrived: not the client's delay
            read.timer = self.loop.call_later(read.limits.body_timeout_s, self.body_timed_out)
            return
        self.refuse(408, f"request body not received within {read.limits.body_timeout_s:g} s")

    def refuse(self, status: int, message: str) -> None:
        """Answer ``status`` with a JSON error and close, or only close when the connection is in the
        middle of another answer (pipelining, or this request's own). The app, if it runs, sees a
        disconnect and whatever it sends is dropped."""
        cycle = self.cycle  # in a head: the previous request's (if any); in a body: this request's
        done = cycle is None or cycle.response_complete
        answer = done if self.read.in_head else not cycle.response_started
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
            cycle.message_event.set()
        if answer and not self.transport.is_closing():
            self.transport.write(error_response(status, message, self.server_state.default_headers))
        self.transport.close()


def error_response(status: int, message: str, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A complete ``connection: close`` response with a JSON error body, as the apps write them."""
    kind = "timeout" if status == 408 else "invalid"
    body = orjson.dumps({"error": message, "kind": kind})
    content = [STATUS_LINE[status]]
    for name, value in default_headers:
        content.extend([name, b": ", value, b"\r\n"])
    content.extend(
        [
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )
    return b"".join(content)


def too_large(what: str, limit: int) -> str:
    return f"{what} over the limit of {limit} bytes"
