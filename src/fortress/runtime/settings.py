"""Settings of the model runtime (part of the one settings tree)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, PositiveFloat, PositiveInt

from fortress.aliases import CANARY, CHAMPION
from fortress.runtime.batching_settings import BatchingSettings


class VersionPolicy(StrEnum):
    ALIASES = "aliases"
    """Serve the versions the listed aliases point at (default: champion and canary)."""
    LATEST = "latest"
    """Serve the newest ``latest`` versions."""
    SPECIFIC = "specific"
    """Serve exactly the versions listed per model in ``versions``."""


class RuntimeSettings(BaseModel):
    models: list[str] | None = None
    """Serve only these models (default: every registered model)."""
    policy: VersionPolicy = VersionPolicy.ALIASES
    aliases: list[str] = Field(default_factory=lambda: [CHAMPION, CANARY])
    latest: PositiveInt = 1
    versions: dict[str, list[int]] = Field(default_factory=dict)
    poll_interval_s: PositiveFloat = 30.0
    """How often the registry is asked for new versions (a full poll)."""
    watch_interval_s: PositiveFloat = 0.5
    """Between polls, how often the registry's change token is read (one small query on a SQL
    store): an alias move or a new version is acted on within about this long (plus loading a
    version not loaded yet)."""
    max_backoff_s: PositiveFloat = 300.0
    """Longest wait between retries while the registry is unreachable."""
    request_timeout_s: PositiveFloat = 5.0
    intra_op_threads: PositiveInt = 1
    compute_threads: PositiveInt = 2
    """Threads that run batches (shared by every loaded version)."""
    batching: BatchingSettings = Field(default_factory=BatchingSettings)
    grouped_jobs: PositiveInt = 2
    """The gateway's grouped dispatch (``runtime/group.py``): jobs computing at once (more jobs: less
    batching, more cores)."""
