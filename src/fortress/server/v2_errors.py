"""Open Inference Protocol v2 errors: the gRPC status table and the protocol's own error.

Over HTTP, v2 shares ``server.errors.HTTP_STATUS`` with TF Serving REST: the spec asks for an error
status ("typically 400") and a ``{"error": "..."}`` body; we use the status that says what went wrong,
as KServe's reference server does (404 for an unknown model). gRPC codes are kept by name so the REST
side never imports grpc.
"""

from __future__ import annotations

from fortress.errors import ErrorKind, InvalidInput


class BadV2Request(InvalidInput):
    """The request does not follow the v2 protocol (malformed JSON, sizes, datatypes, parameters)."""


GRPC_CODE: dict[ErrorKind, str] = {
    ErrorKind.INVALID: "INVALID_ARGUMENT",
    ErrorKind.UNPROCESSABLE: "INVALID_ARGUMENT",
    ErrorKind.NOT_FOUND: "NOT_FOUND",
    ErrorKind.OVERLOADED: "RESOURCE_EXHAUSTED",
    ErrorKind.TIMEOUT: "DEADLINE_EXCEEDED",
    ErrorKind.UNAVAILABLE: "UNAVAILABLE",
    ErrorKind.UNAUTHORIZED: "UNAUTHENTICATED",
    ErrorKind.FORBIDDEN: "PERMISSION_DENIED",
    ErrorKind.FAILED: "INTERNAL",
}
"""Name of the ``grpc.StatusCode`` for each kind (HTTP statuses: ``server.errors.HTTP_STATUS``)."""
