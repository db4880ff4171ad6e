"""How the model server's REST endpoints report errors: one status table, one body format.

The table is TF Serving's own mapping of its status codes to HTTP (``http_server.cc``), keyed by our
error kinds: INVALID_ARGUMENT 400, NOT_FOUND 404, RESOURCE_EXHAUSTED 429, DEADLINE_EXCEEDED 504,
UNAVAILABLE 503, UNAUTHENTICATED 401, PERMISSION_DENIED 403, INTERNAL 500. Bodies are TF Serving's
``{"error": "<message>"}``.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from fortress.errors import ErrorKind, FortressError
from fortress.http.errors import JSON, HttpErrors

__all__ = ["ERRORS", "HTTP_STATUS", "JSON", "error_response"]

HTTP_STATUS = {
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


def _body(message: str, kind: ErrorKind) -> bytes:
    return orjson.dumps({"error": message})


ERRORS = HttpErrors(HTTP_STATUS, _body)
"""The model server's REST error responder (TF Serving and v2 REST)."""


def error_response(exc: FortressError) -> Response:
    """The response for a domain error: status from the table, Retry-After when overloaded."""
    return ERRORS.of_error(exc)
