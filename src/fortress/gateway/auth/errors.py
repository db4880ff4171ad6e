"""Errors of gateway authentication and rate limiting (``Unauthorized`` / ``Forbidden`` are shared)."""

from __future__ import annotations

from fortress.errors import FortressError, Overloaded


class KeyFileError(FortressError):
    """The API key file cannot be read or is not a Fortress key file."""


class RateLimited(Overloaded):
    """The caller spent its token bucket: 429 with ``Retry-After`` = ``retry_after_s``."""
