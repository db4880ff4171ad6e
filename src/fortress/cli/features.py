"""``fortress features``: the feature store (apply, ingest raw events, materialize, look up).

Feast is imported inside the commands (it takes seconds), never at import time.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from fortress.cli.common import load_settings, progress
from fortress.errors import InvalidInput
from fortress.features.settings import FeatureSettings
from fortress.features.views import ENTITIES, GROUPS
from fortress.settings import Settings

app = typer.Typer(
    help="Feature store: apply the repository, ingest events, materialize, look up.", no_args_is_help=True
)

_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"]


def _context() -> tuple[FeatureSettings, Path]:
    settings = load_settings()
    return feature_settings(settings), settings.home


def feature_settings(settings: Settings) -> FeatureSettings:
    return settings.features


def parse_entities(pairs: list[str]) -> dict[str, str]:
    """``["user_id=u1", ...]`` -> ``{"user_id": "u1"}``; keys must be the store's join keys."""
    keys = [e.join_key for e in ENTITIES]
    entities: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInput(f"--entity must look like KEY=VALUE (e.g. user_id=u0001), got {pair!r}")
        if key.strip() not in keys:
            raise InvalidInput(f"unknown entity key {key.strip()!r}; known: {', '.join(keys)}")
        entities[key.strip()] = value.strip()
    return entities


@app.command("apply")
def apply_command() -> None:
    """Render feature_store.yaml from settings and register the entities and feature views."""
    from fortress.features.operations import apply_repository

    features, home = _context()
    report = apply_repository(features, home, progress)
    typer.echo(f"applied project {report.project} at {report.root}")
    typer.echo(f"  entities: {', '.join(report.entities)}")
    typer.echo(f"  feature views: {', '.join(report.views)}")
    typer.echo(f"  online store: {report.online}")


@app.command("ingest")
def ingest_command(
    file: Annotated[
        Path, typer.Argument(help="Raw events (.parquet, .csv or .jsonl) with an event_type column.")
    ],
    push_online: Annotated[
        bool, typer.Option("--push-online", help="Also write each entity's latest rows to the online store.")
    ] = False,
) -> None:
    """Compute features from raw events into the offline store (and label rows for training)."""
    from fortress.features.operations import ingest, read_events

    features, home = _context()
    events = read_events(file.expanduser().resolve())
    report = ingest(features, home, events, push_online=push_online, progress=progress)
    typer.echo(f"{'view':<18} {'offline rows':>12} {'pushed online':>14}")
    for view, rows in report.rows.items():
        pushed = str(report.pushed[view]) if view in report.pushed else "-"
        typer.echo(f"{view:<18} {rows:>12,} {pushed:>14}")
    for model, rows in report.labels.items():
        typer.echo(f"labels {model}: {rows:,} rows")


@app.command("materialize")
def materialize_command(
    incremental: Annotated[
        bool, typer.Option("--incremental", help="Continue each view from where its last run stopped.")
    ] = False,
    start: Annotated[
        datetime | None,
        typer.Option("--start", formats=_DATE_FORMATS, help="Window start, UTC (default: end - 30 days)."),
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--end", formats=_DATE_FORMATS, help="Window end, UTC (default: now).")
    ] = None,
) -> None:
    """Load the latest offline values of every entity into the online store."""
    from fortress.features.operations import materialize

    if incremental and start is not None:
        raise InvalidInput("--start cannot be combined with --incremental")
    features, home = _context()
    report = materialize(features, home, incremental=incremental, start=start, end=end, progress=progress)
    typer.echo(f"materialized {', '.join(report.views)} up to {report.end:%Y-%m-%d %H:%M:%S}Z")
    if report.skipped:
        typer.echo(f"skipped (no offline rows): {', '.join(report.skipped)}")


@app.command("get")
def get_command(
    entity: Annotated[
        list[str], typer.Option("--entity", help="KEY=VALUE, e.g. user_id=u0001 (repeatable).")
    ],
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group", help=f"Feature group (repeatable; default: all of the entities'): {', '.join(GROUPS)}."
        ),
    ] = None,
) -> None:
    """Print the online features of the given entities as JSON (values, missing, stale per group)."""
    entities = parse_entities(entity)
    groups = group or [g for g, view in GROUPS.items() if view.entity.join_key in entities]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise InvalidInput(f"unknown feature group(s) {unknown}; known: {', '.join(GROUPS)}")
    from fortress.features.feast_store import FeastFeatureStore

    features, home = _context()
    result = FeastFeatureStore(features, home).lookup_sync(entities, groups)
    typer.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True, default=str))


@app.command("simulate")
def simulate_command(
    out: Annotated[Path, typer.Argument(help="File to write (.parquet, .csv or .jsonl).")],
    users: Annotated[int, typer.Option("--users", min=1, help="Number of users.")] = 60,
    days: Annotated[int, typer.Option("--days", min=1, help="Days of history, ending now.")] = 14,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 7,
) -> None:
    """Write a simulated raw event history (accounts, activity, logins, network sessions)."""
    from fortress.datasets.simulator.events import simulate_events
    from fortress.features.operations import write_events

    events = simulate_events(users, days, seed)
    path = write_events(events, out.expanduser().resolve())
    counts = {
        "activity": len(events.activity),
        "login": len(events.logins),
        "network_session": len(events.sessions),
    }
    typer.echo(f"wrote {path}: " + ", ".join(f"{n:,} {kind}" for kind, n in counts.items()))
