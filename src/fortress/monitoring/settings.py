"""Settings of monitoring (``Settings.monitoring``; env ``FORTRESS_MONITORING__...``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from fortress.monitoring.drift.settings import DriftSettings
from fortress.monitoring.inference_log.settings import InferenceLogSettings


class MonitoringSettings(BaseModel):
    drift_enabled: bool = True
    """Count served rows into each model version's reference bins and export drift scores
    (``ml_feature_drift_score``, ``ml_prediction_drift_score``, ``fortress_drift_bin_total``)."""
    drift: DriftSettings = Field(default_factory=DriftSettings)
    inference_log: InferenceLogSettings = Field(default_factory=InferenceLogSettings)
    """A sample of served rows and answers in the offline store or Kafka (docs/MONITORING.md,
    "Inference log")."""
