"""``fortress datasets``: the real public datasets (list what is present, fetch from a source)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fortress.cli.common import load_settings, progress, resolve_dir
from fortress.errors import DatasetError, InvalidInput

app = typer.Typer(help="List and fetch the real public datasets.", no_args_is_help=True)


@app.command("list")
def list_command(
    datasets_dir: Annotated[
        Path | None, typer.Option("--datasets-dir", help="Folder to check (default: FORTRESS_DATASETS_DIR).")
    ] = None,
) -> None:
    """Show each known dataset: present and valid, present with problems, or absent."""
    from fortress.datasets.manifest import DATASET_NAMES, dataset_manifest
    from fortress.datasets.verify import verify_dataset

    folder = resolve_dir(datasets_dir) or load_settings().datasets_dir
    if folder is None:
        raise InvalidInput("no datasets directory: pass --datasets-dir or set FORTRESS_DATASETS_DIR")
    if not folder.is_dir():
        raise DatasetError(f"datasets directory not found: {folder}")
    invalid = 0
    typer.echo(f"{'dataset':<20} {'status':<10} title")
    for name in DATASET_NAMES:
        status = verify_dataset(folder, name)
        state = "ok" if status.valid else ("absent" if not status.present else "INVALID")
        typer.echo(f"{name:<20} {state:<10} {dataset_manifest(name).title}")
        for problem in status.problems:
            typer.echo(f"  {problem.message}")
        invalid += bool(status.present and not status.valid)
    if invalid:
        raise typer.Exit(1)


@app.command("fetch")
def fetch_command(
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. nsl-kdd (see `fortress datasets list`).")],
    to: Annotated[Path, typer.Option("--to", help="Datasets folder to fetch into (creates NAME/ inside).")],
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Mirror serving BASE_URL/NAME/<file> instead of the source."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Download again even if the files are valid.")
    ] = False,
) -> None:
    """Download a dataset from its public source (or a mirror) and verify every file's sha256."""
    from fortress.datasets.fetch import fetch_dataset

    status = fetch_dataset(name, to.expanduser().resolve(), base_url, progress, force=force)
    typer.echo(status.describe())
    if not status.valid:
        raise typer.Exit(1)
