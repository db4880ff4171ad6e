"""``fortress models``: what the registry holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fortress.aliases import CANARY, CHAMPION, STAGING
from fortress.cli.common import load_settings, open_registry
from fortress.errors import InvalidInput
from fortress.registry.overview import models_overview

app = typer.Typer(help="Inspect and manage registered model versions.", no_args_is_help=True)


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List registered models: versions, aliases, headline metric and data source."""
    overview = models_overview(open_registry(load_settings()))
    if as_json:
        typer.echo(json.dumps(overview, indent=2))
        return
    if not overview:
        typer.echo("no models registered yet: run `fortress train`")
        return
    typer.echo(f"{'model':<20} {'versions':<9} {'aliases':<28} {'headline':<26} data")
    for m in overview:
        aliases = ", ".join(f"{a}=v{v}" for a, v in sorted(m["aliases"].items()))
        value = m["headline_value"]
        headline = f"{m['headline_metric']}={value:.4f}" if value is not None else "-"
        data = m["data_name"] if m["data_kind"] == "real" else m["data_kind"]
        typer.echo(f"{m['name']:<20} {len(m['versions']):<9} {aliases:<28} {headline:<26} {data}")


@app.command("alias")
def alias_command(
    name: Annotated[str, typer.Argument(help="Model name.")],
    alias: Annotated[str, typer.Argument(help=f"Alias, e.g. {CHAMPION}, {STAGING}, {CANARY}.")],
    version: Annotated[int | None, typer.Argument(help="Version to point the alias at.")] = None,
    delete: Annotated[bool, typer.Option("--delete", help="Remove the alias.")] = False,
) -> None:
    """Show, set or delete a model alias."""
    registry = open_registry(load_settings())
    if delete:
        registry.delete_alias(name, alias)
        typer.echo(f"{name}@{alias} deleted")
    elif version is not None:
        if version < 1:
            raise InvalidInput("version must be a positive integer")
        registry.resolve(name, version)
        registry.set_alias(name, alias, version)
        typer.echo(f"{name}@{alias} -> version {version}")
    else:
        typer.echo(f"{name}@{alias} -> version {registry.get_alias(name, alias).version}")


@app.command("fetch")
def fetch_command(
    name: Annotated[str, typer.Argument(help="Model name.")],
    ref: Annotated[str, typer.Option("--ref", help="Version number or alias.")] = CHAMPION,
    to: Annotated[Path | None, typer.Option("--to", help="Copy the ONNX file here.")] = None,
) -> None:
    """Download a version's ONNX model and spec into the local cache (and optionally copy it)."""
    fetched = open_registry(load_settings()).fetch(name, ref)
    if to is not None:
        to.write_bytes(fetched.onnx_bytes())
    typer.echo(
        json.dumps(
            {
                "name": name,
                "version": fetched.info.version,
                "onnx": str(to or fetched.onnx_path),
                "inputs": [i.name for i in fetched.spec.inputs],
                "labels": list(fetched.spec.labels),
            }
        )
    )
