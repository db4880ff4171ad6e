"""What every remote backend shares: the status poll, the served view, and the breaker around calls.

A subclass says how to connect, how to learn one model's routes from the server (``_routes``) and how
to run one call (``_call``); this class polls every ``status_poll_s`` (every ``recovery_poll_s``
while the server is away or the circuit open, and at once after the server said a route's version is
gone), keeps ``served()`` as one mapping that changes identity only when its
content changes, and turns call outcomes into breaker verdicts: unreachable / timeout / 5xx
(``BackendDown``) count as failures; any answer of the server (even 4xx or 429) counts as a success.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Coroutine, Generator, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from fortress.aliases import CANARY
from fortress.backends.base import DEFAULT_ROUTE, BackendModel, BackendStatus, ModelAnswer
from fortress.backends.breaker import BreakerState, CircuitBreaker
from fortress.backends.errors import BackendDown, NotServed
from fortress.backends.remote_settings import RemoteBackendSettings
from fortress.catalog.spec import ModelSpec
from fortress.errors import FortressError, Unavailable, UnknownModel
from fortress.runtime.errors import ModelNotLoaded

logger = logging.getLogger(__name__)

CANARY_ROUTE = CANARY


class RemoteCall:
    """A remote model call running as a task (under the backend's timeout and breaker)."""

    __slots__ = ("future", "seconds")

    def __init__(self, call: Coroutine[Any, Any, ModelAnswer]) -> None:
        self.seconds = 0.0
        self.future: asyncio.Task[ModelAnswer] = asyncio.get_running_loop().create_task(self._timed(call))

    async def _timed(self, call: Coroutine[Any, Any, ModelAnswer]) -> ModelAnswer:
        started = time.perf_counter()
        try:
            return await call
        finally:
            self.seconds = time.perf_counter() - started

    def answer(self) -> ModelAnswer:
        return self.future.result()

    def latency(self, waited_s: float) -> float:
        return self.seconds

    def __await__(self) -> Generator[Any, None, ModelAnswer]:
        return self.future.__await__()


class RemoteBackend(ABC):
    kind: str

    def __init__(self, settings: RemoteBackendSettings, specs: Mapping[str, ModelSpec]) -> None:
        if settings.kind != self.kind:
            raise ValueError(
                f"{type(self).__name__} needs settings of kind {self.kind!r}, got {settings.kind!r}"
            )
        self.settings = settings
        self.specs: Mapping[str, ModelSpec] = MappingProxyType(dict(specs))
        self.url = settings.url
        self.breaker = CircuitBreaker(
            settings.breaker_failures, settings.breaker_reset_s, name=f"{self.kind} backend {self.url}"
        )
        self._served: Mapping[str, BackendModel] = MappingProxyType({})
        self._problems: dict[str, str] = dict.fromkeys(self.specs, "not polled yet")
        self._reachable = False
        self._wake = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    # ---- what a protocol provides --------------------------------------------------------------
    @abstractmethod
    async def _connect(self) -> None: ...

    @abstractmethod
    async def _disconnect(self) -> None: ...

    @abstractmethod
    async def _routes(self, spec: ModelSpec) -> dict[str, int] | None:
        """Route -> version for one model (with DEFAULT_ROUTE), None when the server does not serve it.
        Raises ``BackendDown`` when the server cannot be asked."""

    @abstractmethod
    async def _call(
        self, model: BackendModel, feeds: dict[str, np.ndarray], route: str, version: int
    ) -> ModelAnswer:
        """One prediction; errors are domain errors (``BackendDown`` for the server's failures)."""

    # ---- ModelBackend ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect and poll once (a down server is recorded, not raised); then poll in the background."""
        await self._connect()
        await self.poll()
        self._poller = asyncio.get_running_loop().create_task(
            self._poll_loop(), name=f"fortress-{self.kind}-status-{self.url}"
        )

    async def aclose(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        await self._disconnect()

    def served(self) -> Mapping[str, BackendModel]:
        return self._served

    def status(self) -> BackendStatus:
        open_circuit = self.breaker.state is BreakerState.OPEN
        models = {name: name in self._served and not open_circuit for name in self.specs}
        problems = [f"{name}: {why}" for name, why in sorted(self._problems.items())]
        if open_circuit:
            problems.insert(0, f"circuit open (last error: {self.breaker.last_error})")
        detail = f"{self.kind} {self.url}" + (": " + "; ".join(problems) if problems else "")
        return BackendStatus(self._reachable and not open_circuit, detail, models)

    def submit(self, name: str, feeds: dict[str, np.ndarray], route: str = DEFAULT_ROUTE) -> RemoteCall:
        model = self._served.get(name)
        if model is None:
            if name not in self.specs:
                raise UnknownModel(name, list(self.specs))
            why = self._problems.get(name, "not served")
            raise Unavailable(f"{self.kind} backend {self.url}: model {name!r} is not available ({why})")
        version = model.routes.get(route)
        if version is None:
            raise ModelNotLoaded(
                f"{self.kind} backend {self.url}: model {name!r} has no {route!r} version "
                f"(routes: {', '.join(sorted(model.routes))})"
            )
        return RemoteCall(self._guarded(model, feeds, route, version))

    async def _guarded(
        self, model: BackendModel, feeds: dict[str, np.ndarray], route: str, version: int
    ) -> ModelAnswer:
        """One call under the breaker: checked when the task starts (a task cancelled before it runs
        holds no trial), each outcome recorded."""
        self.breaker.check()
        try:
            answer = await self._call(model, feeds, route, version)
        except BackendDown as exc:
            self.breaker.record_failure(str(exc))
            raise
        except NotServed:
            self.breaker.record_success()
            self._wake.set()  # the route moved on the server: learn where, now
            raise
        except FortressError:
            self.breaker.record_success()
            raise
        except BaseException:  # cancelled by the caller (or a bug): no verdict on the server
            self.breaker.release()
            raise
        self.breaker.record_success()
        return answer

    # ---- status polling ------------------------------------------------------------------------
    async def poll(self) -> None:
        """Ask the server about every model once and update ``served()`` and ``status()``."""
        specs = list(self.specs.values())
        results = await asyncio.gather(*(self._routes(spec) for spec in specs), return_exceptions=True)
        served: dict[str, BackendModel] = {}
        problems: dict[str, str] = {}
        down = 0
        for spec, result in zip(specs, results, strict=True):
            if isinstance(result, dict):
                served[spec.name] = BackendModel(spec, MappingProxyType(result))
            elif result is None:
                problems[spec.name] = "not served by the server"
            elif isinstance(result, FortressError):
                down += isinstance(result, BackendDown)
                problems[spec.name] = str(result)
            else:
                logger.error("status poll of %s failed", spec.name, exc_info=result)
                problems[spec.name] = f"status poll failed: {result!r}"
        reachable = not specs or down < len(specs)
        if reachable != self._reachable:
            if reachable:
                logger.info("%s backend %s reachable", self.kind, self.url)
            else:
                logger.warning(
                    "%s backend %s unreachable: %s", self.kind, self.url, "; ".join(problems.values())
                )
        self._reachable, self._problems = reachable, problems
        if reachable and specs:
            self.breaker.allow_trial()
        self._publish(served)

    def _publish(self, served: Mapping[str, BackendModel]) -> None:
        """Swap in a new view only when it differs (readers compare views by identity)."""
        if dict(served) != dict(self._served):
            self._served = MappingProxyType(dict(served))

    def _observe(self, name: str, route: str, version: int) -> None:
        """The server answered ``route`` of ``name`` with ``version``: make the view say so."""
        model = self._served.get(name)
        if model is not None and model.routes.get(route) != version:
            routes = MappingProxyType({**model.routes, route: version})
            self._publish({**self._served, name: BackendModel(model.spec, routes)})

    def _next_poll_s(self) -> float:
        """``status_poll_s``, or ``recovery_poll_s`` while the server is away or the circuit open."""
        healthy = self._reachable and self.breaker.state is BreakerState.CLOSED
        if healthy:
            return self.settings.status_poll_s
        return min(self.settings.recovery_poll_s, self.settings.status_poll_s)

    async def _poll_loop(self) -> None:
        """Wake every ``recovery_poll_s`` (or on ``_wake``) and poll when ``_next_poll_s`` is due, so
        a server that goes away mid-wait is watched closely from then on."""
        loop = asyncio.get_running_loop()
        step = min(self.settings.recovery_poll_s, self.settings.status_poll_s)
        last = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(step):
                    await self._wake.wait()
            if not self._wake.is_set() and loop.time() - last < self._next_poll_s():
                continue
            self._wake.clear()
            last = loop.time()
            try:
                await self.poll()
            except Exception:  # never let the poller die; the next round tries again
                logger.exception("status poll of %s backend %s failed", self.kind, self.url)
