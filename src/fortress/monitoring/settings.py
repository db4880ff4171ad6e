"""Settings of monitoring (``Settings.monitoring``; env ``FORTRESS_MONITORING__...``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, NonNegativeFloat, PositiveFloat, PositiveInt

from fortress.monitoring.drift.settings import DriftSettings
from fortress.monitoring.inference_log.settings import InferenceLogSettings


class AlertSettings(BaseModel):
    """The gateway's Alertmanager webhook receiver (``POST /api/v1/alerts``, ``monitoring/alerts.py``)."""

    max_recorded: PositiveInt = 200
    """Alerts kept for ``GET /api/v1/alerts`` (the oldest go first)."""
    debounce_s: NonNegativeFloat = 3600.0
    """A registered handler (a retrain trigger) gets a firing alert at most once per this many seconds
    per (alert name, model), however often Alertmanager repeats it."""


class MonitoringSettings(BaseModel):
    drift_enabled: bool = True
    """Count served rows into each model version's reference bins and export drift scores
    (``ml_feature_drift_score``, ``ml_prediction_drift_score``, ``fortress_drift_bin_total``)."""
    drift: DriftSettings = Field(default_factory=DriftSettings)
    worker_metrics_dir: Path | None = None
    """Where each worker process of a multi-worker server writes its metrics, so that ``/metrics``
    answers for every worker (docs/MONITORING.md, "Metrics"). Set by ``fortress up`` and ``fortress
    serve`` for their workers: a fresh temporary directory per server, removed when it stops. Unset:
    ``/metrics`` answers for its own process."""
    flush_interval_s: PositiveFloat = 0.5
    """How often a worker writes its metrics for the other workers' scrapes (off the request path; a
    worker answering a scrape writes its own first). A scrape may miss the other workers' last this
    many seconds."""
    inference_log: InferenceLogSettings = Field(default_factory=InferenceLogSettings)
    """A sample of served rows and answers in the offline store or Kafka (docs/MONITORING.md,
    "Inference log")."""
    alerts: AlertSettings = Field(default_factory=AlertSettings)
