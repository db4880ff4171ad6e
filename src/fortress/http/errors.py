"""One error responder per HTTP transport, built from that transport's status table and body format.

Every failure of a request becomes a response here: a domain error (``FortressError``) gets the status
its kind has in the table (and ``Retry-After`` when it is an overload); an ``HTTPException`` (the
framework's own 404/405, the body limit's 413, the content-type check's 415) keeps its status, with
the kind the table gives that status (else ``invalid``); anything else is a bug: logged, and a 500
without internals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from types import MappingProxyType
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from fortress.errors import ErrorKind, FortressError, retry_after

logger = logging.getLogger(__name__)
JSON = "application/json"
Body = Callable[[str, ErrorKind], bytes]
"""(message, kind) -> the transport's error body."""


class HttpErrors:
    def __init__(self, status: Mapping[ErrorKind, int], body: Body) -> None:
        missing = set(ErrorKind) - set(status)
        if missing:
            raise ValueError(f"the status table lacks {sorted(missing)}")
        self.status: Mapping[ErrorKind, int] = MappingProxyType(dict(status))
        self.body = body
        self._kind_of_status: dict[int, ErrorKind] = {}
        for kind, code in status.items():
            self._kind_of_status.setdefault(code, kind)

    def kind_of(self, status: int) -> ErrorKind:
        return self._kind_of_status.get(status, ErrorKind.INVALID)

    def of_error(self, exc: FortressError) -> Response:
        seconds = retry_after(exc)
        headers = {"Retry-After": str(seconds)} if seconds is not None else None
        return self.make(self.status[exc.kind], str(exc), exc.kind, headers)

    def make(
        self,
        status: int,
        message: str,
        kind: ErrorKind | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        body = self.body(message, kind or self.kind_of(status))
        return Response(body, status, headers=dict(headers or {}), media_type=JSON)

    def response(self, exc: Exception) -> Response:
        """Any failure of a request, through the table."""
        if isinstance(exc, FortressError):
            return self.of_error(exc)
        if isinstance(exc, HTTPException):
            return self.make(exc.status_code, str(exc.detail), None, exc.headers)
        logger.error("request failed", exc_info=exc)
        return self.make(500, "internal server error", ErrorKind.FAILED)

    async def handler(self, request: Request, exc: Exception) -> Response:
        return self.response(exc)

    def handlers(self) -> dict[Any, Callable[[Request, Any], Coroutine[Any, Any, Response]]]:
        """A Starlette app's ``exception_handlers``: domain and HTTP errors (Starlette's exception
        layer), anything else (its server-error layer, which logs and re-raises for the server)."""
        return {FortressError: self.handler, HTTPException: self.handler, Exception: self.handler}
