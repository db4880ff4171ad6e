"""``fortress keys``: create, list and revoke the gateway's API keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from fortress.cli.common import load_settings
from fortress.gateway.auth.keys import ApiKeyRecord, ApiKeyStore, key_store
from fortress.gateway.auth.principal import SCOPES

app = typer.Typer(help="Manage the gateway's API keys (stored hashed).", no_args_is_help=True)


def open_store() -> ApiKeyStore:
    settings = load_settings()
    return key_store(settings.home, settings.gateway.auth)


def _created(record: ApiKeyRecord) -> str:
    return datetime.fromtimestamp(record.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_dict(record: ApiKeyRecord) -> dict[str, object]:
    return {
        "key_id": record.key_id,
        "name": record.name,
        "scopes": sorted(record.scopes),
        "created_at": _created(record),
        "revoked": record.revoked,
    }


@app.command("create")
def create_command(
    name: Annotated[str, typer.Option("--name", help="Who or what the key is for.")],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help=f"Scope to grant, repeatable: {', '.join(SCOPES)}. Default: inference."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (including the key).")] = False,
) -> None:
    """Create a key and print it: this is the only time it is shown."""
    store = open_store()
    record, key = store.create(name, scope or ["inference"])
    if as_json:
        typer.echo(json.dumps({**_as_dict(record), "key": key}))
        return
    typer.echo(f"created API key {record.key_id} ({record.name}; scopes: {', '.join(sorted(record.scopes))})")
    typer.echo("")
    typer.echo(f"    {key}")
    typer.echo("")
    typer.echo("Store it now: it is shown only this once (the gateway keeps only its hash).")
    typer.echo(f"Send it as 'X-API-Key: {key}'")
    typer.echo(f"        or 'Authorization: Bearer {key}'")
    typer.echo(f"Revoke it with: fortress keys revoke {record.key_id}")


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List keys: id, name, scopes, creation time, revoked (never the keys themselves)."""
    store = open_store()
    records = store.list()
    if as_json:
        typer.echo(json.dumps([_as_dict(r) for r in records], indent=2))
        return
    if not records:
        typer.echo(f"no API keys in {store.path}: create one with `fortress keys create --name NAME`")
        return
    typer.echo(f"{'id':<13} {'name':<24} {'scopes':<18} {'created':<21} revoked")
    for r in records:
        scopes = ",".join(sorted(r.scopes))
        revoked = "yes" if r.revoked else "no"
        typer.echo(f"{r.key_id:<13} {r.name:<24} {scopes:<18} {_created(r):<21} {revoked}")


@app.command("revoke")
def revoke_command(
    key_id: Annotated[str, typer.Argument(help="Key id, as `fortress keys list` shows it.")],
) -> None:
    """Revoke a key; running gateways refuse it within about a second."""
    record = open_store().revoke(key_id)
    typer.echo(f"revoked API key {record.key_id} ({record.name})")
