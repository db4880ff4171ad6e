"""``fortress serve``: the model server (TF Serving REST, Open Inference Protocol v2 REST and gRPC)."""

from __future__ import annotations

import json
import os
import signal
from types import FrameType
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from fortress.cli.common import load_settings, open_registry, progress
from fortress.errors import UnknownModel
from fortress.server.settings import ServerSettings
from fortress.settings import Settings

APP_FACTORY = "fortress.server.factory:app_from_env"


def serve_command(
    models: Annotated[
        str | None,
        typer.Option("--models", "-m", help="Comma-separated model names (default: every registered model)."),
    ] = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on.")] = None,
    rest_port: Annotated[
        int | None, typer.Option("--rest-port", min=0, max=65535, help="REST port (default 8501).")
    ] = None,
    grpc_port: Annotated[
        int | None,
        typer.Option("--grpc-port", min=0, max=65535, help="gRPC port (default 8500); 0 disables gRPC."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Server processes sharing the ports.")
    ] = None,
) -> None:
    """Serve the registered models until SIGTERM/SIGINT, then finish in-flight requests and exit."""
    import uvicorn

    settings = _settings(load_settings(), models, host, rest_port, grpc_port, workers)
    registry = open_registry(settings)
    registered = registry.model_names()
    for name in settings.runtime.models or []:
        if name not in registered:
            raise UnknownModel(name, registered)
    server = settings.server
    grpc = f"gRPC :{server.grpc_port}" if server.grpc_port else "gRPC off"
    progress(
        f"serving {', '.join(settings.runtime.models or registered) or 'nothing yet'} from "
        f"{settings.tracking_uri()}: REST http://{server.host}:{server.rest_port}, {grpc}, "
        f"{server.workers} worker(s)"
    )
    options: dict[str, Any] = {
        "host": server.host,
        "port": server.rest_port,
        "loop": "auto",  # uvloop and httptools when installed
        "http": "auto",
        "lifespan": "on",
        "access_log": False,
        "timeout_graceful_shutdown": server.graceful_shutdown_s,
    }
    # uvicorn handles SIGTERM/SIGINT while it runs (stop accepting, finish in-flight requests, run the
    # lifespan shutdown), then re-raises the signal it caught: a SIGTERM is then a clean exit (0).
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    if server.workers == 1:
        from fortress.server.factory import build_app

        uvicorn.run(build_app(settings, registry), **options)
    else:
        export_to_workers(settings, ("server", "runtime"))
        uvicorn.run(APP_FACTORY, factory=True, workers=server.workers, **options)


def _settings(
    settings: Settings,
    models: str | None,
    host: str | None,
    rest_port: int | None,
    grpc_port: int | None,
    workers: int | None,
) -> Settings:
    given = {"host": host, "rest_port": rest_port, "grpc_port": grpc_port, "workers": workers}
    server = ServerSettings.model_validate(
        {**settings.server.model_dump(), **{k: v for k, v in given.items() if v is not None}}
    )
    runtime = settings.runtime
    if models is not None:
        runtime = runtime.model_copy(update={"models": [m.strip() for m in models.split(",") if m.strip()]})
    return settings.model_copy(update={"server": server, "runtime": runtime})


def export_to_workers(settings: Settings, sections: tuple[str, ...]) -> None:
    """Worker processes rebuild their settings from the environment (uvicorn's app factory takes no
    arguments): hand them this command's ``sections`` of the settings, replacing nested variables."""
    for key in list(os.environ):
        if key.upper().startswith(tuple(f"FORTRESS_{s.upper()}__" for s in sections)):
            del os.environ[key]
    for section in sections:
        values = _revealed(getattr(settings, section).model_dump())
        os.environ[f"FORTRESS_{section.upper()}"] = json.dumps(values, default=str)


def _revealed(value: Any) -> Any:
    """Settings as plain values, secrets included (workers need them; JSON dumps would mask them)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _revealed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_revealed(v) for v in value]
    return value


def exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    progress("stopped (SIGTERM)")
    raise SystemExit(0)
