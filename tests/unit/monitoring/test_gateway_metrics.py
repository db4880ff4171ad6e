"""The gateway's per-model children: resolved once per served (model, version, route); a model with
many labels counts its answers under ``other``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from fortress.catalog import get_spec, model_names
from fortress.datasets.simulator.authors import AUTHORS
from fortress.monitoring.gateway_metrics import MAX_PREDICTION_LABELS, GatewayMetrics


def test_served_metrics_are_resolved_once_and_many_labels_count_as_other() -> None:
    metrics = GatewayMetrics(CollectorRegistry())
    served = metrics.served("writing_style", 3, "champion")
    assert metrics.served("writing_style", 3, "champion") is served
    for author in [f"author{i}" for i in range(MAX_PREDICTION_LABELS + 2)]:
        served.predicted(author, MAX_PREDICTION_LABELS + 2).inc()
    assert list(metrics.predictions.children) == [("writing_style", "3", "champion", "other")]
    few = metrics.served("bot_detector", 1, "canary")
    few.predicted("bot", 2).inc()
    assert metrics.predictions.children[("bot_detector", "1", "canary", "bot")].value == 1


def test_the_per_model_series_of_twelve_models_are_the_documented_count() -> None:
    """docs/MONITORING.md, "Series count, twelve models": every catalog model answering every one of
    its labels once (``writing_style``: the simulator's twelve authors), one version, champion route."""
    registry = CollectorRegistry()
    metrics = GatewayMetrics(registry)
    for name in model_names():
        labels = get_spec(name).labels or AUTHORS
        served = metrics.served(name, 1, "champion")
        for label in labels:
            served.success.inc()
            served.availability.set(1)
            served.latency.observe(0.001)
            served.confidence.observe(0.8)
            served.predicted(label, len(labels)).inc()
    text = generate_latest(registry).decode()
    series = {
        f.name: sum(1 for s in f.samples if not s.name.endswith("_created"))
        for f in text_string_to_metric_families(text)
    }
    assert {k: v for k, v in series.items() if k.startswith("ml_")} == {
        "ml_inference": 36,
        "ml_inference_latency_seconds": 180,
        "ml_confidence_scores": 180,
        "ml_predictions": 28,
        "ml_model_availability": 12,
    }
