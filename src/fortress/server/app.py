"""The model server's one wiring place: routes, limits, error handlers and the lifespan.

The lifespan starts the runtime (load what the registry says, then keep following it) and, when a
gRPC port is set, the Open Inference Protocol v2 gRPC server in the same event loop. On shutdown the
HTTP server has already let in-flight requests finish; gRPC gets the same grace, then the runtime
drains its batchers and unloads.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fortress.http.fast_path import FastRoutes, InFront
from fortress.http.limits import BodyLimit
from fortress.monitoring.export import LocalExport, MetricsExport
from fortress.process import freeze_startup_objects
from fortress.runtime.manager import ModelRuntime
from fortress.server.errors import ERRORS
from fortress.server.health import ops_routes
from fortress.server.openapi import openapi
from fortress.server.settings import ServerSettings
from fortress.server.tfserving import TfServingApi

logger = logging.getLogger(__name__)

V2_REST_MODULE = "fortress.server.v2_rest"
GRPC_MODULE = "fortress.server.grpc_v2"


def create_app(
    runtime: ModelRuntime,
    settings: ServerSettings,
    metrics_registry: CollectorRegistry,
    *,
    freeze_gc: bool = False,
    export: MetricsExport | None = None,
) -> Starlette:
    """``freeze_gc``: for server processes (``fortress serve``), never for tests sharing a process.
    ``export``: what ``/metrics`` answers (default: ``metrics_registry`` alone)."""
    tfserving = TfServingApi(runtime)
    export = LocalExport(metrics_registry) if export is None else export

    async def schema(request: Request) -> Response:
        return JSONResponse(openapi(runtime.model_names))

    routes: list[BaseRoute] = [
        *tfserving.routes(),
        *_v2_routes(runtime),
        *ops_routes(runtime, export.render),
        Route("/openapi.json", schema, methods=["GET"]),
    ]
    app = ServerApp(
        routes=routes,
        middleware=[Middleware(BodyLimit, max_bytes=settings.max_body_bytes, errors=ERRORS)],
        exception_handlers=ERRORS.handlers(),
        lifespan=_lifespan(runtime, settings, freeze_gc, export),
    )
    app.fast_routes = FastRoutes(tfserving.fast_route, ERRORS, settings.max_body_bytes)
    return app


class ServerApp(InFront):
    """The model server: TF Serving ``:predict`` on the fast path, every other route Starlette's."""


def _optional(module: str, attribute: str) -> Any | None:
    """``module.attribute`` when that module is part of this build, else None (import errors inside
    an existing module are raised, not hidden)."""
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), attribute)


def _v2_routes(runtime: ModelRuntime) -> list[BaseRoute]:
    factory = _optional(V2_REST_MODULE, "v2_routes")
    if factory is None:
        logger.warning(
            "%s is not available: Open Inference Protocol v2 REST routes not mounted", V2_REST_MODULE
        )
        return []
    return cast(list[BaseRoute], factory(runtime))


def _lifespan(
    runtime: ModelRuntime, settings: ServerSettings, freeze_gc: bool, export: MetricsExport
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        export.start()
        try:
            await runtime.start()
            grpc_server = await _start_grpc(runtime, settings)
            if freeze_gc:
                freeze_startup_objects()
            try:
                yield
            finally:
                if grpc_server is not None:
                    await grpc_server.stop(settings.graceful_shutdown_s)
        finally:
            await runtime.aclose()
            await export.aclose()

    return lifespan


async def _start_grpc(runtime: ModelRuntime, settings: ServerSettings) -> Any | None:
    """The v2 gRPC server (a started ``grpc.aio.Server``), or None when disabled or not built.

    With several worker processes every worker binds the same port: gRPC sets SO_REUSEPORT on Linux by
    default, so the kernel spreads connections over the workers as it does for the REST socket.
    """
    if settings.grpc_port == 0:
        return None
    factory = _optional(GRPC_MODULE, "create_grpc_server")
    if factory is None:
        logger.warning("%s is not available: gRPC endpoint not started", GRPC_MODULE)
        return None
    address = grpc_address(settings)
    server = factory(runtime, address)
    await server.start()
    logger.info("gRPC (Open Inference Protocol v2) listening on %s", address)
    return server


def grpc_address(settings: ServerSettings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{host}:{settings.grpc_port}"
