"""Errors of backups and restores."""

from __future__ import annotations

from fortress.errors import ErrorKind, FortressError, InvalidInput


class BackupInvalid(InvalidInput):
    """A backup that cannot be used as given (missing, not a backup, bad key, refused restore)."""


class BackupCorrupt(FortressError):
    """A backup whose files do not match its manifest (tampered, truncated, missing)."""

    kind = ErrorKind.FAILED


class OpsFailed(FortressError):
    """A backup or restore step that failed (a tool missing or failing, a store unreachable)."""

    kind = ErrorKind.UNAVAILABLE
