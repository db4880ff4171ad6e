"""The ``ModelBackend`` protocol: one interface for in-process and remote model execution.

A backend knows which models it serves and which version answers each route, without I/O
(``served``), and runs a model on already-encoded input tensors with one call, ``submit``: it refuses
at once what it cannot take, else returns a ``Pending`` call (awaiting it gives the ``ModelAnswer``).
The local backend's calls queue on the runtime's dispatcher; a remote backend's call is a task under
its own timeout and circuit breaker. Errors are domain errors (``fortress.errors``): ``Unavailable``
when the backend cannot answer, ``InvalidInput`` for bad tensors, ``DeadlineExceeded``/``Overloaded``
from ``fortress.runtime.errors``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from fortress.catalog.spec import ModelSpec
from fortress.registry.base import CHAMPION
from fortress.runtime.dispatch import ModelAnswer

__all__ = ["DEFAULT_ROUTE", "BackendModel", "BackendStatus", "ModelAnswer", "ModelBackend", "Pending"]

DEFAULT_ROUTE = CHAMPION
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


class Pending(Protocol):
    """A model call under way: ``runtime.dispatch.Submitted`` in-process, ``backends.remote.RemoteCall``
    for a remote backend. Awaiting it gives the ``ModelAnswer``."""

    @property
    def future(self) -> asyncio.Future[Any]:
        """Done when the call is; cancelling it abandons the call."""

    def answer(self) -> ModelAnswer:
        """Once ``future`` holds a result."""

    def latency(self, waited_s: float) -> float:
        """Seconds the call took, for a caller that waited ``waited_s`` for it among others."""

    def __await__(self) -> Generator[Any, None, ModelAnswer]: ...


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

    def submit(self, name: str, feeds: dict[str, np.ndarray], route: str = DEFAULT_ROUTE) -> Pending:
        """Start running ``name`` (the version behind ``route``) on encoded input tensors (from
        ``catalog.encode``: finite values, as the gateway's always are). Raises at once what it refuses
        before running (unknown model or route, bad tensors, a full queue)."""

    def status(self) -> BackendStatus: ...
