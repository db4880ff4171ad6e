"""The two inference endpoints as one pure ASGI layer in front of the FastAPI app.

``POST /api/v1/inference`` and ``POST /api/v1/inference/batch`` carry nearly all of the gateway's
traffic. Through FastAPI each request passes a dozen middleware and routing layers and builds request
and response objects (about half a millisecond in-process for the twelve-model investigation); this
layer reads the body itself, calls the same endpoint code and writes the answer in two ASGI messages.
It keeps the contract of the stack it bypasses: the body limit (413 before or while the body arrives),
JSON only (415), the one error table (``http_errors``) and the request metrics. Every other path and
method, and the OpenAPI schema (which still documents these routes), stay FastAPI's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from fortress.errors import FortressError
from fortress.gateway.http_errors import (
    check_json,
    error_response,
    http_error_response,
    internal_error_response,
)
from fortress.monitoring.gateway_metrics import GatewayMetrics
from fortress.server.limits import over_limit

logger = logging.getLogger(__name__)

Handler = Callable[[Headers, bytes], Awaitable[bytes]]
"""Request headers and body -> the JSON answer (domain errors are raised)."""
_JSON_HEADERS = [(b"content-type", b"application/json")]


class InferenceFastPath:
    def __init__(
        self, app: ASGIApp, routes: Mapping[str, Handler], metrics: GatewayMetrics, max_body_bytes: int
    ) -> None:
        self.app = app
        self.routes = dict(routes)
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if handler is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        try:
            answer = await handler(headers, await self._body(headers, receive))
        except Exception as exc:
            response = _error(exc)
            await response(scope, receive, send)
            status = response.status_code
        else:
            start = {"type": "http.response.start", "status": 200, "headers": _with_length(answer)}
            await send(start)
            await send({"type": "http.response.body", "body": answer})
            status = 200
        path = scope["path"]
        self.metrics.requests.labels(path, str(status)).inc()
        self.metrics.request_seconds.labels(path).observe(time.perf_counter() - started)

    async def _body(self, headers: Headers, receive: Receive) -> bytes:
        check_json(headers.get("content-type"))
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise HTTPException(413, self._too_large(int(declared)))
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise HTTPException(400, "client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise HTTPException(413, self._too_large(size))
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _too_large(self, size: int) -> str:
        return over_limit(size, self.max_body_bytes)


def _with_length(body: bytes) -> list[tuple[bytes, bytes]]:
    return [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]


def _error(exc: Exception) -> Response:
    if isinstance(exc, FortressError):
        return error_response(exc)
    if isinstance(exc, HTTPException):
        return http_error_response(exc)
    logger.exception("inference request failed")
    return internal_error_response()
