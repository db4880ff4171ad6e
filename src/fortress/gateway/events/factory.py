"""Builds the audit-event sink the settings ask for (the gateway's wiring calls this once)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from fortress.gateway.events.base import EventSink
from fortress.gateway.events.local import FileEventSink
from fortress.gateway.events.metrics import EventMetrics
from fortress.gateway.events.settings import EventSettings


def build_event_sink(settings: EventSettings, home: Path, metrics: CollectorRegistry) -> EventSink:
    """A sink that has not opened anything yet: call ``await sink.start()`` in the lifespan.

    Its metrics go on ``metrics`` (build one sink per registry)."""
    event_metrics = EventMetrics(metrics)
    if settings.sink == "kafka":
        from fortress.gateway.events.kafka import KafkaEventSink  # confluent-kafka only where used

        return KafkaEventSink(settings, settings.spool_path(home), event_metrics)
    return FileEventSink(
        settings.log_path(home),
        event_metrics,
        fsync_interval_ms=settings.fsync_interval_ms,
        buffer_max_events=settings.buffer_max_events,
    )
