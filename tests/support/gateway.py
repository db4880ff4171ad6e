"""The gateway over a real registry, in-process: three small models, an app client, a broken backend.

Models: ``tiny_detector`` (group ``tiny``), ``tiny_primary`` (group ``tiny``, falls back to
``tiny_detector``) and ``phishing_url`` (group ``url``, no fallback).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import Any

import httpx
import numpy as np

from fortress.backends.base import DEFAULT_ROUTE, BackendModel, BackendStatus, ModelAnswer
from fortress.backends.remote import RemoteCall
from fortress.catalog.spec import ModelSpec
from fortress.errors import Unavailable
from fortress.gateway.http.app import create_app
from fortress.gateway.platform import GatewayPlatform, build_platform
from fortress.gateway.router import ModelRouter
from fortress.registry.base import CHAMPION, Candidate
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings

from .candidates import SPEC, tiny_candidate
from .serving import text_candidate

PRIMARY_SPEC = dataclasses.replace(SPEC, name="tiny_primary", fallback="tiny_detector")
TINY = {"x": 0.3, "y": -1.2, "proto": "udp"}
URL = {"url": "http://10.2.1.2/paypal-login/verify?id=7"}


def gateway_candidates() -> list[Candidate]:
    tiny = tiny_candidate(seed=1)[0]
    return [tiny, dataclasses.replace(tiny, spec=PRIMARY_SPEC), text_candidate()]


def register_gateway_models(settings: Settings, candidates: Iterable[Candidate]) -> MlflowRegistry:
    registry = MlflowRegistry(settings.registry, settings.home)
    for candidate in candidates:
        info = registry.register(candidate)
        registry.set_alias(info.name, CHAMPION, info.version)
    return registry


def investigation(investigation_id: str = "inv-1", **extra: Any) -> dict[str, Any]:
    return {"investigation_id": investigation_id, "features": {"tiny": TINY, "url": URL}, **extra}


class BrokenBackend:
    """A backend (our own protocol) that lists its models and fails every call, as a dead server would
    (after ``delay_s``: a hung one)."""

    kind = "broken"

    def __init__(self, specs: Mapping[str, ModelSpec], delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.hung_out = 0
        """Calls that waited their whole ``delay_s`` (none, while the gateway's own timeout is shorter)."""
        self.in_flight = 0
        self.most_in_flight = 0
        """The most calls that were waiting on this backend at the same time."""
        self._served = MappingProxyType(
            {name: BackendModel(spec, {DEFAULT_ROUTE: 1}) for name, spec in specs.items()}
        )

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def served(self) -> Mapping[str, BackendModel]:
        return self._served

    def submit(self, name: str, feeds: dict[str, np.ndarray], route: str = DEFAULT_ROUTE) -> RemoteCall:
        return RemoteCall(self._call(name))

    async def _call(self, name: str) -> ModelAnswer:
        if self.delay_s:  # a server that hangs
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.delay_s)
            finally:
                self.in_flight -= 1
            self.hung_out += 1
        raise Unavailable(f"connection refused calling {name}")

    def status(self) -> BackendStatus:
        return BackendStatus(False, "connection refused", dict.fromkeys(self._served, False))


def client_at(client: httpx.AsyncClient, address: str) -> httpx.AsyncClient:
    """Another in-process client of ``client``'s app whose requests come from ``address``."""
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=transport.app, client=(address, 40000)), base_url="http://gateway"
    )


@asynccontextmanager
async def gateway_client(
    settings: Settings, *, broken: Iterable[str] = (), hang_s: float = 0.0
) -> AsyncIterator[tuple[httpx.AsyncClient, GatewayPlatform]]:
    """The app over a started platform (its lifespan runs), with an in-process HTTP client (whose
    requests come from 127.0.0.1; ``client_at`` gives clients at other addresses).

    ``broken``: models routed to a ``BrokenBackend`` (hanging ``hang_s`` first) instead of the runtime.
    """
    platform = build_platform(settings, MlflowRegistry(settings.registry, settings.home))
    broken = list(broken)
    if broken:
        router = platform.service.router
        specs = {name: platform.service.expected[name] for name in broken}
        platform.service.router = ModelRouter(
            {**router.backends, "broken": BrokenBackend(specs, hang_s)},
            {**router.assignment, **dict.fromkeys(broken, "broken")},
            router.default,
        )
    app = create_app(platform)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client, platform
