"""How the gateway's HTTP API reports errors: one status table, one body format.

The table is the model server's (``server.errors.HTTP_STATUS``) with one difference: well-formed
requests whose values cannot be used are 422 here (TF Serving has no 422, so the server says 400).
Bodies are ``{"error": "<message>", "kind": "<error kind>"}``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from types import MappingProxyType

import orjson
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from fortress.errors import ErrorKind, FortressError, Unprocessable
from fortress.runtime.errors import Overloaded
from fortress.server.errors import HTTP_STATUS as SERVER_HTTP_STATUS

logger = logging.getLogger(__name__)
HTTP_STATUS: Mapping[ErrorKind, int] = MappingProxyType({**SERVER_HTTP_STATUS, ErrorKind.UNPROCESSABLE: 422})
JSON = "application/json"
_KIND_OF_STATUS = {400: "invalid", 404: "not_found", 405: "invalid", 413: "invalid", 415: "invalid"}


def error_body(message: str, kind: str) -> bytes:
    return orjson.dumps({"error": message, "kind": kind})


def error_response(exc: FortressError) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, Overloaded):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
    return Response(error_body(str(exc), exc.kind.value), HTTP_STATUS[exc.kind], headers, media_type=JSON)


def validation_error(exc: ValidationError) -> FortressError:
    """A schema violation in a parsed request body: 422 naming the fields."""
    errors = exc.errors(include_url=False, include_input=False)
    shown = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return Unprocessable(f"invalid request: {shown}{more}")


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def check_json(content_type: str | None) -> None:
    """Bodies are UTF-8 JSON: no Content-Type, another media type or another charset is a 415."""
    if content_type is None:
        raise HTTPException(415, f"send JSON with 'Content-Type: {JSON}'; the request has no Content-Type")
    media, _, parameters = content_type.partition(";")
    if media.strip().lower() != JSON:
        raise HTTPException(415, f"send JSON (Content-Type: {JSON}), not {content_type[:100]!r}")
    if parameters:
        _check_charset(parameters)


def _check_charset(parameters: str) -> None:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "charset":
            continue
        charset = value.strip().strip('"').lower()
        if charset not in ("utf-8", "utf8"):
            raise HTTPException(415, f"send JSON in UTF-8; charset {charset[:40]!r} is not accepted")


def http_error_response(exc: HTTPException) -> Response:
    """Starlette's own errors (unknown route 404, wrong method 405, body too large 413) in our format."""
    kind = _KIND_OF_STATUS.get(exc.status_code, "invalid")
    return Response(error_body(str(exc.detail), kind), exc.status_code, exc.headers, media_type=JSON)


def internal_error_response() -> Response:
    """A bug, never the client's input: a 500 without internals (the server logs the traceback)."""
    return Response(error_body("internal server error", "failed"), 500, media_type=JSON)


def any_error_response(exc: Exception) -> Response:
    """Any failure of a request, through the table: domain errors, Starlette's, else a logged 500."""
    if isinstance(exc, FortressError):
        return error_response(exc)
    if isinstance(exc, HTTPException):
        return http_error_response(exc)
    logger.error("request failed", exc_info=exc)
    return internal_error_response()


async def fortress_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FortressError)
    return error_response(exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return http_error_response(exc)


async def internal_error(request: Request, exc: Exception) -> Response:
    return internal_error_response()
