"""``fortress drift``: compare data with a model version's drift reference (docs/MONITORING.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fortress.aliases import CHAMPION
from fortress.cli.common import load_settings, open_registry
from fortress.errors import InvalidInput

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
    if html is not None:
        from fortress.monitoring.drift.html_report import render

        title = f"Drift of {current.name} against {name} version {version}"
        html.write_text(render(title, len(frame), results), encoding="utf-8")
    if as_json:
        body = {
            "model": name,
            "version": version,
            "current": str(current),
            "rows": len(frame),
            "reference_rows": reference.rows,
            "drifted": [r.feature for r in results if r.drifted],
            "features": [r.to_dict() for r in results],
        }
        typer.echo(json.dumps(body, indent=2))
        return
    typer.echo(
        f"{name} version {version}: {len(frame):,} rows of {current} "
        f"against {reference.rows:,} reference rows"
    )
    typer.echo(f"{'feature':<32} {'statistic':<9} {'score':>9} {'threshold':>11}  drifted")
    for r in results:
        mark = "yes" if r.drifted else ("warn" if r.level == "warn" else "no")
        typer.echo(f"{r.feature:<32} {r.statistic:<9} {r.score:>9.4f} {r.alert:>11g}  {mark}")
    drifted = [r.feature for r in results if r.drifted]
    typer.echo(
        f"{len(drifted)} of {len(results)} features drifted" + (f": {', '.join(drifted)}" if drifted else "")
    )
