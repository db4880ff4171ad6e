"""Prometheus metrics of the audit-event sinks, on an injected registry (never the global one)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

FSYNC_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

WRITTEN = "written"
"""Appended to the log and fsync'ed (file), or acknowledged by Kafka on the first attempt."""
SPOOLED = "spooled"
"""Kafka did not take it (down, timed out): written to the disk spool."""
REPLAYED = "replayed"
"""Taken from the spool and acknowledged by Kafka."""
DROPPED = "dropped"
"""Lost: the memory buffer was full, the sink was closed, or the disk refused the write."""


class EventMetrics:
    def __init__(
        self, registry: CollectorRegistry, prefix: str = "fortress_audit", subject: str = "Audit events"
    ) -> None:
        """``prefix`` and ``subject``: another kind of event on the same machinery (the inference log's
        Kafka sink: ``fortress_inference_log_kafka``)."""
        self.events = Counter(
            f"{prefix}_events", f"{subject} by sink and outcome (written/spooled/replayed/dropped)",
            ("sink", "outcome"), registry=registry,
        )  # fmt: skip
        self.spooled = Gauge(
            f"{prefix}_spool_events",
            f"{subject} waiting on disk for replay to Kafka",
            registry=registry,
        )
        self.buffered = Gauge(
            f"{prefix}_buffer_events", f"{subject} queued in memory for the sink's writer", ("sink",),
            registry=registry,
        )  # fmt: skip
        self.fsync_seconds = Histogram(
            f"{prefix}_fsync_seconds", f"Time of one batched write + fsync ({subject})",
            ("sink",), buckets=FSYNC_BUCKETS, registry=registry,
        )  # fmt: skip

    def count(self, sink: str, outcome: str, n: int = 1) -> None:
        if n:
            self.events.labels(sink, outcome).inc(n)

    def watch_buffer(self, sink: str, size: Callable[[], int]) -> None:
        self.buffered.labels(sink).set_function(lambda: float(size()))
