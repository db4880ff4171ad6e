"""Settings of monitoring (``Settings.monitoring``; env ``FORTRESS_MONITORING__...``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, NonNegativeFloat, PositiveInt

from fortress.monitoring.drift.settings import DriftSettings


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
    alerts: AlertSettings = Field(default_factory=AlertSettings)
