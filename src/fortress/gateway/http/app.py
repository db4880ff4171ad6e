"""Build the gateway's FastAPI app around a platform: routes, fast path, body limit, errors, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from fortress import __version__
from fortress.gateway.http.api import INFERENCE_ROUTES, Endpoints, FastRoute, api_router
from fortress.gateway.http.errors import ERROR_RESPONSES, ERRORS
from fortress.gateway.http.request_metrics import RequestMetrics, record_request
from fortress.gateway.platform import GatewayPlatform
from fortress.gateway.schema import ErrorBody
from fortress.http.fast_path import FastRoutes, Handler, InFront
from fortress.http.limits import BodyLimit


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
    endpoints = Endpoints(platform)
    router = api_router(endpoints)
    fast: dict[str, Handler] = {r.path: getattr(endpoints, r.handler) for r in INFERENCE_ROUTES}
    paths = [route.path for route in router.routes if isinstance(route, APIRoute)] + list(fast)
    metrics = platform.service.metrics
    app.add_middleware(RequestMetrics, metrics=metrics, endpoints=paths)
    app.fast_routes = FastRoutes(fast.get, ERRORS, max_body_bytes, partial(record_request, metrics))
    app.include_router(router)
    app.state.platform = platform
    _document_fast_routes(app)
    return app


def _document_fast_routes(app: FastAPI) -> None:
    """Put ``INFERENCE_ROUTES`` (served by the fast path, so unknown to FastAPI's router) in the schema:
    request and response models, and the error responses from the error table."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for route in INFERENCE_ROUTES:
            for model in (route.request, route.response, ErrorBody):
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
            schema.setdefault("paths", {})[route.path] = {"post": _operation(route)}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _ref(model: type[Any]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def _operation(route: FastRoute) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "Successful Response", "content": _ref(route.response)}
    }
    for status, entry in ERROR_RESPONSES.items():
        responses[str(status)] = {"description": entry["description"], "content": _ref(entry["model"])}
    return {
        "tags": ["inference"],
        "summary": route.summary,
        "operationId": route.handler,
        "requestBody": {"required": True, "content": _ref(route.request)},
        "responses": responses,
    }
