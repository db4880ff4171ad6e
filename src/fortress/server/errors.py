"""How the model server's REST endpoints report errors: one status table, one body format.

The table is TF Serving's own mapping of its status codes to HTTP (``http_server.cc``), keyed by our
error kinds: INVALID_ARGUMENT 400, NOT_FOUND 404, RESOURCE_EXHAUSTED 429, DEADLINE_EXCEEDED 504,
UNAVAILABLE 503, UNAUTHENTICATED 401, PERMISSION_DENIED 403, INTERNAL 500. Bodies are TF Serving's
``{"error": "<message>"}``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from types import MappingProxyType

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from fortress.errors import ErrorKind, FortressError
from fortress.runtime.errors import Overloaded

logger = logging.getLogger(__name__)
HTTP_STATUS: Mapping[ErrorKind, int] = MappingProxyType(
    {
        ErrorKind.INVALID: 400,
        ErrorKind.UNPROCESSABLE: 400,
        ErrorKind.UNAUTHORIZED: 401,
        ErrorKind.FORBIDDEN: 403,
        ErrorKind.NOT_FOUND: 404,
        ErrorKind.OVERLOADED: 429,
        ErrorKind.FAILED: 500,
        ErrorKind.UNAVAILABLE: 503,
        ErrorKind.TIMEOUT: 504,
    }
)

JSON = "application/json"


def error_body(message: str) -> bytes:
    return orjson.dumps({"error": message})


def json_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(error_body(message), status, headers=dict(headers or {}), media_type=JSON)


def error_response(exc: FortressError) -> Response:
    """The response for a domain error: status from the table, Retry-After when overloaded."""
    headers: dict[str, str] = {}
    if isinstance(exc, Overloaded):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
    return json_error(HTTP_STATUS[exc.kind], str(exc), headers)


def any_error_response(exc: Exception) -> Response:
    """Any failure of a request, through the table: domain errors, Starlette's, else a logged 500."""
    if isinstance(exc, FortressError):
        return error_response(exc)
    if isinstance(exc, HTTPException):
        return json_error(exc.status_code, exc.detail, exc.headers)
    logger.error("request failed", exc_info=exc)
    return json_error(500, "internal server error")


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown route 404, wrong method 405, body too large 413) as JSON."""
    assert isinstance(exc, HTTPException)
    return json_error(exc.status_code, exc.detail, exc.headers)


async def internal_error(request: Request, exc: Exception) -> Response:
    """A bug, never the client's input: a 500 without internals (Starlette re-raises, the server logs)."""
    return json_error(500, "internal server error")
