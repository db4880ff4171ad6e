"""Drift scoring settings (``Settings.monitoring.drift``; env ``FORTRESS_MONITORING__DRIFT__...``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, PositiveFloat, PositiveInt, model_validator


class Threshold(BaseModel):
    warn: PositiveFloat = 0.1
    """Score at which a feature is reported as drifting (``warn`` in tables)."""
    alert: PositiveFloat = 0.3
    """Score at which a feature has drifted (the FeatureDriftDetected alert fires on it)."""

    @model_validator(mode="after")
    def _ordered(self) -> Threshold:
        if self.alert < self.warn:
            raise ValueError(f"alert ({self.alert}) is below warn ({self.warn})")
        return self


class DriftSettings(BaseModel):
    window_minutes: PositiveInt = 60
    """Scores compare the rows served in the last this many minutes with the reference."""
    min_rows: PositiveInt = 500
    """Below this many rows in the window a score is not reported (noise, not drift)."""
    tick_s: PositiveFloat = 5.0
    """How often the gateway folds counted rows into the window, loads new references and recomputes
    scores (off the request path)."""
    flush_rows: PositiveInt = 256
    """Served calls held (by reference, no copy) per model version before they are binned together."""
    psi: Threshold = Field(default_factory=Threshold)
    """Default thresholds of PSI (numbers, text lengths, tensor channel means, predictions)."""
    js: Threshold = Field(default_factory=Threshold)
    """Default thresholds of the Jensen-Shannon distance (categories)."""
    models: dict[str, dict[str, Threshold]] = Field(default_factory=dict)
    """Per model, per feature overrides, e.g. ``{"threat_classifier": {"src_bytes": {"alert": 0.5}}}``;
    the feature ``*`` sets the model's default, ``prediction`` its prediction drift."""

    def threshold(self, model: str, feature: str, statistic: str) -> Threshold:
        per_model = self.models.get(model, {})
        found = per_model.get(feature) or per_model.get("*")
        if found is not None:
            return found
        return self.js if statistic == "js" else self.psi
