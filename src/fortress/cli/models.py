"""``fortress models``: what the registry holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fortress.aliases import CANARY, CHAMPION, STAGING
from fortress.cli.common import load_settings, open_registry, progress
from fortress.errors import InvalidInput
from fortress.registry.base import VersionInfo
from fortress.registry.overview import models_overview

if TYPE_CHECKING:
    from fortress.datasets.task import TaskData

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


@app.command("quantize")
def quantize_command(
    name: Annotated[str, typer.Argument(help="Model name.")],
    ref: Annotated[str, typer.Option("--ref", help="Version number or alias to quantize.")] = CHAMPION,
    runs: Annotated[int, typer.Option("--runs", min=3, help="Timed runs per latency (median).")] = 50,
    max_drop: Annotated[
        float, typer.Option("--max-drop", help="Largest quality drop to register, in points.")
    ] = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Dynamic int8 quantization (ONNX Runtime) of a version, measured on the model's held-out split;
    registered as a new version with alias staging only if quality drops by at most 0.5 points.

    Exit 0: registered; 1: measured but not registered (quality dropped too much); 2: not applicable
    (no op quantization handles) or bad input."""
    from fortress.ops.quantize import quantize_version
    from fortress.training.gates import load_gates
    from fortress.training.run import DataSources, training_data

    settings = load_settings()
    registry = open_registry(settings)
    version = registry.resolve(name, int(ref) if ref.isdigit() else ref)
    metric = load_gates(settings.training.thresholds_path()).gate_for(name).metric
    sources = DataSources(settings.datasets_dir, settings.features, settings.home)

    def load_task(info: VersionInfo) -> TaskData:
        """The split training used: same data sources, the version's own seed."""
        return training_data(name, sources, int(info.tags.get("data.seed", settings.training.seed)))

    body = quantize_version(
        registry, name, version.version, load_task, metric, runs=runs, max_drop=max_drop, say=progress
    )
    if as_json:
        typer.echo(json.dumps(body, indent=2))
    else:
        for line in quantize_table(body):
            typer.echo(line)
    if not body["registered"]:
        raise typer.Exit(1)


def quantize_table(body: dict[str, Any]) -> list[str]:
    before, after, metric = body["before"], body["after"], body["metric"]
    lines = [
        f"{body['model']} v{body['source_version']} -> int8 (held-out: {body['held_out_rows']:,} rows, "
        f"{body['data']})",
        f"{'':<18} {'size':>12} {'b1 ms':>9} {'b64 ms':>9} {metric:>16}",
    ]
    for label, variant in (("before (float32)", before), ("after (int8)", after)):
        latency = variant["latency_ms"]
        lines.append(
            f"{label:<18} {variant['size_bytes']:>12,} {latency['1']:>9.3f} {latency['64']:>9.3f} "
            f"{variant['metrics'][metric]:>16.4f}"
        )
    if body["slower_at"]:
        batches = " and ".join(str(n) for n in body["slower_at"])
        lines.append(f"note: int8 is slower at batch {batches} on this CPU (smaller, not faster)")
    if body["registered"]:
        lines.append(f"registered: version {body['version']} as {body['alias']}: {body['reason']}")
    else:
        lines.append(f"not registered: {body['reason']}")
    return lines
