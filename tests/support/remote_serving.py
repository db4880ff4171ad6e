"""The model server in-process for remote-backend tests: its runtime and an ASGI transport on its app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
from prometheus_client import CollectorRegistry

from fortress.backends.remote_settings import RemoteBackendSettings
from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.runtime.manager import ModelRuntime
from fortress.server.app import create_app
from fortress.server.settings import ServerSettings
from fortress.settings import Settings

TINY, URL = "tiny_detector", "phishing_url"
TINY_FEEDS = {
    "numeric": np.array([[0.5, -1.0], [-0.3, 0.2], [1.5, 0.0], [0.1, 0.1]], dtype=np.float32),
    "categorical": np.array([["udp"], ["tcp"], ["sctp"], ["udp"]], dtype=object),
}
URL_FEEDS = {
    "text": np.array(
        [
            ["http://10.2.1.2/paypal-login/verify?id=7"],
            ["https://www.example3.com/news/12"],
            ["ünïcode.example/ä"],
        ],
        dtype=object,
    )
}
"""Rows for tiny_detector (numeric + categorical) and phishing_url (text), as the gateway encodes them."""

APP_URL = "http://model-server"
"""Base URL of the in-process app (any host: the ASGI transport never resolves it)."""


@dataclass(frozen=True, slots=True)
class InProcessServer:
    runtime: ModelRuntime
    transport: httpx.ASGITransport
    grpc_url: str | None

    async def local(self, name: str, feeds: dict[str, np.ndarray], **target: Any) -> tuple[int, np.ndarray]:
        """What the server's own runtime answers for these rows: (version, probabilities)."""
        runtime = self.runtime
        answer = await runtime.submit(runtime.resolve(name, **target), feeds)
        return answer.version, answer.probabilities


@asynccontextmanager
async def model_server(settings: Settings, grpc_port: int = 0) -> AsyncIterator[InProcessServer]:
    """``fortress serve``'s app over a started runtime (lifespan run, gRPC on ``grpc_port`` if set)."""
    metrics = CollectorRegistry()
    runtime = ModelRuntime(
        MlflowRegistry(settings.registry, settings.home), settings.runtime, RuntimeMetrics(metrics)
    )
    app = create_app(runtime, ServerSettings(grpc_port=grpc_port), metrics)
    async with app.router.lifespan_context(app):
        grpc_url = f"127.0.0.1:{grpc_port}" if grpc_port else None
        yield InProcessServer(runtime, httpx.ASGITransport(app=app), grpc_url)


def remote_settings(kind: str, url: str = APP_URL, **overrides: Any) -> RemoteBackendSettings:
    return RemoteBackendSettings.model_validate({"kind": kind, "url": url, **overrides})


Fault = Callable[[httpx.Request], Awaitable[httpx.Response | None]]


class FaultyTransport(httpx.AsyncBaseTransport):
    """Passes requests to ``inner``; while ``fault`` is set it sees each request first and may answer
    it (a response), raise (e.g. ``httpx.ConnectError``), wait, or pass it on (None)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.fault: Fault | None = None
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fault is not None:
            response = await self.fault(request)
            if response is not None:
                return response
        return await self.inner.handle_async_request(request)
