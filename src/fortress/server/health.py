"""Operational routes of the model server: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fortress.runtime.manager import ModelRuntime


def ops_routes(runtime: ModelRuntime, render_metrics: Callable[[], Awaitable[bytes]]) -> list[BaseRoute]:
    """``render_metrics``: the Prometheus text (``monitoring.export``)."""

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "live"})

    async def ready(request: Request) -> Response:
        """200 once at least one model version is loaded; the body says what is and what failed."""
        status = runtime.status
        body = {
            "ready": runtime.ready,
            "models": {name: sorted(runtime.entry(name).versions) for name in runtime.model_names()},
            "registry_ok": status.registry_ok,
            "last_error": status.last_error,
            "failed_loads": dict(status.failed_loads),
        }
        return JSONResponse(body, status_code=200 if runtime.ready else 503)

    async def metrics(request: Request) -> Response:
        return Response(await render_metrics(), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/health/live", live, methods=["GET"]),
        Route("/health/ready", ready, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
