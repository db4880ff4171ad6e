"""Settings of the ensemble vote (part of the gateway's settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class EnsembleSettings(BaseModel):
    suspicious_threshold: float = Field(0.4, ge=0, le=1)
    malicious_threshold: float = Field(0.7, ge=0, le=1)
    alarm_threshold: float = Field(0.9, ge=0, le=1)
    """One voting model (weight >= 1) this sure of maliciousness makes the verdict at least suspicious."""

    @model_validator(mode="after")
    def _ordered(self) -> EnsembleSettings:
        if not self.suspicious_threshold <= self.malicious_threshold:
            raise ValueError("suspicious_threshold must not exceed malicious_threshold")
        return self
