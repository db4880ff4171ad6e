"""Build the gateway's FastAPI app around a platform: routes, fast path, body limit, errors, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.routing import APIRoute

from fortress import __version__
from fortress.gateway.http.api import INFERENCE_ROUTES, Endpoints, api_router
from fortress.gateway.http.errors import ERRORS
from fortress.gateway.http.openapi import document
from fortress.gateway.http.request_metrics import RequestMetrics, record_request
from fortress.gateway.platform import GatewayPlatform
from fortress.http.fast_path import FastRoutes, Handler, InFront
from fortress.http.limits import BodyLimit
from fortress.monitoring.alerts import AlertInbox


class GatewayApp(InFront, FastAPI):
    """The gateway: ``INFERENCE_ROUTES`` on the fast path, every other route FastAPI's."""


def create_app(platform: GatewayPlatform) -> GatewayApp:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await platform.start()
        try:
            yield
        finally:
            await platform.aclose()

    app = GatewayApp(
        title="Fortress ensemble gateway",
        version=__version__,
        description="Investigation inference over the Fortress security ensemble.",
        lifespan=lifespan,
        exception_handlers=ERRORS.handlers(),
    )
    max_body_bytes = platform.settings.limits.max_body_bytes
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, errors=ERRORS)
    alerts = AlertInbox(platform.alert_settings, platform.home / "monitoring" / "alerts.json")
    endpoints = Endpoints(platform, alerts)
    router = api_router(endpoints)
    fast: dict[str, Handler] = {r.path: getattr(endpoints, r.handler) for r in INFERENCE_ROUTES}
    paths = [route.path for route in router.routes if isinstance(route, APIRoute)] + list(fast)
    metrics = platform.service.metrics
    app.add_middleware(RequestMetrics, metrics=metrics, endpoints=paths)
    app.fast_routes = FastRoutes(fast.get, ERRORS, max_body_bytes, partial(record_request, metrics))
    app.include_router(router)
    app.state.platform = platform
    app.state.alerts = alerts  # where the pipelines register their alert handlers (``alerts.register``)
    service = platform.service
    document(app, lambda: service.expected.values(), platform.settings.limits.max_records)
    return app
