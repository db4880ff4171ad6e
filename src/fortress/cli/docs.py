"""``fortress docs``: documents generated from the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fortress.cli.common import load_settings, open_registry

app = typer.Typer(
    help="Generate documentation from the registry and the settings models.", no_args_is_help=True
)


@app.command("models")
def models_doc_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the Markdown.")] = Path("docs/MODELS.md"),
) -> None:
    """Write docs/MODELS.md: every model's data, metrics and gate, from its champion version."""
    from fortress.docs.models_md import render_models_md
    from fortress.registry.overview import models_overview
    from fortress.training.gates import load_gates

    settings = load_settings()
    overview = models_overview(open_registry(settings))
    text = render_models_md(overview, load_gates(settings.training.thresholds_path()))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out} ({len(overview)} models)")


@app.command("config")
def config_doc_command(
    out: Annotated[
        Path, typer.Option("--out", help="The Markdown file whose settings table is rewritten.")
    ] = Path("docs/CONFIGURATION.md"),
) -> None:
    """Rewrite the settings table of docs/CONFIGURATION.md from the settings models."""
    from fortress.docs.config_md import render_table, replace_table, settings_rows
    from fortress.errors import InvalidInput, NotFound
    from fortress.settings import Settings

    if not out.is_file():
        raise NotFound(f"{out} does not exist")
    rows = settings_rows(Settings)
    try:
        text = replace_table(out.read_text(encoding="utf-8"), render_table(rows))
    except ValueError as exc:
        raise InvalidInput(f"{out}: {exc}") from exc
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out} ({len(rows)} settings)")


@app.command("dashboards")
def dashboards_doc_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the dashboard JSON.")] = Path(
        "deploy/grafana/dashboards/fortress.json"
    ),
) -> None:
    """Write the Grafana dashboard (deploy/grafana/) from its panel list (monitoring/dashboards.py)."""
    from fortress.docs.metric_names import EXTERNAL, exported_metric_names, names_in
    from fortress.errors import InvalidInput
    from fortress.monitoring.dashboards import queries
    from fortress.monitoring.grafana import dashboard

    known = exported_metric_names() | set(EXTERNAL) | {"fortress:drift_psi:1h"}
    unknown = sorted({n for q in queries() for n in names_in(q)} - known)
    if unknown:
        raise InvalidInput(f"the dashboard reads metrics nobody exports: {', '.join(unknown)}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(dashboard_text(dashboard()), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {out} ({len(queries())} queries)")


def dashboard_text(model: object) -> str:
    import json

    return json.dumps(model, indent=2, sort_keys=True) + "\n"
