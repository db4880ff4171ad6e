"""The gateway's one wiring place: build every part from settings, start them in order, close them
in reverse. Nothing here runs at import time; ``build_platform`` is called by the entry point.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from fortress.backends.base import ModelBackend
from fortress.catalog.spec import ModelSpec
from fortress.errors import Unauthorized
from fortress.features.settings import FeatureSettings
from fortress.gateway.auth.authenticator import Authenticator
from fortress.gateway.auth.failures import FailureThrottle
from fortress.gateway.auth.keys import key_store
from fortress.gateway.auth.principal import ANONYMOUS, Principal
from fortress.gateway.auth.ratelimit import RateLimiter, build_rate_limiter
from fortress.gateway.cache.factory import build_result_cache
from fortress.gateway.events.base import RawEvent
from fortress.gateway.events.factory import build_event_sink
from fortress.gateway.events.metrics import EventMetrics
from fortress.gateway.events.settings import EventSettings
from fortress.gateway.router import ModelRouter
from fortress.gateway.service import EnsembleService
from fortress.gateway.settings import LOCAL, GatewaySettings
from fortress.monitoring.drift.collector import DriftCollector
from fortress.monitoring.drift.monitor import DriftMonitor
from fortress.monitoring.export import LocalExport, MetricsExport, metrics_export
from fortress.monitoring.gateway_metrics import GatewayMetrics
from fortress.monitoring.inference_log.log import InferenceLog, RowSink
from fortress.monitoring.inference_log.metrics import InferenceLogMetrics
from fortress.monitoring.inference_log.writer import ParquetSink
from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.monitoring.settings import AlertSettings, MonitoringSettings
from fortress.monitoring.store_metrics import FeatureStoreMetrics
from fortress.process import freeze_startup_objects
from fortress.registry.base import CHAMPION, ModelRegistry
from fortress.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class GatewayPlatform:
    settings: GatewaySettings
    service: EnsembleService
    authenticator: Authenticator
    limiter: RateLimiter
    metrics_registry: CollectorRegistry
    features: FeatureSettings
    home: Path
    freeze_gc: bool = False
    """A server process (not a test process): once started, keep what startup loaded out of the GC."""
    failures: FailureThrottle | None = None
    """Failed authentications per client address (``auth.max_failures_per_address``)."""
    drift: DriftMonitor | None = None
    """Drift counting and scores (``monitoring.drift_enabled``), ticking in the background once started."""
    metrics_export: MetricsExport | None = None
    """What ``/metrics`` answers: this process's registry (default), or every worker's."""
    inference_log: InferenceLog | None = None
    """Sampled rows and answers (``monitoring.inference_log.enabled``), written by its own thread."""
    alert_settings: AlertSettings = field(default_factory=AlertSettings)
    """The Alertmanager webhook receiver's (``monitoring.alerts``; the HTTP layer builds the inbox)."""
    working: asyncio.Semaphore = field(init=False)
    """Inference requests being parsed and run at once (``max_concurrent``); the rest wait their
    turn with their body read but not parsed, so a flood of connections cannot fill the event loop
    with parsing work that delays the admitted requests past their model timeouts."""

    def __post_init__(self) -> None:
        self.working = asyncio.Semaphore(self.settings.max_concurrent)
        if self.metrics_export is None:
            self.metrics_export = LocalExport(self.metrics_registry)

    async def render_metrics(self) -> bytes:
        assert self.metrics_export is not None
        return await self.metrics_export.render()

    async def start(self) -> None:
        assert self.metrics_export is not None
        self.metrics_export.start()
        if self.drift is not None:
            self.drift.start()
        service = self.service
        await service.events.start()
        if self.inference_log is not None:
            try:
                await self.inference_log.start()
            except OSError as exc:  # a monitoring aid: serve without it rather than not at all
                logger.error("inference log off: %s", exc)
                self.inference_log = service.inference_log = None
        if service.cache is not None:
            await service.cache.start()
        if self.settings.feature_store:
            from fortress.features.feast_store import FeastFeatureStore

            service.features = await FeastFeatureStore.open(self.features, self.home)
        await service.router.start()
        if self.freeze_gc:
            freeze_startup_objects()

    async def aclose(self) -> None:
        service = self.service
        await service.router.aclose()
        if service.features is not None:
            await service.features.aclose()
        if service.cache is not None:
            await service.cache.aclose()
        await self.limiter.aclose()
        if self.failures is not None:
            await self.failures.aclose()
        await service.events.aclose()
        if self.inference_log is not None:
            await self.inference_log.aclose()
        if self.drift is not None:
            await self.drift.aclose()
        assert self.metrics_export is not None
        await self.metrics_export.aclose()  # the last flush: what this worker counted, to the end

    async def admit(self, headers: Mapping[str, str], scope: str, client: str | None = None) -> Principal:
        """Authenticate (401, 429 for an address with too many failures), authorize (403), then
        rate-limit (429) one request from ``client`` (its address, when the server knows it)."""
        if not self.settings.auth.enabled:  # no header lookups on the hot path when nobody is checked
            principal = ANONYMOUS
        else:
            principal = await self._authenticate(headers, client)
        self.authenticator.require(principal, scope)
        await self.limiter.acquire(principal.caller)
        return principal

    async def admit_ops(
        self, headers: Mapping[str, str], open_access: bool, client: str | None = None
    ) -> None:
        """Health and metrics: open, or for callers holding the ``admin`` scope."""
        if not open_access:
            principal = await self._authenticate(headers, client)
            self.authenticator.require(principal, "admin")

    async def _authenticate(self, headers: Mapping[str, str], client: str | None) -> Principal:
        failures = self.failures
        if failures is None:
            return self.authenticator.authenticate(headers.get("authorization"), headers.get("x-api-key"))
        failures.check(client)
        try:
            return self.authenticator.authenticate(headers.get("authorization"), headers.get("x-api-key"))
        except Unauthorized:
            await failures.failed(client)  # 429 instead once the address has failed too often
            raise


