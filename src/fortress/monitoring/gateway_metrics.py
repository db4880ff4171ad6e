"""Prometheus metrics of the ensemble gateway, on an injected registry, with the blueprint's names.

Lock-free (``monitoring.fast_metrics``): a request updates a few dozen of them. The per-model series
carry the version that answered and its route (``champion``, ``canary``, ``shadow``: what the rollout
work needs); their children are resolved once per served (model, version, route) (``served``), not per
request. Series counts: docs/MONITORING.md, "Metrics".
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


SERVED = ("model", "version", "route")
MAX_PREDICTION_LABELS = 10
"""A model with more labels (``writing_style``: one per known author, real addresses in the real data)
counts its answers under ``label="other"``: bounded series, no addresses in metrics."""
OTHER_LABEL = "other"


@dataclass(frozen=True, slots=True)
class ServedMetrics:
    """The children of one model version on one route, resolved once."""

    success: CounterChild
    error: CounterChild
    fallback: CounterChild
    latency: HistogramChild
    confidence: HistogramChild
    availability: GaugeChild
    """The model's (one series per model, whatever answered)."""
    labels: tuple[str, str, str]
    family: FastCounter
    """``ml_predictions_total``."""
    predictions: dict[str, CounterChild]

    def predicted(self, label: str, labels_in_spec: int) -> CounterChild:
        """The counter of answers whose label is ``label``, of a model with ``labels_in_spec`` labels."""
        child = self.predictions.get(label)
        if child is None:
            name = label if labels_in_spec <= MAX_PREDICTION_LABELS else OTHER_LABEL
            child = self.predictions[label] = self.family.labels(*self.labels, name)
        return child


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        fast = FastCollector(registry)
        self.inference_total = fast.add(
            FastCounter("ml_inference_total", "Model inferences by outcome", (*SERVED, "status"))
        )
        self.inference_latency = fast.add(
            FastHistogram(
                "ml_inference_latency_seconds", "Latency of one model's inference as the gateway sees it",
                SERVED, LATENCY_BUCKETS,
            )
        )  # fmt: skip
        self.predictions = fast.add(
            FastCounter(
                "ml_predictions_total", "Model answers by predicted label (of the riskiest record)",
                (*SERVED, "label"),
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
                "ml_confidence_scores", "Confidence of each model's answers", SERVED, CONFIDENCE_BUCKETS
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
        self._served: dict[tuple[str, int | None, str], ServedMetrics] = {}

    def served(self, model: str, version: int | None, route: str) -> ServedMetrics:
        """``version``: None when no version of the model is known (it is served by no backend)."""
        key = (model, version, route)
        found = self._served.get(key)
        if found is None:
            labels = (model, "" if version is None else str(version), route)
            found = ServedMetrics(
                self.inference_total.labels(*labels, "success"),
                self.inference_total.labels(*labels, "error"),
                self.inference_total.labels(*labels, "fallback"),
                self.inference_latency.labels(*labels),
                self.confidence_scores.labels(*labels),
                self.model_availability.labels(model),
                labels,
                self.predictions,
                {},
            )
            self._served[key] = found
        return found
