"""Errors of the backends: a remote server down, a model or route it does not serve, an open circuit."""

from __future__ import annotations

from fortress.errors import Unavailable


class BackendDown(Unavailable):
    """The server could not be reached, did not answer in time, or failed (5xx): a breaker failure."""


class NotServed(Unavailable):
    """The server does not serve this model, version or label (404): re-poll; not a breaker failure."""


class CircuitOpen(Unavailable):
    """The circuit is open: the call was refused without trying the server."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
