"""How the gateway's HTTP API reports errors: one status table, one body format.

Bodies are ``{"error": "<message>", "kind": "<error kind>"}``. The table differs from the model
server's TF Serving table (``server/errors.py``) in one place: well-formed requests whose values cannot
be used are 422 here (TF Serving has no 422). The OpenAPI error responses are generated from it
(``ERROR_RESPONSES``).
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from fortress.errors import ErrorKind, FortressError, Unprocessable
from fortress.gateway.schema import ErrorBody
from fortress.http.errors import JSON, HttpErrors

__all__ = ["ERRORS", "ERROR_RESPONSES", "HTTP_STATUS", "JSON", "check_json", "validation_error"]

HTTP_STATUS = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNPROCESSABLE: 422,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.OVERLOADED: 429,
    ErrorKind.FAILED: 500,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.TIMEOUT: 504,
}
_WHEN = {
    ErrorKind.INVALID: "Malformed JSON, unknown model, too many investigations",
    ErrorKind.UNPROCESSABLE: "Invalid feature groups or values (names group, field and reason)",
    ErrorKind.UNAUTHORIZED: "Missing or invalid credentials",
    ErrorKind.FORBIDDEN: "Credentials lack the scope",
    ErrorKind.NOT_FOUND: "No such route",
    ErrorKind.OVERLOADED: "Rate limited or overloaded (see Retry-After)",
    ErrorKind.FAILED: "A bug (the server logs it); no internals in the body",
    ErrorKind.UNAVAILABLE: "Nothing can answer now",
    ErrorKind.TIMEOUT: "No answer in time",
}
_TRANSPORT = {413: "Body too large", 415: "Not JSON (Content-Type: application/json)"}
"""Statuses the HTTP layer itself answers (the body limit, the content-type check), kind ``invalid``."""


def _body(message: str, kind: ErrorKind) -> bytes:
    return orjson.dumps({"error": message, "kind": kind.value})


ERRORS = HttpErrors(HTTP_STATUS, _body)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these statuses, from the table."""
    described = {HTTP_STATUS[kind]: text for kind, text in _WHEN.items()} | _TRANSPORT
    return {code: {"model": ErrorBody, "description": described[code]} for code in statuses}


ERROR_RESPONSES = error_responses(400, 401, 403, 413, 415, 422, 429)
"""What an inference request can be answered with besides 200."""


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
