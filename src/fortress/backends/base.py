"""The ``ModelBackend`` protocol: one interface for in-process and remote model execution.

A backend knows which models it serves and which version answers each route, without I/O
(``served``), and runs a model on already-encoded input tensors (``predict``). Errors are domain
errors (``fortress.errors``): ``Unavailable`` when the backend cannot answer, ``InvalidInput`` for
bad tensors, ``DeadlineExceeded``/``Overloaded`` from ``fortress.runtime.errors``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from fortress.catalog.spec import ModelSpec

DEFAULT_ROUTE = "champion"
"""The route a request takes unless routing sends it elsewhere (e.g. ``canary``)."""


@dataclass(frozen=True, slots=True)
class BackendModel:
    """A model as a backend serves it: its spec and the version behind each route (label)."""

    spec: ModelSpec
    routes: Mapping[str, int]
    """Route (registry alias such as ``champion`` or ``canary``) -> version. Always has DEFAULT_ROUTE."""

    @property
    def version(self) -> int:
        return self.routes[DEFAULT_ROUTE]


@dataclass(frozen=True, slots=True)
class ModelAnswer:
    model: str
    version: int
    probabilities: np.ndarray
    """float32 [rows, len(spec.labels)], rows in request order."""


@dataclass(frozen=True, slots=True)
class Submitted:
    """A queued model call: which version takes it and the future of its probabilities."""

    model: str
    version: int
    future: asyncio.Future[np.ndarray]

    def answer(self) -> ModelAnswer:
        """Once the future holds a result."""
        return ModelAnswer(self.model, self.version, self.future.result())


@dataclass(frozen=True, slots=True)
class BackendStatus:
    ok: bool
    detail: str = ""
    models: Mapping[str, bool] = field(default_factory=dict)
    """Per model: can it answer now?"""


class ModelBackend(Protocol):
    kind: str
    """``local``, ``tfserving`` or ``v2``."""

    async def start(self) -> None:
        """Connect / load; must not raise when the far side is down (status says so)."""

    async def aclose(self) -> None: ...

    def served(self) -> Mapping[str, BackendModel]:
        """The models this backend can run now. Hot path: no I/O, no copying."""

    async def predict(
        self, name: str, feeds: dict[str, np.ndarray], route: str = DEFAULT_ROUTE
    ) -> ModelAnswer:
        """Run ``name`` (the version behind ``route``) on encoded input tensors."""

    def submit(self, name: str, feeds: dict[str, np.ndarray], route: str = DEFAULT_ROUTE) -> Submitted | None:
        """Queue the call now without awaiting it (a backend whose calls queue in this process), raising
        what ``predict`` would raise before running; ``None``: this backend answers through ``predict``.
        ``feeds`` come from ``catalog.encode`` (finite values), as the gateway's always do."""

    def status(self) -> BackendStatus: ...
