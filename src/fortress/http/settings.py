"""Limits of the HTTP server layer (``Settings.http``; env ``FORTRESS_HTTP__...``), shared by
``fortress up`` (the gateway) and ``fortress serve`` (the model server); applied per worker process."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, PositiveFloat, PositiveInt


class HttpSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_header_bytes: PositiveInt = 16 * 1024
    """Request line plus header fields (names, values and 4 bytes of framing per field); larger: 431."""
    max_header_line_bytes: PositiveInt = 8 * 1024
    """One header field (name and value; larger: 431) or the request target (larger: 414)."""
    max_header_count: PositiveInt = 100
    """Header fields in one request; more: 431."""
    header_timeout_s: PositiveFloat = 10.0
    """From the connection (or a request's first byte, on a kept-alive connection) to the end of the
    request's headers; past it: 408 and the connection closed (closed silently if nothing arrived)."""
    body_timeout_s: PositiveFloat = 30.0
    """From the end of the headers to the end of the body; past it: 408 (or, once the app has started
    answering, a closed connection). Time the server itself stops reading, because the app has not yet
    consumed what arrived, is not held against the client: the timer starts again."""
    max_pending_connections: PositiveInt = 1000
    """Connections per worker process that have not completed a request yet (still sending their first
    request, or waiting for its answer); past it, new connections are closed as soon as accepted."""
