"""What ``fortress features`` does: apply the repository, ingest raw events, materialize, look up.

Each operation takes the feature settings and ``FORTRESS_HOME`` and reports what it did. Feast's
own console output (materialization banners) goes to the log, not stdout (``repo.feast_quiet``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from fortress.datasets.simulator.events import EventHistory
from fortress.errors import FortressError
from fortress.features.errors import FeatureInputError, NoFeatureData
from fortress.features.intel import ThreatIntel, load_intel
from fortress.features.offline import prepare, view_rows, write_labels, write_view
from fortress.features.pipeline import compute_views
from fortress.features.repo import FeatureRepo, feast_quiet
from fortress.features.settings import FeatureSettings
from fortress.features.views import MAX_TTL, TIMESTAMP, VIEWS

if TYPE_CHECKING:
    import feast

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]


def _silent(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ApplyReport:
    project: str
    entities: tuple[str, ...]
    views: tuple[str, ...]
    online: str
    root: Path


def apply_repository(
    features: FeatureSettings,
    home: Path,
    progress: Progress = _silent,
    *,
    store: feast.FeatureStore | None = None,
) -> ApplyReport:
    """Create the folders and ``feature_store.yaml``, and register every entity and view (idempotent)."""
    from fortress.features.definitions import repository

    repo = FeatureRepo.at(features, home)
    prepare(repo)
    entities, views = repository()
    progress(f"applying {len(entities)} entities and {len(views)} feature views to project {repo.project}")
    fs = store or repo.open()
    with feast_quiet():
        fs.apply([*entities, *views])
    return ApplyReport(
        repo.project,
        tuple(e.name for e in entities),
        tuple(v.name for v in views),
        repo.describe_online(),
        repo.root,
    )


@dataclass(frozen=True, slots=True)
class MaterializeReport:
    start: datetime | None
    """None for incremental runs (each view continues where it stopped)."""
    end: datetime
    views: tuple[str, ...]
    skipped: tuple[str, ...]
    """Views with no offline rows yet."""


def materialize(
    features: FeatureSettings,
    home: Path,
    *,
    incremental: bool = False,
    start: datetime | None = None,
    end: datetime | None = None,
    progress: Progress = _silent,
    store: feast.FeatureStore | None = None,
) -> MaterializeReport:
    """Load the latest offline row of every entity into the online store.

    A full run covers ``[start, end]`` (default: the longest TTL before ``end``, which defaults to
    now); ``incremental`` continues each view from its previous run.
    """
    repo = FeatureRepo.at(features, home)
    end = _utc(end) if end else datetime.now(UTC)
    with_rows = [name for name, spec in VIEWS.items() if view_rows(repo, spec) > 0]
    skipped = tuple(name for name in VIEWS if name not in with_rows)
    if not with_rows:
        raise NoFeatureData(
            f"no offline rows under {repo.root / 'offline'}: run `fortress features ingest` first"
        )
    if not repo.registry_path.is_file():
        raise NoFeatureData(
            f"feature repository not applied at {repo.root}: run `fortress features apply` first"
        )
    fs = store or repo.open()
    begin = None if incremental else (_utc(start) if start else end - MAX_TTL)
    span = (
        f"up to {end:%Y-%m-%d %H:%M:%S}Z"
        if begin is None
        else f"{begin:%Y-%m-%d %H:%M:%S}Z .. {end:%Y-%m-%d %H:%M:%S}Z"
    )
    progress(f"materializing {len(with_rows)} views ({span}) into {repo.describe_online()}")
    with feast_quiet():
        if begin is None:
            fs.materialize_incremental(end_date=end, feature_views=with_rows)
        else:
            fs.materialize(start_date=begin, end_date=end, feature_views=with_rows)
    return MaterializeReport(begin, end, tuple(with_rows), skipped)


@dataclass(frozen=True, slots=True)
class IngestReport:
    rows: dict[str, int]
    """Offline rows written per view."""
    labels: dict[str, int]
    """Label rows written per model."""
    pushed: dict[str, int]
    """Entities written to the online store per view (``push_online``)."""


def ingest(
    features: FeatureSettings,
    home: Path,
    events: EventHistory,
    *,
    push_online: bool = False,
    intel: ThreatIntel | None = None,
    progress: Progress = _silent,
    store: feast.FeatureStore | None = None,
) -> IngestReport:
    """Raw events -> feature rows (offline store) and label rows; optionally the latest rows online."""
    repo = FeatureRepo.at(features, home)
    prepare(repo)
    progress(
        f"computing features from {len(events.activity):,} activity, {len(events.logins):,} login "
        f"and {len(events.sessions):,} network-session events"
    )
    output = compute_views(events, intel or load_intel(features.intel_file))
    for name, frame in output.views.items():
        write_view(repo, VIEWS[name], frame)
    for model, frame in output.labels.items():
        write_labels(repo, model, frame)
    progress("offline rows: " + ", ".join(f"{name} {n:,}" for name, n in output.rows().items()))
    pushed: dict[str, int] = {}
    if push_online:
        fs = store or repo.open()
        if not repo.registry_path.is_file():
            apply_repository(features, home, progress, store=fs)
        for name, frame in output.views.items():
            latest = _latest(frame, VIEWS[name].entity.join_key)
            if not latest.empty:
                with feast_quiet():
                    fs.write_to_online_store(name, latest)
            pushed[name] = len(latest)
        progress("pushed online: " + ", ".join(f"{name} {n:,}" for name, n in pushed.items()))
    return IngestReport(output.rows(), {m: len(f) for m, f in output.labels.items()}, pushed)


def _latest(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return (
        frame.sort_values(TIMESTAMP, kind="stable").drop_duplicates(key, keep="last").reset_index(drop=True)
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_events(path: Path) -> EventHistory:
    """Raw events from a parquet, CSV or JSON-lines file with an ``event_type`` column."""
    if not path.is_file():
        raise FeatureInputError(f"events file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix in (".jsonl", ".json", ".ndjson"):
            frame = pd.read_json(path, lines=True)
        else:
            raise FeatureInputError(
                f"events file {path}: use .parquet, .csv or .jsonl, not {suffix or 'no suffix'!r}"
            )
        return EventHistory.from_frame(frame)
    except FortressError:
        raise
    except Exception as exc:  # pandas/pyarrow raise many kinds for a malformed file
        raise FeatureInputError(f"cannot read events file {path}: {exc}") from exc


def write_events(events: EventHistory, path: Path) -> Path:
    """Write ``events`` as one table (parquet, CSV or JSON lines by suffix)."""
    frame = events.to_frame()
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix in (".jsonl", ".json", ".ndjson"):
        frame.to_json(path, orient="records", lines=True, date_format="iso")
    else:
        raise FeatureInputError(
            f"events file {path}: use .parquet, .csv or .jsonl, not {suffix or 'no suffix'!r}"
        )
    return path
