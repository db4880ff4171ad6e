"""Errors of the model runtime; transports map their kinds to status codes (``Overloaded`` and
``DeadlineExceeded`` are shared by every layer: ``fortress.errors``)."""

from __future__ import annotations

from fortress.errors import ErrorKind, FortressError, InvalidInput, NotFound


class BadTensor(InvalidInput):
    """An input tensor has the wrong name, dtype, shape or values."""


class ModelNotLoaded(NotFound):
    """No loaded version answers to this model name / version / label."""


class ModelFailed(FortressError):
    """The model's execution itself failed (not the caller's input)."""

    kind = ErrorKind.UNAVAILABLE
