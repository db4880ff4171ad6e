"""Build the gateway's FastAPI app around a platform: routes, body limit, error handlers, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from fortress import __version__
from fortress.errors import FortressError
from fortress.gateway.api import INFERENCE, INFERENCE_BATCH, Endpoints, api_router
from fortress.gateway.http_errors import any_error_response, fortress_error, http_error, internal_error
from fortress.gateway.platform import GatewayPlatform
from fortress.gateway.request_metrics import RequestMetrics, record_request
from fortress.gateway.schema import BatchRequest, InferenceRequest
from fortress.server.fast_path import Handler, serve_in_front
from fortress.server.limits import BodyLimit


def create_app(platform: GatewayPlatform) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await platform.start()
        try:
            yield
        finally:
            await platform.aclose()

    app = FastAPI(
        title="Fortress ensemble gateway",
        version=__version__,
        description="Investigation inference over the Fortress security ensemble.",
        lifespan=lifespan,
        exception_handlers={
            FortressError: fortress_error,
            HTTPException: http_error,
            Exception: internal_error,
        },
    )
    max_body_bytes = platform.settings.limits.max_body_bytes
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    endpoints = Endpoints(platform)
    router = api_router(endpoints)
    paths = [route.path for route in router.routes if isinstance(route, APIRoute)]
    metrics = platform.service.metrics
    app.add_middleware(RequestMetrics, metrics=metrics, endpoints=paths)
    fast: dict[str, Handler] = {INFERENCE: endpoints.investigation, INFERENCE_BATCH: endpoints.investigations}
    serve_in_front(
        app, fast.get, any_error_response, max_body_bytes, observe=partial(record_request, metrics)
    )
    app.include_router(router)
    app.state.platform = platform
    _document_request_bodies(app)
    return app


def _document_request_bodies(app: FastAPI) -> None:
    """The inference routes validate raw bodies themselves; put their request models in the schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (InferenceRequest, BatchRequest):
            body = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(body.pop("$defs", {}))
            components[model.__name__] = body
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
