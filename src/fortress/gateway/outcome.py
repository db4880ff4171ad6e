"""One model's part of an answer: its prediction as the wire shows it, or why it has none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fortress.backends.base import ModelAnswer
from fortress.catalog.spec import ModelSpec


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    """The model the request asked for."""
    prediction: dict[str, Any] | None
    """The wire form (see schema.ModelPrediction); ``None`` when no model answered."""
    error: str = ""
    """Why ``name`` itself did not answer (also set when a fallback answered instead)."""
    risk: float = 0.0
    confidence: float = 0.0


class Summarizer:
    """Probabilities -> label, risk and confidence of the riskiest record. Masks are built once per spec."""

    def __init__(self) -> None:
        self._masks: dict[tuple[tuple[str, ...], frozenset[str]], np.ndarray] = {}

    def prediction(
        self, spec: ModelSpec, answer: ModelAnswer, route: str, fallback_for: str | None
    ) -> tuple[dict[str, Any], float, float]:
        key = (spec.labels, spec.malicious_labels)
        mask = self._masks.get(key)
        if mask is None:
            mask = self._masks[key] = np.asarray(spec.malicious_mask, dtype=np.float32)
        probs = answer.probabilities
        risks = probs @ mask
        rows = probs.shape[0]
        best = int(risks.argmax()) if rows > 1 else 0
        row: list[float] = probs[best].tolist()
        top = max(range(len(row)), key=row.__getitem__)
        risk = min(1.0, max(0.0, float(risks[best])))
        confidence = row[top]
        prediction = {
            "model": answer.model,
            "version": answer.version,
            "route": route,
            "label": spec.labels[top],
            "probabilities": dict(zip(spec.labels, row, strict=True)),
            "risk": risk,
            "confidence": confidence,
            "records": rows,
            "record_risks": risks.tolist() if rows > 1 else None,
            "fallback_for": fallback_for,
        }
        return prediction, risk, confidence
