"""``fortress serve``: the model server (TF Serving REST, Open Inference Protocol v2 REST and gRPC)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fortress.cli.common import load_settings, open_registry, progress
from fortress.cli.uvicorn_run import run_server
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

    def one_process() -> Any:
        from fortress.server.factory import build_app

        return build_app(settings, registry, freeze_gc=True)

    run_server(
        settings, one_process, factory=APP_FACTORY, sections=("server", "runtime"), host=server.host,
        port=server.rest_port, workers=server.workers, graceful_shutdown_s=server.graceful_shutdown_s,
        backlog=server.backlog,
    )  # fmt: skip


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