def build_platform(
    settings: Settings, registry: ModelRegistry, *, freeze_gc: bool = False
) -> GatewayPlatform:
    gateway = settings.gateway
    metrics_registry = CollectorRegistry(auto_describe=True)
    names = gateway.models if gateway.models is not None else registry.model_names()
    specs = _specs(registry, names)
    backends = _backends(settings, registry, specs, metrics_registry)
    router = ModelRouter(backends, gateway.model_backends, gateway.default_backend)
    service = EnsembleService(
        router,
        specs,
        build_result_cache(gateway.cache),
        build_event_sink(gateway.events, settings.home, metrics_registry),
        GatewayMetrics(metrics_registry),
        gateway,
    )
    service.store_metrics = FeatureStoreMetrics(metrics_registry)
    authenticator = Authenticator(gateway.auth, key_store(settings.home, gateway.auth))
    limiter = build_rate_limiter(gateway.rate_limit)
    drift = drift_monitor(settings.monitoring, registry, metrics_registry)
    if drift is not None:
        service.count_drift(drift)
    log = inference_log(settings, metrics_registry)
    service.inference_log = log
    return GatewayPlatform(
        gateway,
        service,
        authenticator,
        limiter,
        metrics_registry,
        settings.features,
        settings.home,
        freeze_gc,
        failure_throttle(gateway),
        drift,
        metrics_export(metrics_registry, settings.monitoring),
        log,
        settings.monitoring.alerts,
    )


def drift_monitor(
    monitoring: MonitoringSettings, registry: ModelRegistry, metrics_registry: CollectorRegistry
) -> DriftMonitor | None:
    """Counts into each served version's drift reference, read from the registry when first served."""
    if not monitoring.drift_enabled:
        return None

    def load(model: str, version: int) -> tuple[ModelSpec, Mapping[str, Any]]:
        fetched = registry.fetch(model, version)
        return fetched.spec, fetched.baseline

    monitor = DriftMonitor(monitoring.drift, load)
    DriftCollector(monitor, metrics_registry)
    return monitor


