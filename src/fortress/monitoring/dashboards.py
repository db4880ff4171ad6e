"""The Grafana dashboard's panels and their PromQL: the one list (``ROWS``) the dashboard is built from.

``fortress docs dashboards`` writes ``deploy/grafana/dashboards/fortress.json`` from it
(``monitoring/grafana.py`` turns it into Grafana's JSON model); a test checks the committed file is
the generated one and that every metric a query names is one the code exports (or an allow-listed
external one: DCGM), and the Prometheus end-to-end test evaluates every query. Queries filter on the
dashboard's ``$model`` variable (``model=~"$model"``, "All" = ``.*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

M = 'model=~"$model"'


@dataclass(frozen=True, slots=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""
    width: int = 12
    options: dict[str, Any] = field(default_factory=dict)


def _q(expr: str, legend: str = "") -> Query:
    return Query(expr, legend)


def _latency(metric: str, by: str = "model") -> tuple[Query, ...]:
    return tuple(
        _q(
            f"histogram_quantile({q}, sum by ({by}, le) (rate({metric}_bucket{{{M}}}[5m])))",
            f"P{p} {{{{{by}}}}}",
        )
        for q, p in ((0.5, 50), (0.95, 95), (0.99, 99))
    )


ROWS: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    (
        "Traffic and latency",
        (
            Panel(
                "Inference requests per second",
                (_q(f"sum by (model) (rate(ml_inference_total{{{M}}}[5m]))", "{{model}}"),),
                "reqps",
                description="Model calls per second, every worker and replica summed.",
            ),
            Panel(
                "Inference requests per second by version and route",
                (
                    _q(
                        f"sum by (model, version, route) (rate(ml_inference_total{{{M}}}[5m]))",
                        "{{model}} v{{version}} {{route}}",
                    ),
                ),
                "reqps",
                description="Champion, canary and shadow versions side by side (route label).",
            ),
            Panel(
                "Inference latency (P50, P95, P99)",
                _latency("ml_inference_latency_seconds"),
                "s",
                description="A model's inference as the gateway sees it (HighInferenceLatency: P95 > 0.5 s).",
            ),
            Panel(
                "Gateway API requests per second",
                (
                    _q(
                        "sum by (endpoint, status) (rate(fortress_gateway_requests_total[5m]))",
                        "{{endpoint}} {{status}}",
                    ),
                ),
                "reqps",
            ),
            Panel(
                "Gateway API latency P95",
                (
                    _q(
                        "histogram_quantile(0.95, sum by (endpoint, le)"
                        " (rate(fortress_gateway_request_seconds_bucket[5m])))",
                        "{{endpoint}}",
                    ),
                ),
                "s",
            ),
        ),
    ),
    (
        "Availability and quality",
        (
            Panel(
                "Model availability",
                (_q(f"min by (model) (ml_model_availability{{{M}}})", "{{model}}"),),
                kind="stat",
                description="1: the last call answered on every gateway; 0 on all of them: ModelUnavailable.",
                options={"colorMode": "background", "textMode": "value_and_name"},
            ),
            Panel(
                "Model error rate",
                (
                    _q(
                        f'sum by (model) (rate(ml_inference_total{{{M},status="error"}}[5m]))'
                        f" / sum by (model) (rate(ml_inference_total{{{M}}}[5m]))",
                        "{{model}}",
                    ),
                ),
                "percentunit",
                description="HighModelErrorRate: above 5 % for 5 minutes.",
            ),
            Panel(
                "Median confidence",
                (
                    _q(
                        "histogram_quantile(0.5, sum by (model, le)"
                        f" (rate(ml_confidence_scores_bucket{{{M}}}[5m])))",
                        "{{model}}",
                    ),
                ),
                "percentunit",
                kind="gauge",
                description="LowConfidencePredictions: below 0.6 for 10 minutes.",
                options={"min": 0, "max": 1},
            ),
            Panel(
                "Confidence distribution",
                (_q(f"sum by (le) (rate(ml_confidence_scores_bucket{{{M}}}[5m]))", "{{le}}"),),
                kind="heatmap",
            ),
            Panel(
                "Predicted labels per second",
                (
                    _q(
                        f"sum by (model, label) (rate(ml_predictions_total{{{M}}}[5m]))",
                        "{{model}} {{label}}",
                    ),
                ),
                "reqps",
                description="Each model's answers by predicted label (ml_predictions_total).",
            ),
            Panel(
                "Verdict rates",
                (_q("sum by (verdict) (rate(fortress_gateway_verdicts_total[5m]))", "{{verdict}}"),),
                "reqps",
                description="Ensemble verdicts per second.",
            ),
        ),
    ),
    (
        "Drift",
        (
            Panel(
                "Feature drift per feature",
                (
                    _q(f"max by (model, feature) (ml_feature_drift_score{{{M}}})", "{{model}} {{feature}}"),
                    _q(
                        f'max by (model) (fortress_drift_threshold{{{M},level="alert"}})',
                        "alert threshold {{model}}",
                    ),
                ),
                description="PSI (JS for categories) over the window; alert at its threshold.",
            ),
            Panel(
                "Prediction drift",
                (_q(f"max by (model) (ml_prediction_drift_score{{{M}}})", "{{model}}"),),
                description="PredictionDrift: the larger PSI of predicted label and confidence.",
            ),
            Panel(
                "PSI over every replica (last hour)",
                (_q(f"max by (model, feature) (fortress:drift_psi:1h{{{M}}})", "{{model}} {{feature}}"),),
                description="Recording rule fortress:drift_psi:1h (deploy/prometheus/rules/recording.yml).",
            ),
            Panel(
                "Drift reference available",
                (
                    _q(
                        f"min by (model, version) (fortress_drift_reference_available{{{M}}})",
                        "{{model}} v{{version}}",
                    ),
                ),
                kind="stat",
                description="0: the version has no drift score (see the gateway's log).",
            ),
        ),
    ),
    (
        "Cache, batching, feature store, audit",
        (
            Panel(
                "Result cache",
                (
                    _q("sum by (outcome) (rate(fortress_gateway_cache_total[5m]))", "{{outcome}}"),
                    _q(
                        'sum(rate(fortress_gateway_cache_total{outcome="hit"}[5m]))'
                        ' / sum(rate(fortress_gateway_cache_total{outcome=~"hit|miss"}[5m]))',
                        "hit ratio",
                    ),
                ),
                description="CacheUnavailable: more than half the operations fail.",
            ),
            Panel(
                "Batch queue wait (P50, P95, P99)",
                _latency("fortress_batch_queue_seconds"),
                "s",
            ),
            Panel(
                "Rows per batch",
                (
                    _q(
                        f"sum by (model) (rate(fortress_batch_rows_sum{{{M}}}[5m]))"
                        f" / sum by (model) (rate(fortress_batch_rows_count{{{M}}}[5m]))",
                        "{{model}}",
                    ),
                    _q(f"sum by (model) (fortress_batch_queue_rows{{{M}}})", "queued {{model}}"),
                    _q(
                        f"sum by (model, reason) (rate(fortress_batch_rejected_total{{{M}}}[5m]))",
                        "rejected {{model}} {{reason}}",
                    ),
                ),
            ),
            Panel(
                "Loaded model versions",
                (_q(f"sum by (model, version) (fortress_model_loaded{{{M}}})", "{{model}} v{{version}}"),),
                kind="stat",
            ),
            Panel(
                "Feature store lookups",
                (
                    _q(
                        "sum by (group, outcome) (rate(fortress_feature_store_fields_total[5m]))",
                        "{{group}} {{outcome}}",
                    ),
                ),
                description="Fields per second by what the store gave; FeatureStoreStale: stale > 20 %.",
            ),
            Panel(
                "Audit events and spool",
                (
                    _q(
                        "sum by (sink, outcome) (rate(fortress_audit_events_total[5m]))",
                        "{{sink}} {{outcome}}",
                    ),
                    _q("sum(fortress_audit_spool_events)", "spooled on disk"),
                    _q("sum by (sink) (fortress_audit_buffer_events)", "buffered {{sink}}"),
                ),
                description="AuditSpoolBacklog: events on disk for 10 minutes (Kafka not taking them).",
            ),
        ),
    ),
    (
        "GPU (DCGM exporter, GPU nodes)",
        (
            Panel("GPU utilization", (_q("DCGM_FI_DEV_GPU_UTIL", "GPU {{gpu}} {{Hostname}}"),), "percent"),
            Panel(
                "GPU memory used",
                (
                    _q(
                        "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)",
                        "GPU {{gpu}} {{Hostname}}",
                    ),
                ),
                "percentunit",
                description="GPUMemoryPressure: above 90 % for 5 minutes.",
            ),
        ),
    ),
)


def queries() -> list[str]:
    """Every PromQL expression of the dashboard, in order."""
    return [q.expr for _, panels in ROWS for panel in panels for q in panel.queries]
