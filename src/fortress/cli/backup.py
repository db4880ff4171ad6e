"""``fortress backup``: create, list, verify, restore and prune backups of the home (docs/OPERATIONS.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fortress.cli.common import load_settings, open_registry, progress
from fortress.cli.ops_wiring import (
    backup_source,
    default_location,
    in_process_answers,
    restore_target,
    s3_endpoint,
)
from fortress.ops.crypto import new_key, read_key
from fortress.ops.errors import BackupCorrupt, BackupInvalid
from fortress.ops.location import LocalLocation, Location, backup_ref
from fortress.ops.restore import restore, verify
from fortress.ops.retention import listed, prune
from fortress.ops.stores import default_stores
from fortress.settings import Settings

app = typer.Typer(help="Back up, verify, restore and prune the Fortress home.", no_args_is_help=True)

KeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key-file", help="File holding the Fernet key for secrets (default: FORTRESS_OPS__BACKUP_KEY)."
    ),
]


def _key(settings: Settings, key_file: Path | None) -> bytes | None:
    secret = settings.ops.backup_key
    return read_key(secret.get_secret_value() if secret else None, key_file)


@app.command("create")
def create_command(
    to: Annotated[
        str | None,
        typer.Option("--to", help="Folder or s3://bucket/prefix (default: FORTRESS_OPS__BACKUP_DIR)."),
    ] = None,
    key_file: KeyFile = None,
    audit: Annotated[bool, typer.Option("--audit/--no-audit", help="Include the audit log.")] = True,
    inference_log: Annotated[
        bool,
        typer.Option(
            "--inference-log/--no-inference-log", help="Include the inference log (it can be large)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Back up the home while the gateway serves: MLflow store, artifacts, features, keys, audit, config."""
    from fortress.ops.backup import create_backup

    settings = load_settings()
    key = _key(settings, key_file)
    where = default_location(settings, to)
    _outside_home(settings, where)
    registry = open_registry(settings)
    source = backup_source(settings, key, audit=audit, inference_log=inference_log)
    manifest, path = create_backup(
        source, default_stores(), registry, in_process_answers(settings, registry), where, progress
    )
    if key is None and manifest.secrets["paths"]:
        progress("warning: no backup key given: the configuration's secrets were left out of the backup")
    if manifest.fingerprint["degraded"]:
        progress(
            f"warning: {manifest.fingerprint['degraded']} fingerprint answers were degraded "
            "(a champion could not answer): a drill will compare against those"
        )
    if as_json:
        typer.echo(manifest.to_json().decode())
        return
    size = sum(f.size for f in manifest.files)
    typer.echo(
        f"backup {manifest.backup_id} at {path}: {len(manifest.files)} files, {size / 2**20:.1f} MiB, "
        f"{len(manifest.fingerprint['champions'])} champions, "
        f"fingerprint {manifest.fingerprint['digest'][:16]}"
    )


def _outside_home(settings: Settings, where: Location) -> None:
    """A backup inside the home would be swapped away by the first restore."""
    if isinstance(where, LocalLocation):
        home = settings.home.expanduser().resolve()
        if where.root == home or where.root.is_relative_to(home):
            raise BackupInvalid(
                f"backups cannot live inside the home they back up ({home}): choose --to elsewhere"
            )


@app.command("list")
def list_command(
    from_: Annotated[str | None, typer.Option("--from", help="Folder or s3://bucket/prefix.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the backups in a location, oldest first."""
    settings = load_settings()
    where = default_location(settings, from_)
    items = listed(where)
    if as_json:
        rows = [
            {
                "backup_id": x.backup_id,
                "created": x.manifest.created_iso if x.manifest else None,
                "files": len(x.manifest.files) if x.manifest else None,
                "bytes": sum(f.size for f in x.manifest.files) if x.manifest else None,
                "fingerprint": x.manifest.fingerprint["digest"] if x.manifest else None,
                "problem": x.problem,
            }
            for x in items
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not items:
        typer.echo(f"no backups in {where}")
        return
    for x in items:
        if x.manifest is None:
            typer.echo(f"{x.backup_id}  unreadable: {x.problem}")
        else:
            size = sum(f.size for f in x.manifest.files) / 2**20
            typer.echo(
                f"{x.backup_id}  {x.manifest.created_iso}  {len(x.manifest.files):>5} files  {size:8.1f} MiB"
            )


@app.command("verify")
def verify_command(
    backup: Annotated[str, typer.Argument(help="Backup folder, s3://bucket/prefix/<id>, or an id.")],
    key_file: KeyFile = None,
) -> None:
    """Check every file of a backup against its manifest (size and sha256); exit 1 naming each bad file."""
    from fortress.ops.crypto import decrypt
    from fortress.ops.stores.config import CONFIG, SECRETS_FILE

    settings = load_settings()
    where, backup_id = backup_ref(backup, default_location(settings, None), s3_endpoint(settings))
    with where.local(backup_id) as folder:
        try:
            manifest = verify(folder)
        except BackupCorrupt as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        key = _key(settings, key_file)
        secrets = folder / CONFIG / SECRETS_FILE
        if key is not None and secrets.is_file():
            decrypt(secrets.read_bytes(), key)
            typer.echo("secrets decrypt with the given key")
    typer.echo(f"backup {manifest.backup_id} is intact: {len(manifest.files)} files match the manifest")


@app.command("restore")
def restore_command(
    backup: Annotated[str, typer.Argument(help="Backup folder, s3://bucket/prefix/<id>, or an id.")],
    to: Annotated[
        Path | None, typer.Option("--to", help="Home to restore into (default: FORTRESS_HOME).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a non-empty home (and a non-empty PostgreSQL store).")
    ] = False,
) -> None:
    """Verify, restore into a fresh folder beside the home, then swap it in (stop the gateway first)."""
    settings = load_settings()
    where, backup_id = backup_ref(backup, default_location(settings, None), s3_endpoint(settings))
    target = restore_target(settings, to or settings.home, force=force)
    with where.local(backup_id) as folder:
        done = restore(folder, target, default_stores(), progress)
    typer.echo(f"restored backup {done.manifest.backup_id} into {done.home} in {done.seconds:.1f} s")


@app.command("prune")
def prune_command(
    keep_days: Annotated[
        float | None, typer.Option("--keep-days", min=0, help="Keep backups this recent (default 30).")
    ] = None,
    from_: Annotated[str | None, typer.Option("--from", help="Folder or s3://bucket/prefix.")] = None,
) -> None:
    """Delete backups older than the retention; the newest backup always stays."""
    settings = load_settings()
    where = default_location(settings, from_)
    gone = prune(where, keep_days if keep_days is not None else settings.ops.keep_days)
    for backup_id in gone:
        typer.echo(f"deleted {backup_id}")
    typer.echo(f"{len(gone)} backups deleted from {where}")


@app.command("key")
def key_command() -> None:
    """Print a new Fernet key for FORTRESS_OPS__BACKUP_KEY or --key-file (keep it apart from the backups)."""
    typer.echo(new_key())
