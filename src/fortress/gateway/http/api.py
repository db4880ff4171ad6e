"""The gateway's HTTP endpoints: translate requests into calls on the platform's services and back.

The inference endpoints (``INFERENCE_ROUTES``) are served by the fast path (``http/fast_path.py``) from
the raw body, validated by the request models' compiled validators; the same table gives their
OpenAPI entries (``gateway/http/app.py``). Every other route is a FastAPI route (``api_router``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

import orjson
from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.responses import PlainTextResponse, Response

from fortress.errors import InvalidInput
from fortress.gateway.http.errors import JSON, check_json, error_responses, validation_error
from fortress.gateway.platform import GatewayPlatform
from fortress.gateway.schema import (
    BATCH_REQUEST,
    REQUEST,
    BatchRequest,
    BatchResponse,
    InferenceRequest,
    InferenceResponse,
)
from fortress.gateway.status import health, models_overview, ready

T = TypeVar("T")
INFERENCE = "/api/v1/inference"
INFERENCE_BATCH = "/api/v1/inference/batch"


@dataclass(frozen=True, slots=True)
class FastRoute:
    """A hot POST route, declared once: what serves it and what OpenAPI says of it."""

    path: str
    handler: str
    """The ``Endpoints`` method (a fast-path ``Handler``)."""
    request: type[BaseModel]
    response: type[BaseModel]
    summary: str


INFERENCE_ROUTES = (
    FastRoute(
        INFERENCE, "investigation", InferenceRequest, InferenceResponse,
        "Run one investigation through the ensemble.",
    ),
    FastRoute(
        INFERENCE_BATCH, "investigations", BatchRequest, BatchResponse,
        "Run many investigations in one call; results come back in request order.",
    ),
)  # fmt: skip


class Endpoints:
    def __init__(self, platform: GatewayPlatform) -> None:
        self.platform = platform
        self.service = platform.service

    async def investigation(self, path: str, headers: Mapping[str, str], body: bytes) -> bytes:
        """One investigation's answer (JSON) for a request's headers and raw body (a fast-path handler)."""
        principal = await self.platform.admit(headers, "inference")
        check_json(headers.get("content-type"))
        async with self.platform.working:
            return await self.service.infer(_parse(REQUEST, body), principal.id)

    async def investigations(self, path: str, headers: Mapping[str, str], body: bytes) -> bytes:
        principal = await self.platform.admit(headers, "inference")
        check_json(headers.get("content-type"))
        async with self.platform.working:
            parsed = _parse(BATCH_REQUEST, body)
            return await self.service.infer_batch(parsed.investigations, principal.id)

    async def models(self, request: Request) -> Response:
        """The served models: versions, routes, feature groups and input fields."""
        await self.platform.admit(request.headers, "inference")
        return Response(orjson.dumps(models_overview(self.service)), media_type=JSON)

    async def health(self, request: Request) -> Response:
        """Per-model availability, backends, cache and event sink: ``healthy`` or ``degraded``."""
        await self.platform.admit_ops(request.headers, self.platform.settings.auth.open_health)
        return Response(orjson.dumps(health(self.service, self.platform.limiter.status())), media_type=JSON)

    async def live(self) -> Response:
        """The process is up."""
        return Response(b'{"status":"live"}', media_type=JSON)

    async def ready(self) -> Response:
        """At least one model can answer."""
        ok = ready(self.service)
        return Response(orjson.dumps({"ready": ok}), 200 if ok else 503, media_type=JSON)

    async def metrics(self, request: Request) -> Response:
        """Prometheus text format."""
        await self.platform.admit_ops(request.headers, self.platform.settings.auth.open_metrics)
        return Response(generate_latest(self.platform.metrics_registry), media_type=CONTENT_TYPE_LATEST)


def _parse(adapter: TypeAdapter[T], body: bytes) -> T:
    """orjson then the compiled validator: faster than pydantic's own JSON parsing on large bodies
    (an investigation carries an image as 3,072 numbers)."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from None
    try:
        return adapter.validate_python(raw)
    except ValidationError as exc:
        raise validation_error(exc) from None


def api_router(e: Endpoints) -> APIRouter:
    """Every route but the fast ones (``INFERENCE_ROUTES``)."""
    router = APIRouter()
    auth_errors = error_responses(401, 403, 429)
    ops_errors = error_responses(401, 403)
    router.add_api_route("/api/v1/models", e.models, methods=["GET"], tags=["models"], responses=auth_errors)
    router.add_api_route("/health", e.health, methods=["GET"], tags=["health"], responses=ops_errors)
    router.add_api_route("/health/live", e.live, methods=["GET"], tags=["health"])
    router.add_api_route(
        "/health/ready", e.ready, methods=["GET"], tags=["health"],
        responses={503: {"description": "No model can answer yet"}},
    )  # fmt: skip
    router.add_api_route(
        "/metrics", e.metrics, methods=["GET"], tags=["health"], response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **ops_errors},
    )  # fmt: skip
    return router
