"""The gateway's HTTP endpoints: translate requests into calls on the platform's services and back.

The inference endpoints (``INFERENCE_ROUTES``) are served by the fast path (``http/fast_path.py``) from
the raw body, validated by the request models' compiled validators; the same table gives their
OpenAPI entries (``gateway/http/app.py``). Every other route is a FastAPI route (``api_router``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST
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
from fortress.monitoring.alerts import AlertInbox, WebhookPayload, parse_webhook

T = TypeVar("T")
INFERENCE = "/api/v1/inference"
INFERENCE_BATCH = "/api/v1/inference/batch"
ALERTS = "/api/v1/alerts"


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
    def __init__(self, platform: GatewayPlatform, alerts: AlertInbox) -> None:
        self.platform = platform
        self.service = platform.service
        self.alerts = alerts

    async def investigation(
        self, path: str, headers: Mapping[str, str], body: bytes, client: str | None = None
    ) -> bytes:
        """One investigation's answer (JSON) for a request's headers and raw body (a fast-path handler)."""
        principal = await self.platform.admit(headers, "inference", client)
        check_json(headers.get("content-type"))
        async with self.platform.working:
            request = _parse(REQUEST, body, self.service.bounds().investigation)
            return await self.service.infer(request, principal.id)

    async def investigations(
        self, path: str, headers: Mapping[str, str], body: bytes, client: str | None = None
    ) -> bytes:
        principal = await self.platform.admit(headers, "inference", client)
        check_json(headers.get("content-type"))
        async with self.platform.working:
            parsed = _parse(BATCH_REQUEST, body, self.service.bounds().batch)
            return await self.service.infer_batch(parsed.investigations, principal.id)

    async def models(self, request: Request) -> Response:
        """The served models: versions, routes, feature groups and input fields."""
        await self.platform.admit(request.headers, "inference", _client(request))
        return Response(orjson.dumps(models_overview(self.service)), media_type=JSON)

    async def health(self, request: Request) -> Response:
        """Per-model availability, backends, cache and event sink: ``healthy`` or ``degraded``."""
        await self.platform.admit_ops(
            request.headers, self.platform.settings.auth.open_health, _client(request)
        )
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
        await self.platform.admit_ops(
            request.headers, self.platform.settings.auth.open_metrics, _client(request)
        )
        return Response(await self.platform.render_metrics(), media_type=CONTENT_TYPE_LATEST)

    async def receive_alerts(self, request: Request) -> Response:
        """Alertmanager's webhook (payload version 4, admin scope): record the alerts and hand the
        firing ones to the registered handlers (debounced per alert name and model)."""
        await self.platform.admit(request.headers, "admin", _client(request))
        check_json(request.headers.get("content-type"))
        payload = parse_webhook(await request.body())
        handed = await self.alerts.receive(payload)
        body = {
            "recorded": len(payload.alerts),
            "handed": [{"handler": h.handler, "alertname": h.alertname, "model": h.model} for h in handed],
        }
        return Response(orjson.dumps(body), media_type=JSON)

    async def list_alerts(self, request: Request) -> Response:
        """The alerts received, newest first (admin scope)."""
        await self.platform.admit(request.headers, "admin", _client(request))
        return Response(orjson.dumps({"alerts": await self.alerts.recent()}), media_type=JSON)


def _client(request: Request) -> str | None:
    """The client's address as the server saw it (behind a trusted proxy: uvicorn's proxy headers)."""
    return request.client.host if request.client is not None else None


def _parse(adapter: TypeAdapter[T], body: bytes, check_bounds: Callable[[Any], None]) -> T:
    """orjson, the size bounds (``gateway/bounds.py``: before anything iterates a container), then
    the compiled validator: faster than pydantic's own JSON parsing on large bodies (an
    investigation carries an image as 3,072 numbers)."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from None
    check_bounds(raw)
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
    router.add_api_route(
        ALERTS, e.receive_alerts, methods=["POST"], tags=["alerts"],
        summary="Alertmanager webhook receiver (payload version 4).",
        openapi_extra={"requestBody": {"required": True, "content": {JSON: {"schema": webhook_schema()}}}},
        responses={
            200: {"content": {JSON: {"schema": RECEIVED_SCHEMA}}},
            **error_responses(400, 401, 403, 413, 415, 422, 429),
        },
    )  # fmt: skip
    router.add_api_route(
        ALERTS, e.list_alerts, methods=["GET"], tags=["alerts"], summary="The alerts received, newest first.",
        responses={200: {"content": {JSON: {"schema": LISTED_SCHEMA}}}, **auth_errors},
    )  # fmt: skip
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


RECEIVED_SCHEMA = {
    "type": "object",
    "properties": {
        "recorded": {"type": "integer", "minimum": 0},
        "handed": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {n: {"type": "string"} for n in ("handler", "alertname", "model")},
            },
        },
    },
    "required": ["recorded", "handed"],
}
LISTED_SCHEMA = {
    "type": "object",
    "properties": {"alerts": {"type": "array", "items": {"type": "object"}}},
    "required": ["alerts"],
}


def webhook_schema() -> dict[str, Any]:
    """``WebhookPayload``'s JSON schema with its one nested model inlined (no components needed)."""
    schema = WebhookPayload.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return dict(inline(schema))
