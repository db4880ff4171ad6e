"""Errors of the model runtime; transports map their kinds to status codes."""

from __future__ import annotations

from fortress.errors import ErrorKind, FortressError, InvalidInput, NotFound


class BadTensor(InvalidInput):
    """An input tensor has the wrong name, dtype, shape or values."""


class ModelNotLoaded(NotFound):
    """No loaded version answers to this model name / version / label."""


class Overloaded(FortressError):
    kind = ErrorKind.OVERLOADED

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DeadlineExceeded(FortressError):
    kind = ErrorKind.TIMEOUT


class ModelFailed(FortressError):
    """The model's execution itself failed (not the caller's input)."""

    kind = ErrorKind.UNAVAILABLE
