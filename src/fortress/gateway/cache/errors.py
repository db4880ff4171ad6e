"""Errors of the result caches."""

from __future__ import annotations

from fortress.errors import Unavailable


class CacheUnavailable(Unavailable):
    """The cache cannot answer now (backend down, slow, or in its back-off window).

    The gateway answers uncached; it never fails a request because of this."""


class CacheCorrupt(CacheUnavailable):
    """A cached value is not an entry this codec wrote (truncated, from another writer, or from an
    older format). The gateway treats it like an unavailable cache: it counts a cache error and
    answers uncached, which also overwrites the entry."""
