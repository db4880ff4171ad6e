"""``fortress dr drill``: prove a backup restores into a serving gateway with the same answers."""

from __future__ import annotations

import json
import shutil
import tempfile
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Annotated

import typer

from fortress.cli.common import load_settings, open_registry, progress
from fortress.cli.ops_wiring import (
    backup_source,
    default_location,
    gateway_process,
    in_process_answers,
    restore_target,
    s3_endpoint,
)
from fortress.ops.drill import Gateway, run_drill
from fortress.ops.errors import OpsFailed
from fortress.ops.location import LocalLocation, backup_ref
from fortress.ops.postgres import is_postgres, scratch_database
from fortress.ops.stores import default_stores
from fortress.registry.base import ModelRegistry
from fortress.settings import Settings

app = typer.Typer(help="Disaster-recovery drills.", no_args_is_help=True)


@app.command("drill")
def drill_command(
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Backup to drill (default: take one now into a scratch folder)."),
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the JSON report here.")] = None,
) -> None:
    """Backup (or --from), restore into a fresh home, serve it, compare answers; exit 1 on any mismatch."""
    settings = load_settings()
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fortress-drill-")))
        if from_ is None:
            folder = _fresh_backup(settings, scratch / "backups")
        else:
            where, backup_id = backup_ref(from_, default_location(settings, None), s3_endpoint(settings))
            folder = stack.enter_context(where.local(backup_id))
        home = scratch / "home"
        uri = None
        if is_postgres(settings.tracking_uri()):
            uri = stack.enter_context(scratch_database(settings.tracking_uri()))
        target = restore_target(settings, home, force=False, tracking_uri=uri)

        def opened(home: Path, tracking_uri: str) -> ModelRegistry:
            scoped = settings.model_copy(
                update={
                    "home": home,
                    "registry": settings.registry.model_copy(update={"tracking_uri": tracking_uri}),
                }
            )
            return open_registry(scoped)

        def serve(home: Path, tracking_uri: str) -> AbstractContextManager[Gateway]:
            return gateway_process(settings, home, tracking_uri)

        try:
            result = run_drill(folder, target, default_stores(), opened, serve, progress)
        except OpsFailed as exc:  # the restored home could not be served: a failed drill, not bad input
            typer.echo(f"error: {exc}", err=True)
            typer.echo("drill FAILED", err=True)
            raise typer.Exit(1) from None
        shutil.rmtree(home, ignore_errors=True)
    body = result.to_dict()
    if report is not None:
        report.write_text(json.dumps(body, indent=2), encoding="utf-8")
    for name, seconds in body["phases_s"].items():
        typer.echo(f"{name:<22} {seconds:8.2f} s")
    typer.echo(f"{'RTO':<22} {body['rto_s']:8.2f} s")
    typer.echo(f"{'RPO':<22} {body['rpo_s']:8.2f} s")
    if not result.passed:
        for problem in result.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo("drill FAILED", err=True)
        raise typer.Exit(1)
    typer.echo(f"drill passed: fingerprint {body['fingerprint']['actual'][:16]} identical")


def _fresh_backup(settings: Settings, where: Path) -> Path:
    from fortress.ops.backup import create_backup

    registry = open_registry(settings)
    source = backup_source(settings, None, audit=False, inference_log=False)
    fingerprinting = in_process_answers(settings, registry)
    manifest, path = create_backup(
        source, default_stores(), registry, fingerprinting, LocalLocation(where), progress
    )
    progress(f"backup {manifest.backup_id} taken for the drill")
    return Path(path)
