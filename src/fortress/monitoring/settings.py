"""Settings of monitoring (``Settings.monitoring``; env ``FORTRESS_MONITORING__...``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from fortress.monitoring.drift.settings import DriftSettings


class MonitoringSettings(BaseModel):
    drift_enabled: bool = True
    """Count served rows into each model version's reference bins and export drift scores
    (``ml_feature_drift_score``, ``ml_prediction_drift_score``, ``fortress_drift_bin_total``)."""
    drift: DriftSettings = Field(default_factory=DriftSettings)
