"""The gateway's wire schema: requests are validated by these models (compiled once); responses are
built as plain dicts and written with orjson, and the response models here document them in OpenAPI.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

Record = dict[str, Any]
"""One record of a feature group: field name -> value (number, string, or a nested array for tensors)."""

Verdict = Literal["benign", "suspicious", "malicious"]


MAX_MODELS = 64
MAX_ENTITIES = 16
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"
"""Identifiers are echoed in answers and written to audit logs: no control characters (C0, DEL, C1)."""


class InferenceRequest(BaseModel):
    # strict: "yes" is not a boolean, 1 is not a string (values are never coerced)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    investigation_id: str = Field(
        min_length=1, max_length=200, pattern=NO_CONTROL_CHARACTERS, examples=["inv-2026-0042"]
    )
    models: list[str] | None = Field(
        default=None,
        max_length=MAX_MODELS,
        description="Models to run; default: every served model whose feature group is present.",
    )
    features: dict[str, Record | list[Record]] = Field(
        min_length=1,
        description=(
            "Feature group name (see GET /api/v1/models) -> one record or a list of records. A tensor"
            ' field takes nested numbers or {"b64": base64 of its float32 values, little-endian, C order}.'
        ),
    )
    entities: dict[str, str] = Field(
        default_factory=dict,
        max_length=MAX_ENTITIES,
        description="Entity ids (e.g. user_id) for feature-store lookups.",
    )
    cache_enabled: bool = True


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    investigations: list[InferenceRequest] = Field(min_length=1)


REQUEST = TypeAdapter(InferenceRequest)
BATCH_REQUEST = TypeAdapter(BatchRequest)


# ---- responses (documentation: the service builds the same shapes as dicts) --------------------
class ModelPrediction(BaseModel):
    model: str
    version: int
    route: str = Field(description="Which route served it: champion, canary, ...")
    label: str = Field(description="Most probable label of the riskiest record.")
    probabilities: dict[str, float]
    risk: float = Field(ge=0, le=1, description="Probability mass on malicious labels (riskiest record).")
    confidence: float = Field(ge=0, le=1)
    records: int
    record_risks: list[float] | None = Field(default=None, description="Per record, when more than one.")
    fallback_for: str | None = Field(default=None, description="Set when this model stood in for another.")


class Driver(BaseModel):
    model: str
    risk: float
    weight: float
    contribution: float = Field(description="Share of the ensemble risk score this model brought.")


class EnsembleResult(BaseModel):
    risk_score: float = Field(ge=0, le=1)
    verdict: Verdict
    confidence: float = Field(ge=0, le=1)
    drivers: list[Driver] = Field(description="Voting models, most influential first.")
    abstained: list[str] = Field(description="Models that answered but do not vote (weight 0).")


class InferenceResponse(BaseModel):
    investigation_id: str
    predictions: dict[str, ModelPrediction]
    confidence_scores: dict[str, float]
    ensemble: EnsembleResult | None
    degraded: bool
    unavailable: dict[str, str] = Field(description="Model -> why it gave no answer.")
    latency_ms: float
    cached: bool


class BatchResponse(BaseModel):
    results: list[InferenceResponse]


class ErrorBody(BaseModel):
    error: str
    kind: str
