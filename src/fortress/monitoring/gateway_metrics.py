"""Prometheus metrics of the ensemble gateway, on an injected registry, with the blueprint's names.

Lock-free (``monitoring.fast_metrics``): a request updates a few dozen of them. Per-model children are
resolved once per model (``for_model``), not per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from fortress.monitoring.fast_metrics import (
    CounterChild,
    FastCollector,
    FastCounter,
    FastGauge,
    FastHistogram,
    GaugeChild,
    HistogramChild,
)
from fortress.monitoring.runtime_metrics import LATENCY_BUCKETS

CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass(frozen=True, slots=True)
class ModelMetrics:
    """The children of one model, resolved once."""

    success: CounterChild
    error: CounterChild
    fallback: CounterChild
    latency: HistogramChild
    confidence: HistogramChild
    availability: GaugeChild


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        fast = FastCollector(registry)
        self.inference_total = fast.add(
            FastCounter("ml_inference_total", "Model inferences by outcome", ("model", "status"))
        )
        self.inference_latency = fast.add(
            FastHistogram(
                "ml_inference_latency_seconds", "Latency of one model's inference as the gateway sees it",
                ("model",), LATENCY_BUCKETS,
            )
        )  # fmt: skip
        self.model_availability = fast.add(
            FastGauge(
                "ml_model_availability",
                "1 when the model answered its last call, 0 when it failed",
                ("model",),
            )
        )
        self.confidence_scores = fast.add(
            FastHistogram(
                "ml_confidence_scores", "Confidence of each model's answers", ("model",), CONFIDENCE_BUCKETS
            )
        )
        self.requests = fast.add(
            FastCounter("fortress_gateway_requests_total", "Gateway API requests", ("endpoint", "status"))
        )
        self.request_seconds = fast.add(
            FastHistogram(
                "fortress_gateway_request_seconds",
                "Gateway API request latency",
                ("endpoint",),
                REQUEST_BUCKETS,
            )
        )
        self.cache = fast.add(
            FastCounter(
                "fortress_gateway_cache_total", "Result cache lookups and writes by outcome", ("outcome",)
            )
        )
        self.verdicts = fast.add(
            FastCounter("fortress_gateway_verdicts_total", "Ensemble verdicts", ("verdict",))
        )
        self.cache_hit = self.cache.labels("hit")
        self.cache_miss = self.cache.labels("miss")
        self.cache_error = self.cache.labels("error")
        self._models: dict[str, ModelMetrics] = {}

    def for_model(self, model: str) -> ModelMetrics:
        found = self._models.get(model)
        if found is None:
            found = ModelMetrics(
                self.inference_total.labels(model, "success"),
                self.inference_total.labels(model, "error"),
                self.inference_total.labels(model, "fallback"),
                self.inference_latency.labels(model),
                self.confidence_scores.labels(model),
                self.model_availability.labels(model),
            )
            self._models[model] = found
        return found
