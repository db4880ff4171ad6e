"""Refuse request bodies over the size limit (413), for every route, before or while they arrive."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fortress.server.errors import json_error


class BodyLimit:
    """Pure ASGI middleware: a declared ``Content-Length`` over the limit is answered at once; a body
    that grows past it (chunked uploads) makes the endpoint's read raise a 413 ``HTTPException``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await json_error(413, self._message(declared))(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._message(received))
            return message

        await self.app(scope, limited, send)

    def _message(self, size: int) -> str:
        return over_limit(size, self.max_bytes)


def over_limit(size: int, max_bytes: int) -> str:
    """The 413 message."""
    return f"request body of {size} bytes is over the limit of {max_bytes} bytes"


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
