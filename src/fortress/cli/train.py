"""``fortress train``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from fortress.cli.common import load_settings, open_registry, progress, resolve_dir


def train_command(
    models: Annotated[
        str | None, typer.Option("--models", "-m", help="Comma-separated model names (default: all twelve).")
    ] = None,
    datasets_dir: Annotated[
        Path | None,
        typer.Option(
            "--datasets-dir", help="Real datasets folder (default: FORTRESS_DATASETS_DIR, else simulator)."
        ),
    ] = None,
) -> None:
    """Train, evaluate, export to ONNX, parity-check, gate and register the reference models."""
    from fortress.catalog import resolve_models
    from fortress.training.gates import load_gates
    from fortress.training.run import DataSources, train_and_register

    settings = load_settings(datasets_dir=resolve_dir(datasets_dir))
    specs = resolve_models(models)
    gates = load_gates(settings.training.thresholds_path())
    started = time.perf_counter()
    where = settings.datasets_dir or "simulator (no datasets directory configured)"
    progress(f"training {len(specs)} model(s); data: {where}; registry: {settings.tracking_uri()}")
    registry = open_registry(settings)
    sources = DataSources(settings.datasets_dir, settings.features, settings.home)
    summary = train_and_register(specs, settings.training, sources, registry, gates, progress)
    total = time.perf_counter() - started
    for report in summary.reports:
        typer.echo(
            f"{report.name:<20} v{report.version:<3} {report.alias:<9} {report.gate_metric}="
            f"{report.metrics[report.gate_metric]:.4f} ({report.data_kind}:{report.data_name}) "
            f"{report.seconds:.1f}s"
        )
    typer.echo(f"total: {total:.1f} s, {len(summary.reports)} registered, {len(summary.failures)} failed")
    if summary.failures:
        for message in summary.failures.values():
            typer.echo(f"error: {message}", err=True)
        raise typer.Exit(1)
