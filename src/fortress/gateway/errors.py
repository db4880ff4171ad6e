"""Errors the gateway raises on purpose; the HTTP layer maps their kinds through one table."""

from __future__ import annotations

from fortress.errors import InvalidInput, Unprocessable


class BadRequest(InvalidInput):
    """The request cannot be understood (malformed JSON, unknown model, too large a batch): 400."""


class InvalidFeatures(Unprocessable):
    """Well-formed, but feature groups or values cannot be used: 422 naming group, field and reason."""
