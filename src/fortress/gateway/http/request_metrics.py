"""Count and time every API request by endpoint and status (pure ASGI: sees errors and 404s too)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fortress.monitoring.gateway_metrics import GatewayMetrics

OTHER = "other"
"""Paths that are not API endpoints share one label (bounded cardinality)."""


class RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: GatewayMetrics, endpoints: Iterable[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.endpoints = frozenset(endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in self.endpoints else OTHER
        started = time.perf_counter()
        status = 500

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            record_request(self.metrics, path, status, time.perf_counter() - started)


def record_request(metrics: GatewayMetrics, path: str, status: int, seconds: float) -> None:
    """Count one request (``path``: an endpoint, or ``OTHER``) and its duration."""
    metrics.requests.labels(path, str(status)).inc()
    metrics.request_seconds.labels(path).observe(seconds)
