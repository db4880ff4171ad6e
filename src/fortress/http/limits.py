"""Request bodies over the size limit are refused (413) before or while they arrive, on every route.

``read_body`` is how the fast path reads a hot route's body; ``BodyLimit`` is the same rule as pure
ASGI middleware for every other route, answering through the transport's error responder.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fortress.http.errors import HttpErrors


def over_limit(size: int, max_bytes: int) -> str:
    """The 413 message."""
    return f"request body of {size} bytes is over the limit of {max_bytes} bytes"


def declared_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_body(scope: Scope, receive: Receive, max_bytes: int) -> bytes:
    """The whole body: a 413 ``HTTPException`` when its declared or received size passes ``max_bytes``,
    a 400 when the client leaves before sending it all."""
    declared = declared_length(scope)
    if declared is not None and declared > max_bytes:
        raise HTTPException(413, over_limit(declared, max_bytes))
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise HTTPException(400, "client disconnected before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise HTTPException(413, over_limit(size, max_bytes))
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class BodyLimit:
    """Pure ASGI middleware: a declared ``Content-Length`` over the limit is answered at once; a body
    that grows past it (chunked uploads) makes the endpoint's read raise a 413 ``HTTPException``."""

    def __init__(self, app: ASGIApp, max_bytes: int, errors: HttpErrors) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self.errors.make(413, over_limit(declared, self.max_bytes))(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, over_limit(received, self.max_bytes))
            return message

        await self.app(scope, limited, send)
