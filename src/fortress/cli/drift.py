"""``fortress drift``: compare data with a model version's drift reference (docs/MONITORING.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fortress.aliases import CHAMPION
from fortress.cli.common import load_settings, open_registry
from fortress.errors import InvalidInput

if TYPE_CHECKING:
    from fortress.monitoring.drift.compare import FeatureResult

app = typer.Typer(
    help="Feature drift against the reference stored with each model version.", no_args_is_help=True
)


def _model_ref(value: str) -> tuple[str, str | int]:
    name, _, ref = value.partition("@")
    if not name:
        raise InvalidInput(f"--model {value!r}: expected MODEL or MODEL@VERSION (or MODEL@ALIAS)")
    if not ref:
        return name, CHAMPION
    return name, int(ref) if ref.isdigit() else ref


@app.command("compare")
def compare_command(
    model: Annotated[str, typer.Option("--model", help="MODEL[@VERSION|@ALIAS]; default alias champion.")],
    current: Annotated[Path, typer.Option("--current", help="The data to compare: a .parquet or .csv file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report here.")
    ] = None,
) -> None:
    """Score every feature of a file against the version's reference: PSI for numbers, text lengths and
    tensor channel means, Jensen-Shannon distance for categories; thresholds from settings."""
    from fortress.monitoring.drift.compare import check_columns, compare_frame, read_table
    from fortress.monitoring.drift.reference import reference_from_baseline

    settings = load_settings()
    name, ref = _model_ref(model)
    fetched = open_registry(settings).fetch(name, ref)
    version = fetched.info.version
    reference = reference_from_baseline(fetched.baseline)
    if reference is None:
        raise InvalidInput(
            f"{name} version {version} has no drift reference (trained before drift references)"
        )
    frame = read_table(current, fetched.spec)
    check_columns(current, fetched.spec, frame)
    results = compare_frame(name, fetched.spec, reference, frame, settings.monitoring.drift)
    _report(
        name, version, str(current), len(frame), reference.rows, results, as_json, html, f"{current.name}"
    )


@app.command("analyze")
def analyze_command(
    model: Annotated[
        str, typer.Option("--model", help="MODEL[@VERSION]; default: the version most logged rows came from.")
    ],
    window: Annotated[str, typer.Option("--window", help="How far back: 30m, 24h, 7d ...")] = "24h",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report here.")
    ] = None,
) -> None:
    """Score the inference log's sampled rows of a model in a window (re-encoded as the gateway
    encodes them) against the version's reference: the same table as ``drift compare``, plus the
    predictions' label and confidence."""
    import time

    from fortress.monitoring.drift.compare import compare_frame
    from fortress.monitoring.drift.reference import reference_from_baseline
    from fortress.monitoring.inference_log.analyze import busiest_version, load, parse_window, prepare

    settings = load_settings()
    log = settings.monitoring.inference_log
    seconds = parse_window(window)
    name, _, ref = model.partition("@")
    if not name or (ref and not ref.isdigit()):
        raise InvalidInput(f"--model {model!r}: expected MODEL or MODEL@VERSION (a version number)")
    if log.sink != "parquet":
        raise InvalidInput(
            f"the inference log goes to Kafka topic {log.kafka_topic} (monitoring.inference_log.sink); "
            "drift analyze reads the Parquet log: export the topic to a file and use drift compare"
        )
    root = log.log_dir(settings.features.repo_root(settings.home))
    now = time.time()
    logged = load(root, name, now - seconds, now, window)
    version = int(ref) if ref else busiest_version(logged.rows)
    rows = logged.rows[logged.rows["version"] == version]
    if rows.empty:
        versions = ", ".join(str(v) for v in sorted(set(logged.rows["version"])))
        raise InvalidInput(
            f"no sampled rows of {name} version {version} in the last {window} (versions: {versions})"
        )
    fetched = open_registry(settings).fetch(name, version)
    reference = reference_from_baseline(fetched.baseline)
    if reference is None:
        raise InvalidInput(
            f"{name} version {version} has no drift reference (trained before drift references)"
        )
    prepared = prepare(rows, fetched.spec)
    results = compare_frame(
        name,
        fetched.spec,
        reference,
        prepared.frame,
        settings.monitoring.drift,
        probabilities=prepared.probabilities,
        skip=prepared.skipped,
    )
    source = f"the inference log ({root}, last {window})"
    _report(name, version, source, len(rows), reference.rows, results, as_json, html, f"the last {window}")
    if prepared.skipped and not as_json:
        typer.echo(
            f"not scored (sensitive: hashed or dropped in the log): {', '.join(sorted(prepared.skipped))}"
        )


def _report(
    name: str,
    version: int,
    source: str,
    rows: int,
    reference_rows: int,
    results: list[FeatureResult],
    as_json: bool,
    html: Path | None,
    what: str,
) -> None:
    """The per-feature table (or JSON), and the HTML report when asked: one way for every drift command."""
    if html is not None:
        from fortress.monitoring.drift.html_report import render

        title = f"Drift of {what} against {name} version {version}"
        html.write_text(render(title, rows, results), encoding="utf-8")
    if as_json:
        body = {
            "model": name,
            "version": version,
            "current": source,
            "rows": rows,
            "reference_rows": reference_rows,
            "drifted": [r.feature for r in results if r.drifted],
            "features": [r.to_dict() for r in results],
        }
        typer.echo(json.dumps(body, indent=2))
        return
    typer.echo(
        f"{name} version {version}: {rows:,} rows of {source} against {reference_rows:,} reference rows"
    )
    typer.echo(f"{'feature':<32} {'statistic':<9} {'score':>9} {'threshold':>11}  drifted")
    for r in results:
        mark = "yes" if r.drifted else ("warn" if r.level == "warn" else "no")
        typer.echo(f"{r.feature:<32} {r.statistic:<9} {r.score:>9.4f} {r.alert:>11g}  {mark}")
    drifted = [r.feature for r in results if r.drifted]
    typer.echo(
        f"{len(drifted)} of {len(results)} features drifted" + (f": {', '.join(drifted)}" if drifted else "")
    )
