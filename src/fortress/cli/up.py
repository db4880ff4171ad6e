"""``fortress up``: the main job. Train the reference ensemble if the registry lacks it, then serve
the ensemble gateway and print how to call it."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from fortress.cli.common import load_settings, open_registry, progress
from fortress.cli.uvicorn_run import process_count, run_server
from fortress.gateway.settings import GatewaySettings
from fortress.registry.base import ModelRegistry
from fortress.settings import Settings

APP_FACTORY = "fortress.gateway.http.factory:app_from_env"
UP_KEY_NAME = "fortress-up"


def up_command(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", min=0, max=65535, help="Port (default 8000).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=0, help="Gateway processes sharing the port (default 0: one per CPU core)."
        ),
    ] = None,
    train: Annotated[
        bool, typer.Option("--train/--no-train", help="Train missing reference models first.")
    ] = True,
) -> None:
    """Train the reference ensemble if the registry has none, then serve the gateway until Ctrl-C."""
    settings = load_settings()
    given = {"host": host, "port": port, "workers": workers}
    gateway = GatewaySettings.model_validate(
        {**settings.gateway.model_dump(), **{k: v for k, v in given.items() if v is not None}}
    )
    gateway = gateway.model_copy(update={"workers": process_count(gateway.workers)})
    settings = settings.model_copy(update={"gateway": gateway})
    registry = open_registry(settings)
    if train:
        _train_missing(settings, registry)
    key_line = _api_key_line(settings)
    example = _write_example(settings, registry)
    url = f"http://{gateway.host}:{gateway.port}"
    _print_instructions(url, key_line, example, settings)

    def one_process() -> Any:
        from fortress.gateway.http.factory import build_app

        return build_app(settings, registry, freeze_gc=True)

    run_server(
        settings, one_process, factory=APP_FACTORY, sections=("gateway", "runtime"), host=gateway.host,
        port=gateway.port, workers=gateway.workers, graceful_shutdown_s=gateway.graceful_shutdown_s,
        backlog=gateway.backlog,
    )  # fmt: skip
    progress("gateway stopped")


def _train_missing(settings: Settings, registry: ModelRegistry) -> None:
    from fortress.catalog import resolve_models
    from fortress.training.gates import load_gates
    from fortress.training.run import DataSources, train_and_register

    registered = set(registry.model_names())
    missing = [s for s in resolve_models(None) if s.name not in registered]
    if not missing:
        progress("registry already holds the reference ensemble; reusing it")
        return
    where = settings.datasets_dir or "the simulator (set FORTRESS_DATASETS_DIR for real data)"
    progress(f"registry has {len(registered)} of 12 models; training {len(missing)} on {where}")
    gates = load_gates(settings.training.thresholds_path())
    sources = DataSources(settings.datasets_dir, settings.features, settings.home)
    summary = train_and_register(missing, settings.training, sources, registry, gates, progress)
    if summary.failures:
        for message in summary.failures.values():
            typer.echo(f"error: {message}", err=True)
        raise typer.Exit(1)


def _api_key_line(settings: Settings) -> str | None:
    """A fresh key on first start (printed once); later starts point at ``fortress keys``."""
    if not settings.gateway.auth.enabled:
        return None
    from fortress.gateway.auth.keys import key_store

    store = key_store(settings.home, settings.gateway.auth)
    if any(r.name == UP_KEY_NAME and not r.revoked for r in store.list()):
        return None
    record, key = store.create(UP_KEY_NAME, ["inference", "admin"])
    progress(f"created API key {record.key_id} (scopes inference, admin); it is shown only now")
    return key


def _write_example(settings: Settings, registry: ModelRegistry) -> Path:
    from fortress.catalog import get_spec, resolve_models
    from fortress.gateway.example import example_investigation

    names = settings.gateway.models or registry.model_names()
    reference = {s.name for s in resolve_models(None)}
    specs = [get_spec(n) for n in names if n in reference]
    path = settings.home / "example-investigation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = example_investigation(specs, "inv-example-0001")
    path.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2))
    return path.resolve()


def _print_instructions(url: str, key: str | None, example: Path, settings: Settings) -> None:
    auth = settings.gateway.auth.enabled
    header = f"-H {shlex.quote('X-API-Key: ' + (key or '$FORTRESS_API_KEY'))} " if auth else ""
    workers = settings.gateway.workers
    processes = f"{workers} worker process{'es' if workers > 1 else ''}"
    lines = [f"Fortress gateway on {url}, {processes} (API docs: {url}/docs; Ctrl-C stops it)"]
    if auth and key:
        lines.append(f"API key (shown once, keep it): {key}")
    elif auth:
        lines.append(
            "API key: the one printed at the first start, or make one with "
            "`fortress keys create --name me`; then export FORTRESS_API_KEY=<key>"
        )
    lines += [
        "Try an investigation over every model:",
        f"  curl -s {url}/api/v1/inference {header}-H 'Content-Type: application/json' "
        f"-d @{shlex.quote(str(example))}",
    ]
    for line in lines:
        typer.echo(line)
