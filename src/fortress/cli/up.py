"""``fortress up``: the main job. Today it makes sure the reference ensemble is trained and shows it;
the gateway work (issue 4) makes it serve the ensemble as well."""

from __future__ import annotations

import typer

from fortress.cli.common import load_settings, open_registry, progress


def up_command() -> None:
    """Train the reference ensemble if the registry has none, then show what is registered."""
    from fortress.catalog import resolve_models
    from fortress.cli.models import list_command
    from fortress.training.gates import load_gates
    from fortress.training.run import train_and_register

    settings = load_settings()
    registry = open_registry(settings)
    registered = set(registry.model_names())
    missing = [s for s in resolve_models(None) if s.name not in registered]
    if missing:
        where = settings.datasets_dir or "the simulator (set FORTRESS_DATASETS_DIR for real data)"
        progress(f"registry has {len(registered)} of 12 models; training {len(missing)} on {where}")
        gates = load_gates(settings.training.thresholds_file)
        summary = train_and_register(missing, settings, settings.datasets_dir, registry, gates, progress)
        if summary.failures:
            for message in summary.failures.values():
                typer.echo(f"error: {message}", err=True)
            raise typer.Exit(1)
    else:
        progress("registry already holds the reference ensemble; reusing it")
    list_command(as_json=False)
