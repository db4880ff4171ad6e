"""The gateway's per-model children: resolved once per served (model, version, route); a model with
many labels counts its answers under ``other``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

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
