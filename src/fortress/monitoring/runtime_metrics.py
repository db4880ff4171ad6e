"""Prometheus metrics of the model runtime, on an injected registry (never the global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class RuntimeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("model", "version")
        self.queue_depth = Gauge(
            "fortress_batch_queue_rows", "Rows waiting in a model's batch queue", labels, registry=registry
        )
        self.queue_seconds = Histogram(
            "fortress_batch_queue_seconds", "Time a request waited before its batch ran", labels,
            buckets=LATENCY_BUCKETS, registry=registry,
        )  # fmt: skip
        self.batch_rows = Histogram(
            "fortress_batch_rows", "Rows per executed batch", labels, buckets=BATCH_BUCKETS, registry=registry
        )
        self.compute_seconds = Histogram(
            "fortress_batch_compute_seconds", "Model execution time per batch", labels,
            buckets=LATENCY_BUCKETS, registry=registry,
        )  # fmt: skip
        self.rejected = Counter(
            "fortress_batch_rejected_total", "Requests rejected by the batcher", (*labels, "reason"),
            registry=registry,
        )  # fmt: skip
        self.loaded = Gauge(
            "fortress_model_loaded", "1 while a model version is loaded and ready", labels, registry=registry
        )
