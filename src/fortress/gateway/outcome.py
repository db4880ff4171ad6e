"""One model's part of an answer: its prediction as the wire shows it, or why it has none."""

from __future__ import annotations

from collections.abc import Mapping
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
    probabilities: np.ndarray | None = None
    """The answering model's probabilities, one row per record (the backend's array, not a copy)."""
    feeds: Mapping[str, np.ndarray] | None = None
    """The encoded input tensors the answering model ran on (the call's, not a copy): the inference
    log stores tensor fields from them instead of re-reading the request's nested lists."""


@dataclass(frozen=True, slots=True)
class _Labels:
    malicious: tuple[int, ...]
    """Indexes of the malicious labels."""
    mask: np.ndarray
    """float32 1/0 per label: probabilities @ mask = risk of each record."""


class Summarizer:
    """Probabilities -> label, risk and confidence of the riskiest record. Label facts are built once
    per spec; a one-record answer (the common case) is read as one Python row, with no numpy calls."""

    def __init__(self) -> None:
        self._labels: dict[tuple[tuple[str, ...], frozenset[str]], _Labels] = {}

    def _of(self, spec: ModelSpec) -> _Labels:
        key = (spec.labels, spec.malicious_labels)
        found = self._labels.get(key)
        if found is None:
            mask = spec.malicious_mask
            found = _Labels(tuple(i for i, bad in enumerate(mask) if bad), np.asarray(mask, dtype=np.float32))
            self._labels[key] = found
        return found

    def prediction(
        self, spec: ModelSpec, answer: ModelAnswer, route: str, fallback_for: str | None
    ) -> tuple[dict[str, Any], float, float]:
        labels = self._of(spec)
        probs = answer.probabilities
        rows = len(probs)
        record_risks: list[float] | None = None
        if rows == 1:
            row: list[float] = probs[0].tolist()
            raw_risk = sum([row[i] for i in labels.malicious])
        else:
            risks = probs @ labels.mask
            best = int(risks.argmax())
            row = probs[best].tolist()
            raw_risk = float(risks[best])
            record_risks = risks.tolist()
        confidence = max(row)
        risk = min(1.0, max(0.0, raw_risk))
        prediction = {
            "model": answer.model,
            "version": answer.version,
            "route": route,
            "label": spec.labels[row.index(confidence)],
            "probabilities": dict(zip(spec.labels, row, strict=True)),
            "risk": risk,
            "confidence": confidence,
            "records": rows,
            "record_risks": record_risks,
            "fallback_for": fallback_for,
        }
        return prediction, risk, confidence
