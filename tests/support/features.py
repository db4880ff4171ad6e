"""Feature-store test helpers: a simulated history applied, ingested and materialized into a repo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fortress.datasets.simulator.events import EventHistory, simulate_events
from fortress.features.settings import FeatureSettings, QualityLimits

END = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
"""The simulated history ends here; store reads are made "as of" END through the adapter's clock."""


@dataclass(frozen=True)
class Filled:
    home: Path
    settings: FeatureSettings
    events: EventHistory
    rows: dict[str, int]
    labels: dict[str, int]


def relaxed(settings: FeatureSettings) -> FeatureSettings:
    """``settings`` without data-quality gates (for tests on a handful of rows)."""
    return settings.model_copy(
        update={"quality": {}, "default_quality": QualityLimits(min_rows=0, max_null_ratio=1.0)}
    )


def fill(home: Path, settings: FeatureSettings, *, users: int = 40, days: int = 10, seed: int = 5) -> Filled:
    """Apply the repository, ingest a simulated history ending at END and materialize it."""
    from fortress.features.operations import apply_repository, ingest, materialize

    events = simulate_events(users, days, seed=seed, end=END)
    apply_repository(settings, home)
    report = ingest(settings, home, events)
    materialize(settings, home, start=END - timedelta(days=30), end=END)
    return Filled(home, settings, events, report.rows, report.labels)
