"""Domain errors. Every error has a ``kind``; each transport maps kinds to its status codes once."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import ClassVar


class ErrorKind(StrEnum):
    INVALID = "invalid"
    UNPROCESSABLE = "unprocessable"
    """Well-formed request whose values cannot be used (bad feature values): 422 where HTTP has it."""
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"
    OVERLOADED = "overloaded"
    TIMEOUT = "timeout"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    FAILED = "failed"


class FortressError(Exception):
    """Base of every error Fortress raises on purpose. The message is meant for the user."""

    kind: ClassVar[ErrorKind] = ErrorKind.INVALID


class InvalidInput(FortressError):
    kind = ErrorKind.INVALID


class Unprocessable(InvalidInput):
    kind = ErrorKind.UNPROCESSABLE


class NotFound(FortressError):
    kind = ErrorKind.NOT_FOUND


class Unavailable(FortressError):
    kind = ErrorKind.UNAVAILABLE


class Overloaded(FortressError):
    """Too much load now (a full queue, a spent rate limit, a remote server's 429): retry later."""

    kind = ErrorKind.OVERLOADED

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DeadlineExceeded(FortressError):
    kind = ErrorKind.TIMEOUT


def retry_after(exc: FortressError) -> int | None:
    """Whole seconds a client should wait before retrying (at least 1), for overloads only: what every
    transport sends (HTTP ``Retry-After``, gRPC ``retry-after`` metadata)."""
    if not isinstance(exc, Overloaded):
        return None
    return max(1, math.ceil(exc.retry_after_s))


class DatasetError(FortressError):
    """A dataset file is missing, corrupt or not what its loader expects."""

    kind = ErrorKind.INVALID


class UnknownModel(NotFound):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown model {name!r}; known models: {', '.join(sorted(known))}")
        self.name = name


class GateFailed(FortressError):
    """A trained model did not reach its quality gate."""

    kind = ErrorKind.FAILED

    def __init__(self, model: str, metric: str, value: float, threshold: float) -> None:
        super().__init__(
            f"quality gate failed for {model}: {metric} = {value:.4f} < threshold {threshold:.4f}"
        )
        self.model, self.metric, self.value, self.threshold = model, metric, value, threshold


class ParityError(FortressError):
    """The exported ONNX model does not reproduce the trained model."""

    kind = ErrorKind.FAILED


class RegistryError(FortressError):
    kind = ErrorKind.UNAVAILABLE


class Unauthorized(FortressError):
    """No valid credentials (missing, malformed, expired or unknown): 401."""

    kind = ErrorKind.UNAUTHORIZED


class Forbidden(FortressError):
    """Valid credentials without the scope the operation needs: 403."""

    kind = ErrorKind.FORBIDDEN
