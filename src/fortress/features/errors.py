"""Errors of the feature store and the feature pipeline."""

from __future__ import annotations

from fortress.errors import ErrorKind, FortressError, InvalidInput, Unavailable


class FeatureInputError(InvalidInput):
    """Raw events or an entity given to the feature store are not usable (the message says why)."""


class FeatureStoreUnavailable(Unavailable):
    """The online or offline store could not be read or written."""


class NoFeatureData(FortressError):
    """There is nothing to work on yet (no offline rows, no labels): ingest events first."""

    kind = ErrorKind.NOT_FOUND


class DataQualityFailed(FortressError):
    """A view's training rows failed a data-quality gate; training must not start."""

    kind = ErrorKind.FAILED

    def __init__(self, view: str, check: str, value: float, limit: float, detail: str) -> None:
        super().__init__(f"data quality gate failed for view {view!r}: {check}: {detail}")
        self.view, self.check, self.value, self.limit = view, check, value, limit
