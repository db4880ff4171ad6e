"""Run a plan's models: each on its backend, under one timeout, its fallback answering when it fails.

One path for every backend: each call is submitted at once (``ModelBackend.submit``: the local
backend queues it on the runtime's grouped dispatcher, a remote backend starts a task under its own
timeout and breaker), then every call of the round is awaited together under ``model_timeout_s``.
Models that gave no answer are stood in for by their spec's fallback, in a second round of the same.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from fortress.backends.base import DEFAULT_ROUTE, Pending
from fortress.catalog.spec import ModelSpec
from fortress.errors import FortressError
from fortress.gateway.errors import InvalidFeatures
from fortress.gateway.outcome import Outcome, Summarizer
from fortress.gateway.plan import ModelCall, Plan, encode_call
from fortress.gateway.router import Routed
from fortress.gateway.settings import GatewaySettings
from fortress.monitoring.drift.monitor import DriftMonitor
from fortress.monitoring.gateway_metrics import GatewayMetrics

logger = logging.getLogger(__name__)
NOT_SERVED = "not served by any backend now"


class FanOut:
    drift: DriftMonitor | None = None
    """Set by the platform when ``monitoring.drift_enabled``: every answered call is counted into it."""

    def __init__(
        self, expected: Mapping[str, ModelSpec], metrics: GatewayMetrics, settings: GatewaySettings
    ) -> None:
        """``expected``: the spec of every model the gateway should serve (for fallbacks)."""
        self.expected = expected
        self.metrics = metrics
        self.settings = settings
        self._summarizer = Summarizer()

    async def run_all(self, plan: Plan, served: Mapping[str, Routed]) -> list[Outcome]:
        """Every model of the plan, outcomes in plan order (models no backend serves last)."""
        results: list[Outcome | str] = await self._round(plan.calls)
        results += [NOT_SERVED] * len(plan.missing)
        names = [call.name for call in plan.calls] + list(plan.missing)
        failed = [i for i, result in enumerate(results) if isinstance(result, str)]
        if failed:
            stand_ins: list[ModelCall] = []
            answering: list[str] = []
            for i in failed:
                call_or_reason = self._stand_in(names[i], str(results[i]), plan, served)
                if isinstance(call_or_reason, ModelCall):
                    stand_ins.append(call_or_reason)
                    answering.append(names[i])
                else:
                    results[i] = call_or_reason
            second = iter(await self._round(stand_ins, answering) if stand_ins else ())
            for i in failed:
                if isinstance(results[i], str):
                    results[i] = self._fell_back(names[i], str(results[i]), next(second), served)
        return [r for r in results if isinstance(r, Outcome)]

    async def _round(
        self, calls: Sequence[ModelCall], fallback_for: Sequence[str] | None = None
    ) -> list[Outcome | str]:
        """Submit every call, then await them together under one timeout: each one's outcome, or why
        it failed. ``fallback_for``: the models these calls stand in for (a fallback round)."""
        pending: list[Pending | str] = []
        for call in calls:
            try:
                pending.append(call.routed.backend.submit(call.name, call.feeds))
            except Exception as exc:  # refused before running: this model's failure, not the request's
                pending.append(self._failed(call.name, call.routed, exc))
        futures = [p.future for p in pending if not isinstance(p, str)]
        started = time.perf_counter()
        if futures:
            await _wait_all(futures, self.settings.model_timeout_s)
        waited = time.perf_counter() - started
        results: list[Outcome | str] = []
        for i, (call, p) in enumerate(zip(calls, pending, strict=True)):
            if isinstance(p, str):
                results.append(p)
            elif not p.future.done():
                p.future.cancel()
                results.append(self._failed(call.name, call.routed, TimeoutError()))
            elif p.future.cancelled() or p.future.exception() is not None:
                error = TimeoutError() if p.future.cancelled() else p.future.exception()
                results.append(self._failed(call.name, call.routed, error))
            else:
                stands_in = fallback_for[i] if fallback_for is not None else None
                results.append(self._succeeded(call, p, p.latency(waited), stands_in))
        return results

    def _stand_in(
        self, name: str, error: str, plan: Plan, served: Mapping[str, Routed]
    ) -> ModelCall | Outcome:
        """The call of ``name``'s fallback, or the outcome saying why none can stand in."""
        spec = self.expected.get(name)
        fallback = spec.fallback if spec is not None else None
        if fallback is None:
            return Outcome(name, None, error)
        if fallback not in served:
            return Outcome(name, None, f"{error}; fallback {fallback} is not served either")
        try:
            return encode_call(fallback, served[fallback], plan.records)
        except (KeyError, InvalidFeatures):
            return Outcome(name, None, f"{error}; fallback {fallback} lacks its features in this request")

    def _fell_back(
        self, name: str, error: str, result: Outcome | str, served: Mapping[str, Routed]
    ) -> Outcome:
        if isinstance(result, str):
            spec = self.expected.get(name)
            return Outcome(name, None, f"{error}; fallback {spec.fallback if spec else None}: {result}")
        routed = served.get(name)
        version = routed.model.version if routed is not None else None
        self.metrics.served(name, version, DEFAULT_ROUTE).fallback.inc()
        return Outcome(
            name, result.prediction, error, result.risk, result.confidence, result.probabilities, result.feeds
        )

    def _succeeded(
        self, call: ModelCall, pending: Pending, seconds: float, fallback_for: str | None
    ) -> Outcome:
        answer = pending.answer()
        metrics = self.metrics.served(call.name, answer.version, DEFAULT_ROUTE)
        metrics.latency.observe(seconds)
        metrics.success.inc()
        metrics.availability.set(1)
        spec = call.routed.model.spec
        prediction, risk, confidence = self._summarizer.prediction(spec, answer, DEFAULT_ROUTE, fallback_for)
        metrics.confidence.observe(confidence)
        metrics.predicted(prediction["label"], len(spec.labels)).inc()
        drift = self.drift
        if drift is not None:  # the one place served rows reach drift counting: after encoding, answered
            drift.observe(call.name, answer.version, call.feeds, answer.probabilities)
        return Outcome(call.name, prediction, "", risk, confidence, answer.probabilities, call.feeds)

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
        metrics = self.metrics.served(name, routed.model.version, DEFAULT_ROUTE)
        metrics.error.inc()
        metrics.availability.set(0)
        return reason


async def _wait_all(futures: list[asyncio.Future[Any]], timeout: float) -> None:
    """Until every future is done or ``timeout`` passed. Calls queued together usually finish in the
    same job, so the last one is awaited alone first; only those still running after it are waited for."""
    deadline = time.perf_counter() + timeout
    await asyncio.wait(futures[-1:], timeout=timeout)
    rest = [f for f in futures if not f.done()]
    left = deadline - time.perf_counter()
    if rest and left > 0:
        await asyncio.wait(rest, timeout=left)