def inference_log(settings: Settings, metrics_registry: CollectorRegistry) -> InferenceLog | None:
    """The inference log on its sink: Parquet files in the offline store, or Kafka through the audit
    events' producer, spool and pump (the same delivery guarantee, its own topic and spool)."""
    log = settings.monitoring.inference_log
    if not log.enabled:
        return None
    sink: RowSink
    if log.sink == "kafka":
        from fortress.gateway.events.kafka import KafkaEventSink  # confluent-kafka only where used

        events = EventSettings(
            sink="kafka",
            kafka_bootstrap=log.kafka_bootstrap,
            kafka_topic=log.kafka_topic,
            kafka_config=log.kafka_config,
            buffer_max_events=log.queue_max_rows,
        )
        metrics = EventMetrics(metrics_registry, "fortress_inference_log_kafka", "Inference log rows")
        sink = KafkaEventSink(
            events, log.spool_path(settings.home), metrics, decode=RawEvent.from_json, name="inference-log"
        )
    else:
        root = log.log_dir(settings.features.repo_root(settings.home))
        sink = ParquetSink(root, log, InferenceLogMetrics(metrics_registry))
    return InferenceLog(log, sink)


def failure_throttle(gateway: GatewaySettings) -> FailureThrottle | None:
    """Per-address buckets of failed authentications, where the rate limits keep theirs."""
    auth = gateway.auth
    if not auth.enabled or not auth.max_failures_per_address:
        return None
    buckets = gateway.rate_limit.model_copy(
        update={
            "enabled": True,
            "rate_per_s": auth.max_failures_per_address / auth.failure_window_s,
            "burst": auth.max_failures_per_address,
        }
    )
    limit, window = auth.max_failures_per_address, auth.failure_window_s
    return FailureThrottle(build_rate_limiter(buckets), limit, window, max_tracked=buckets.max_buckets)


def _specs(registry: ModelRegistry, names: list[str]) -> dict[str, ModelSpec]:
    """Each model's spec as its champion was registered (remote backends encode with it); the catalog's
    when the registry cannot give it, so that the model is reported unavailable rather than unknown."""
    from fortress.catalog import get_spec, model_names

    specs: dict[str, ModelSpec] = {}
    for name in names:
        try:
            specs[name] = registry.fetch(name, CHAMPION).spec
        except Exception as exc:  # a broken model is reported unavailable, never fatal
            logger.warning("cannot fetch %s@%s (%s): it will be reported unavailable", name, CHAMPION, exc)
            if name in model_names():
                specs[name] = get_spec(name)
    return specs


def _backends(
    settings: Settings,
    registry: ModelRegistry,
    specs: Mapping[str, ModelSpec],
    metrics_registry: CollectorRegistry,
) -> dict[str, ModelBackend]:
    gateway = settings.gateway

    def assigned(model: str) -> str:
        return gateway.model_backends.get(model, gateway.default_backend)

    used = {assigned(name) for name in specs} | {gateway.default_backend}
    backends: dict[str, ModelBackend] = {}
    if LOCAL in used:
        from fortress.backends.local import LocalBackend
        from fortress.runtime.dispatch import grouped
        from fortress.runtime.manager import ModelRuntime

        local_models = [n for n in specs if assigned(n) == LOCAL]
        runtime_settings = settings.runtime.model_copy(update={"models": local_models})
        runtime = ModelRuntime(
            registry, runtime_settings, RuntimeMetrics(metrics_registry), dispatch=grouped
        )  # an investigation asks a dozen models at once: one compute job for all of them
        backends[LOCAL] = LocalBackend(runtime)
    for name, remote in gateway.backends.items():
        if name in used:
            backends[name] = _remote(remote, {n: s for n, s in specs.items() if assigned(n) == name})
    return backends


def _remote(remote: object, specs: Mapping[str, ModelSpec]) -> ModelBackend:
    from fortress.backends.remote_settings import RemoteBackendSettings

    assert isinstance(remote, RemoteBackendSettings)
    if remote.kind == "tfserving":
        from fortress.backends.tfserving import TfServingBackend

        return TfServingBackend(remote, specs)
    from fortress.backends.v2 import V2Backend

    return V2Backend(remote, specs)
