"""The ensemble service: plan, cache, fan out to the models, fall back, vote, audit, count.

It decides everything about an inference and knows nothing of HTTP: the API layer hands it validated
requests and a caller id, and gets the response body (JSON bytes) back.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from fortress.catalog.spec import ModelSpec
from fortress.features.store import FeatureStore
from fortress.features.views import GROUPS as STORE_GROUPS
from fortress.gateway.bounds import RequestBounds
from fortress.gateway.cache.base import ResultCache
from fortress.gateway.cache.entry import CachedResult
from fortress.gateway.cache.errors import CacheUnavailable
from fortress.gateway.ensemble import Vote, vote
from fortress.gateway.errors import BadRequest, InvalidFeatures
from fortress.gateway.events.base import AuditEvent, EventSink
from fortress.gateway.fanout import FanOut
from fortress.gateway.outcome import Outcome
from fortress.gateway.plan import Known, Plan, make_plan
from fortress.gateway.router import ModelRouter, Routed
from fortress.gateway.schema import InferenceRequest
from fortress.gateway.settings import GatewaySettings
from fortress.gateway.store_features import with_store_features
from fortress.monitoring.drift.monitor import DriftMonitor
from fortress.monitoring.gateway_metrics import GatewayMetrics
from fortress.monitoring.inference_log.log import InferenceLog
from fortress.monitoring.store_metrics import FeatureStoreMetrics


class EnsembleService:
    def __init__(
        self,
        router: ModelRouter,
        expected: Mapping[str, ModelSpec],
        cache: ResultCache | None,
        events: EventSink,
        metrics: GatewayMetrics,
        settings: GatewaySettings,
    ) -> None:
        """``expected``: the spec of every model this gateway should serve (served now or not)."""
        self.router = router
        self.expected = dict(expected)
        self._groups = {name: spec.feature_group for name, spec in expected.items()}
        self.cache = cache
        self.events = events
        self.metrics = metrics
        self.settings = settings
        self._fanout = FanOut(self.expected, metrics, settings)
        self._seen: Mapping[str, Routed] | None = None
        self._admission = asyncio.Semaphore(settings.max_concurrent)
        self.features: FeatureStore | None = None
        """Set by the platform when ``feature_store`` is on."""
        self.store_metrics: FeatureStoreMetrics | None = None
        """Set by the platform: what the store gave per group (FeatureStoreStale)."""
        self._store_groups = sorted({s.feature_group for s in expected.values()} & set(STORE_GROUPS))
        """The served models' feature groups that a feature store can fill."""
        self._known = Known.of(self._groups, {})
        self._bounds = RequestBounds(self.expected.values(), settings.limits)
        self._event_prefix = os.urandom(8).hex()
        self._event_numbers = itertools.count(1)
        """Event ids: 32 hex digits, a random prefix per service and a counter (no syscall per event)."""
        self.inference_log: InferenceLog | None = None
        """Set by the platform when ``monitoring.inference_log.enabled``."""

    # ---- planning -------------------------------------------------------------------------
    def view(self) -> tuple[Mapping[str, Routed], Known]:
        served = self.router.served()
        if served is not self._seen:
            self._known, self._seen = Known.of(self._groups, served), served
            specs = [*self.expected.values(), *(r.model.spec for r in served.values())]
            self._bounds = RequestBounds(specs, self.settings.limits)
        return served, self._known

    def bounds(self) -> RequestBounds:
        """The size limits of requests for the models known now: check them before validating."""
        self.view()
        return self._bounds

    def plan(self, request: InferenceRequest) -> Plan:
        served, known = self.view()
        return make_plan(request, served, known, self.settings.limits, with_cache=self.cache is not None)

    def count_drift(self, monitor: DriftMonitor) -> None:
        """Count every answered model call into ``monitor`` (``monitoring.drift_enabled``)."""
        self._fanout.drift = monitor

    # ---- inference ------------------------------------------------------------------------
    async def prepare(self, request: InferenceRequest) -> tuple[Plan, dict[str, Any] | None]:
        """The plan, after store features were merged in when the request names entities."""
        report = None
        if request.entities and self.features is not None:
            request, report = await with_store_features(request, self.features, self._store_groups)
            if self.store_metrics is not None:
                self.store_metrics.count(report)
        return self.plan(request), report

    async def infer(self, request: InferenceRequest, caller: str) -> bytes:
        started = time.perf_counter()
        plan, report = await self.prepare(request)
        return await self.execute(plan, caller, started, report)

    async def infer_batch(self, requests: Sequence[InferenceRequest], caller: str) -> bytes:
        started = time.perf_counter()
        if len(requests) > self.settings.limits.max_investigations:
            raise BadRequest(
                f"{len(requests)} investigations; at most {self.settings.limits.max_investigations} per batch"
            )
        prepared = []
        for i, request in enumerate(requests):
            try:
                prepared.append(await self.prepare(request))
            except (BadRequest, InvalidFeatures) as exc:
                raise type(exc)(f"investigations[{i}]: {exc}") from None
        parts = await asyncio.gather(*(self.execute(p, caller, started, r) for p, r in prepared))
        return b'{"results":[' + b",".join(parts) + b"]}"

    async def execute(
        self, plan: Plan, caller: str, started: float, features: dict[str, Any] | None = None
    ) -> bytes:
        if plan.cache_key is not None:
            hit = await self._cached(plan.cache_key)
            if hit is not None:
                return self._finish(
                    plan, caller, started, hit.body, hit.verdict, hit.risk, True, False, features
                )
        async with self._admission:  # model timeouts start once the investigation's turn comes
            outcomes = await self._fanout.run_all(plan, self._seen or {})
        result, verdict, risk, degraded = self._result(plan, outcomes)
        log = self.inference_log
        if log is not None:
            self._log(log, plan, outcomes, degraded)
        if plan.cache_key is not None and not degraded:
            await self._store(plan.cache_key, CachedResult(verdict, risk, result))
        return self._finish(plan, caller, started, result, verdict, risk, False, degraded, features)

    def _result(self, plan: Plan, outcomes: Sequence[Outcome]) -> tuple[bytes, str, float, bool]:
        predictions: dict[str, Any] = {}
        confidence: dict[str, float] = {}
        unavailable: dict[str, str] = {}
        votes: list[Vote] = []
        requested_weight = 0.0
        served = self._seen or {}
        for outcome in outcomes:
            weight = self._weight(outcome.name, served)
            requested_weight += weight
            if outcome.error:
                unavailable[outcome.name] = outcome.error
            if outcome.prediction is not None:
                predictions[outcome.name] = outcome.prediction
                confidence[outcome.name] = outcome.confidence
                votes.append(Vote(outcome.name, weight, outcome.risk))
        ensemble = vote(votes, requested_weight, self.settings.ensemble) if votes else None
        verdict = str(ensemble["verdict"]) if ensemble else "unknown"
        risk = float(ensemble["risk_score"]) if ensemble else 0.0  # type: ignore[arg-type]
        body = {
            "predictions": predictions,
            "confidence_scores": confidence,
            "ensemble": ensemble,
            "degraded": bool(unavailable),
            "unavailable": unavailable,
        }
        return orjson.dumps(body), verdict, risk, bool(unavailable)

    def _log(self, log: InferenceLog, plan: Plan, outcomes: Sequence[Outcome], degraded: bool) -> None:
        """The request path's share of the inference log: one draw, then a queue append per logged
        answer (sampled, degraded, or below ``low_confidence``). Cached answers are not logged."""
        sampled = log.sample()
        low = log.low_confidence
        served = self._seen or {}
        now = None
        for outcome in outcomes:
            prediction, probabilities = outcome.prediction, outcome.probabilities
            if prediction is None or probabilities is None:
                continue
            if not (sampled or degraded or outcome.confidence < low):
                continue
            routed = served.get(prediction["model"])
            if routed is None:
                continue
            spec = routed.model.spec
            records = plan.records.get(spec.feature_group)
            if records is None or len(records) != len(probabilities):
                continue
            now = now or log.clock()
            log.log(
                plan.request.investigation_id,
                prediction["model"],
                prediction["version"],
                prediction["route"],
                spec,
                records,
                probabilities,
                sampled=sampled,
                degraded=degraded,
                fallback_for=prediction["fallback_for"],
                now=now,
                feeds=outcome.feeds,
            )

    def _weight(self, name: str, served: Mapping[str, Routed]) -> float:
        routed = served.get(name)
        if routed is not None:
            return routed.model.spec.weight
        spec = self.expected.get(name)
        return spec.weight if spec is not None else 1.0

    def _finish(
        self,
        plan: Plan,
        caller: str,
        started: float,
        result: bytes,
        verdict: str,
        risk: float,
        cached: bool,
        degraded: bool,
        features: dict[str, Any] | None,
    ) -> bytes:
        latency_ms = (time.perf_counter() - started) * 1000.0
        request = plan.request
        self.events.emit(
            AuditEvent(
                event_id=f"{self._event_prefix}{next(self._event_numbers):016x}",
                timestamp=time.time(),
                investigation_id=request.investigation_id,
                caller=caller,
                models={c.name: c.routed.model.version for c in plan.calls},
                verdict=verdict,
                risk=risk,
                degraded=degraded,
                cached=cached,
                latency_ms=latency_ms,
            )
        )
        self.metrics.verdicts.labels(verdict).inc()
        head = {"investigation_id": request.investigation_id, "latency_ms": latency_ms, "cached": cached}
        if features is not None:
            head["features"] = features
        return orjson.dumps(head)[:-1] + b"," + result[1:]  # splice: no re-encoding of the result

    # ---- cache ----------------------------------------------------------------------------
    async def _cached(self, key: str) -> CachedResult | None:
        """The entry under ``key``; ``None`` on a miss, and when the cache is down or the entry corrupt
        (``CacheCorrupt`` is a ``CacheUnavailable``): those count as cache errors."""
        assert self.cache is not None
        try:
            raw = await self.cache.get(key)
            hit = None if raw is None else CachedResult.decode(raw)
        except CacheUnavailable:
            self.metrics.cache_error.inc()
            return None
        (self.metrics.cache_hit if hit is not None else self.metrics.cache_miss).inc()
        return hit

    async def _store(self, key: str, entry: CachedResult) -> None:
        assert self.cache is not None
        try:
            await self.cache.set(key, entry.encode(), self.settings.cache.ttl_s)
        except CacheUnavailable:
            self.metrics.cache_error.inc()
