"""Errors of the result caches."""

from __future__ import annotations

from fortress.errors import Unavailable


class CacheUnavailable(Unavailable):
    """The cache cannot answer now (backend down, slow, or in its back-off window).

    The gateway answers uncached; it never fails a request because of this."""
