"""Prometheus metrics of the gateway's feature-store lookups, on an injected registry.

``fortress_feature_store_fields_total{group,outcome}`` counts the fields of each looked-up group by
what the store gave: ``from_store`` (fresh and used), ``missing`` (no value for the entity) or
``stale`` (older than its view's TTL). The FeatureStoreStale alert is the stale share
(deploy/prometheus/rules/alerts.yml).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry

from fortress.monitoring.fast_metrics import FastCollector, FastCounter

OUTCOMES = ("from_store", "missing", "stale")


class FeatureStoreMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        fast = FastCollector(registry)
        self.fields = fast.add(
            FastCounter(
                "fortress_feature_store_fields_total",
                "Fields of feature-store lookups by group and outcome (from_store/missing/stale)",
                ("group", "outcome"),
            )
        )

    def count(self, report: Mapping[str, Mapping[str, Any]]) -> None:
        """Count one request's ``features`` report (``gateway/store_features.py``)."""
        for group, entry in report.items():
            for outcome in OUTCOMES:
                n = len(entry.get(outcome, ()))
                if n:
                    self.fields.labels(group, outcome).inc(n)
