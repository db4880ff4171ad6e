"""Prometheus metrics of the model runtime, on an injected registry (never the global one).

They are updated on every call from the event loop, so they are the lock-free kind
(``monitoring.fast_metrics``); the text Prometheus scrapes is the same.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from fortress.monitoring.fast_metrics import FastCollector, FastCounter, FastGauge, FastHistogram

LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class RuntimeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("model", "version")
        fast = FastCollector(registry)
        self.queue_depth = fast.add(
            FastGauge("fortress_batch_queue_rows", "Rows waiting in a model's batch queue", labels)
        )
        self.queue_seconds = fast.add(
            FastHistogram(
                "fortress_batch_queue_seconds", "Time a request waited before its batch ran", labels,
                LATENCY_BUCKETS,
            )
        )  # fmt: skip
        self.batch_rows = fast.add(
            FastHistogram("fortress_batch_rows", "Rows per executed batch", labels, BATCH_BUCKETS)
        )
        self.compute_seconds = fast.add(
            FastHistogram(
                "fortress_batch_compute_seconds", "Model execution time per batch", labels, LATENCY_BUCKETS
            )
        )
        self.rejected = fast.add(
            FastCounter(
                "fortress_batch_rejected_total", "Requests rejected by the batcher", (*labels, "reason")
            )
        )
        self.loaded = fast.add(
            FastGauge("fortress_model_loaded", "1 while a model version is loaded and ready", labels)
        )
