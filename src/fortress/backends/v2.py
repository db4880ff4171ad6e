"""Models on an Open Inference Protocol v2 server (``fortress serve``, Triton, KServe), over REST or gRPC.

The wire is a ``V2Client`` (``v2_http``: REST, FP32 in Triton's binary tensor form; ``v2_grpc``:
gRPC with raw or typed contents); this module decides what to ask. A v2 answer carries
``model_version``, so predictions address routes, not versions: the default route goes without a
version (the server's default answers: ``fortress serve``'s champion, Triton's newest), other routes
as a label (``versions/canary``, which ``fortress serve`` resolves), and the answer says which version
ran; ``served()`` follows it.

Status poll per model: model metadata (``versions``: is it served, which versions are loaded) and, for
the canary, ``versions/canary/ready``. v2 metadata does not say which version a route resolves to, so
the first time a route is seen, or when its last known version is no longer loaded, one probe
inference (one row of zeros / empty strings) asks the server; if the default route cannot be probed,
the newest loaded version stands in (Triton's default policy).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

import httpx
import numpy as np

from fortress.backends.base import DEFAULT_ROUTE, BackendModel, ModelAnswer
from fortress.backends.errors import NotServed
from fortress.backends.remote import CANARY_ROUTE, RemoteBackend
from fortress.backends.remote_settings import RemoteBackendSettings
from fortress.backends.v2_http import HttpV2Client
from fortress.backends.v2_tensors import version_label
from fortress.catalog.spec import ModelSpec
from fortress.errors import InvalidInput, Overloaded

logger = logging.getLogger(__name__)


class V2Client(Protocol):
    """One v2 server over one protocol; errors are domain errors (``remote.BackendDown`` etc.)."""

    async def connect(self) -> None: ...

    async def aclose(self) -> None: ...

    async def versions(self, name: str, where: str) -> list[int]:
        """The loaded versions of ``name`` (model metadata); ``NotServed`` when it is not served."""

    async def ready(self, name: str, version: str, where: str) -> bool: ...

    async def infer(
        self, name: str, version: str, feeds: Mapping[str, np.ndarray], shape: tuple[int, int], where: str
    ) -> tuple[int, np.ndarray]:
        """(version that answered, probabilities float32 ``shape``)."""


class V2Backend(RemoteBackend):
    kind = "v2"

    def __init__(
        self,
        settings: RemoteBackendSettings,
        specs: Mapping[str, ModelSpec],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(settings, specs)
        self._client: V2Client
        if settings.protocol == "grpc":
            if transport is not None:
                raise ValueError("an httpx transport only applies to protocol 'http'")
            from fortress.backends.v2_grpc import GrpcV2Client  # grpc is loaded only when used

            self._client = GrpcV2Client(settings)
        else:
            self._client = HttpV2Client(settings, transport)
        self._answered: dict[tuple[str, str], int] = {}
        """(model, route) -> the version that last answered it."""

    async def _connect(self) -> None:
        await self._client.connect()

    async def _disconnect(self) -> None:
        await self._client.aclose()

    async def _routes(self, spec: ModelSpec) -> dict[str, int] | None:
        name, where = spec.name, self._where(spec.name)
        try:
            versions = await self._client.versions(name, where)
        except NotServed:
            return None
        routes: dict[str, int] = {}
        for route in (DEFAULT_ROUTE, CANARY_ROUTE):
            if route != DEFAULT_ROUTE and not await self._client.ready(name, version_label(route), where):
                continue
            version = self._answered.get((name, route))
            if version is None or (versions and version not in versions):
                version = await self._probe(spec, route, where)
            if version is None and route == DEFAULT_ROUTE and versions:
                version = max(versions)
            if version is not None:
                routes[route] = version
        return routes if DEFAULT_ROUTE in routes else None

    async def _probe(self, spec: ModelSpec, route: str, where: str) -> int | None:
        """The version behind ``route``, from a one-row inference; None when the server refuses it."""
        feeds = {t.name: _zeros(t.dtype, (1, *t.shape)) for t in spec.inputs}
        try:
            version, _ = await self._client.infer(
                spec.name, version_label(route), feeds, (1, len(spec.labels)), where
            )
        except (NotServed, InvalidInput, Overloaded) as exc:
            if isinstance(exc, InvalidInput):  # the gateway's spec and the server's model disagree
                logger.warning("%s: probe of route %r refused: %s", where, route, exc)
            return None
        self._answered[spec.name, route] = version
        return version

    async def _call(
        self, model: BackendModel, feeds: dict[str, np.ndarray], route: str, version: int
    ) -> ModelAnswer:
        name = model.spec.name
        rows = len(next(iter(feeds.values()))) if feeds else 0
        shape = (rows, len(model.spec.labels))
        answered, probabilities = await self._client.infer(
            name, version_label(route), feeds, shape, self._where(name)
        )
        self._answered[name, route] = answered
        if answered != version:  # the route moved on the server since the last poll
            self._observe(name, route, answered)
        return ModelAnswer(name, answered, probabilities)

    def _where(self, name: str) -> str:
        return f"v2 backend {self.url} ({self.settings.protocol}), model {name!r}"


def _zeros(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    return np.full(shape, "", dtype=object) if dtype == "string" else np.zeros(shape, np.float32)
