"""Run a plan's models: each on its backend, under its timeout, its fallback answering when it fails.

Calls a backend queues in this process (the local backend's grouped dispatch: ``submit``) are queued
together and awaited as one, under one timeout, with no task per model; calls to remote backends run
as tasks, each under its own timeout and circuit breaker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Mapping
from typing import Any

from fortress.backends.base import DEFAULT_ROUTE, ModelAnswer, Submitted
from fortress.catalog.spec import ModelSpec
from fortress.errors import FortressError
from fortress.gateway.errors import InvalidFeatures
from fortress.gateway.outcome import Outcome, Summarizer
from fortress.gateway.plan import ModelCall, Plan, encode_call
from fortress.gateway.router import Routed
from fortress.gateway.settings import GatewaySettings
from fortress.monitoring.gateway_metrics import GatewayMetrics

logger = logging.getLogger(__name__)


class FanOut:
    def __init__(
        self, expected: Mapping[str, ModelSpec], metrics: GatewayMetrics, settings: GatewaySettings
    ) -> None:
        """``expected``: the spec of every model the gateway should serve (for fallbacks)."""
        self.expected = expected
        self.metrics = metrics
        self.settings = settings
        self._summarizer = Summarizer()

    async def run_all(self, plan: Plan, served: Mapping[str, Routed]) -> list[Outcome]:
        """Every model of the plan, outcomes in plan order. Calls a backend queues in this process
        (``submit``) are queued together and awaited as one, under one timeout, with no task per model;
        the others (remote backends) run as tasks, each under its own timeout."""
        tasks: list[tuple[int, Coroutine[Any, Any, Outcome]]] = []
        queued: list[tuple[int, ModelCall, Submitted]] = []
        for i, call in enumerate(plan.calls):
            try:
                submitted = call.routed.backend.submit(call.name, call.feeds)
            except Exception as exc:  # refused before running: this model's failure, not the request's
                tasks.append(
                    (i, self._fall_back(call.name, self._failed(call.name, call.routed, exc), plan, served))
                )
                continue
            if submitted is None:
                tasks.append((i, self._run(call, plan, served)))
            else:
                queued.append((i, call, submitted))
        missing = "not served by any backend now"
        tasks += [
            (len(plan.calls) + j, self._fall_back(n, missing, plan, served))
            for j, n in enumerate(plan.missing)
        ]
        outcomes: list[Outcome | None] = [None] * (len(plan.calls) + len(plan.missing))
        others = asyncio.gather(*(task for _, task in tasks)) if tasks else None
        try:
            if queued:
                for i, outcome in await self._await_queued(queued, plan, served):
                    outcomes[i] = outcome
            if others is not None:
                for (i, _), outcome in zip(tasks, await others, strict=True):
                    outcomes[i] = outcome
        except BaseException:
            if others is not None:
                others.cancel()
            raise
        return [o for o in outcomes if o is not None]

    async def _await_queued(
        self, queued: list[tuple[int, ModelCall, Submitted]], plan: Plan, served: Mapping[str, Routed]
    ) -> list[tuple[int, Outcome]]:
        started = time.perf_counter()
        done = await _wait_all([q.future for _, _, q in queued], self.settings.model_timeout_s)
        elapsed = time.perf_counter() - started
        out: list[tuple[int, Outcome]] = []
        retries: list[tuple[int, Coroutine[Any, Any, Outcome]]] = []
        for i, call, submitted in queued:
            future = submitted.future
            if future in done and future.exception() is None:
                out.append((i, self._succeeded(call, submitted.answer(), elapsed, None)))
                continue
            if future in done:
                reason = self._failed(call.name, call.routed, future.exception())
            else:
                future.cancel()
                reason = self._failed(call.name, call.routed, TimeoutError())
            retries.append((i, self._fall_back(call.name, reason, plan, served)))
        if retries:
            outcomes = await asyncio.gather(*(retry for _, retry in retries))
            out += [(i, outcome) for (i, _), outcome in zip(retries, outcomes, strict=True)]
        return out

    async def _run(self, call: ModelCall, plan: Plan, served: Mapping[str, Routed]) -> Outcome:
        outcome = await self._attempt(call, None)
        if isinstance(outcome, Outcome):
            return outcome
        return await self._fall_back(call.name, outcome, plan, served)

    async def _fall_back(self, name: str, error: str, plan: Plan, served: Mapping[str, Routed]) -> Outcome:
        """``name`` gave no answer (``error``): its spec's fallback answers in its place if it can."""
        spec = self.expected.get(name)
        fallback = spec.fallback if spec is not None else None
        if fallback is None:
            return Outcome(name, None, error)
        if fallback not in served:
            return Outcome(name, None, f"{error}; fallback {fallback} is not served either")
        try:
            stand_in = encode_call(fallback, served[fallback], plan.records)
        except (KeyError, InvalidFeatures):
            return Outcome(name, None, f"{error}; fallback {fallback} lacks its features in this request")
        outcome = await self._attempt(stand_in, name)
        if isinstance(outcome, Outcome):
            self.metrics.for_model(name).fallback.inc()
            return Outcome(name, outcome.prediction, error, outcome.risk, outcome.confidence)
        return Outcome(name, None, f"{error}; fallback {fallback}: {outcome}")

    async def _attempt(self, call: ModelCall, fallback_for: str | None) -> Outcome | str:
        """The model's outcome, or why it failed."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.model_timeout_s):
                answer = await call.routed.backend.predict(call.name, call.feeds)
        except Exception as exc:
            return self._failed(call.name, call.routed, exc)
        return self._succeeded(call, answer, time.perf_counter() - started, fallback_for)

    def _succeeded(
        self, call: ModelCall, answer: ModelAnswer, seconds: float, fallback_for: str | None
    ) -> Outcome:
        metrics = self.metrics.for_model(call.name)
        metrics.latency.observe(seconds)
        metrics.success.inc()
        metrics.availability.set(1)
        prediction, risk, confidence = self._summarizer.prediction(
            call.routed.model.spec, answer, DEFAULT_ROUTE, fallback_for
        )
        metrics.confidence.observe(confidence)
        return Outcome(call.name, prediction, "", risk, confidence)

    def _failed(self, name: str, routed: Routed, exc: BaseException | None) -> str:
        """Count a failed call of ``name`` and say why it failed."""
        kind = routed.backend.kind
        if isinstance(exc, TimeoutError):
            reason = f"timed out after {self.settings.model_timeout_s:g} s ({kind} backend)"
        elif isinstance(exc, FortressError):
            reason = f"{exc} ({kind} backend)"
        else:  # a bug or an unexpected client error: one model, not the request
            logger.error("model %s failed on the %s backend", name, kind, exc_info=exc)
            reason = f"{type(exc).__name__} ({kind} backend)"
        metrics = self.metrics.for_model(name)
        metrics.error.inc()
        metrics.availability.set(0)
        return reason


async def _wait_all(futures: list[asyncio.Future[Any]], timeout: float) -> set[asyncio.Future[Any]]:
    """The futures done within ``timeout``. Calls queued together usually finish in the same job, so
    the last one is awaited alone first; only those still running after it are waited for."""
    deadline = time.perf_counter() + timeout
    await asyncio.wait(futures[-1:], timeout=timeout)
    rest = [f for f in futures if not f.done()]
    left = deadline - time.perf_counter()
    if rest and left > 0:
        await asyncio.wait(rest, timeout=left)
    return {f for f in futures if f.done()}
