"""Prometheus metrics of the inference log, on an injected registry."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge

QUEUE_FULL = "queue_full"
"""The in-memory queue held ``queue_max_rows`` rows (or the log was closed)."""
OVER_SIZE = "over_size"
"""The Parquet log already held ``max_bytes``."""
WRITE_ERROR = "write_error"
"""The disk refused the file (or the rows could not be encoded)."""
REASONS = (QUEUE_FULL, OVER_SIZE, WRITE_ERROR)


class InferenceLogMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.written = Counter(
            "fortress_inference_log_rows_written", "Inference log rows written to Parquet files",
            ("sink",), registry=registry,
        )  # fmt: skip
        self.dropped = Counter(
            "fortress_inference_log_rows_dropped",
            "Inference log rows lost, by reason (queue_full, over_size, write_error)",
            ("sink", "reason"), registry=registry,
        )  # fmt: skip
        self.queued = Gauge(
            "fortress_inference_log_queue_rows", "Inference log rows queued in memory for the writer",
            ("sink",), registry=registry,
        )  # fmt: skip
        self.bytes = Gauge(
            "fortress_inference_log_bytes", "Bytes of Parquet inference log on disk (as last measured)",
            registry=registry,
        )  # fmt: skip

    def for_sink(self, sink: str) -> None:
        """Every reason's series at 0 from the start."""
        self.written.labels(sink)
        for reason in REASONS:
            self.dropped.labels(sink, reason)

    def drop(self, sink: str, reason: str, n: int = 1) -> None:
        if n:
            self.dropped.labels(sink, reason).inc(n)

    def watch_queue(self, sink: str, size: Callable[[], int]) -> None:
        self.queued.labels(sink).set_function(lambda: float(size()))
