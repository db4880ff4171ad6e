"""One logged row: a model's input record as the request sent it, and that model's answer for it.

A ``LoggedRow`` is made on the request path holding references only (the request's record, a row
view of the answer's probabilities); ``inputs`` (redaction) and ``to_json`` run in the writer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from fortress.catalog.spec import ModelSpec

HASH_PREFIX = "sha256:"


class Redaction:
    """What happens to the fields the catalog marks sensitive: ``hash`` (salted sha256) or ``drop``.

    A field is sensitive when the spec the version was registered with says so, or when the catalog's
    spec of the same model does (versions registered before the flag existed)."""

    def __init__(self, mode: str, salt: str = "", low_confidence: float = 0.0) -> None:
        if mode not in ("hash", "drop"):
            raise ValueError(f"sensitive: expected 'hash' or 'drop', got {mode!r}")
        self.mode = mode
        self.low_confidence = low_confidence
        """Rows whose confidence is below this are flagged ``low_confidence``."""
        self._salt = salt.encode()
        self._sensitive: dict[tuple[str, tuple[str, ...]], frozenset[str]] = {}

    def sensitive(self, spec: ModelSpec) -> frozenset[str]:
        key = (spec.name, spec.field_names)
        found = self._sensitive.get(key)
        if found is None:
            names = {f.name for f in spec.fields if f.sensitive}
            from fortress.catalog import get_spec, model_names

            if spec.name in model_names():
                names |= {f.name for f in get_spec(spec.name).fields if f.sensitive}
            found = self._sensitive[key] = frozenset(names & set(spec.field_names))
        return found

    def digest(self, value: Any) -> str:
        raw = (
            value.encode()
            if isinstance(value, str)
            else orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
        )
        return HASH_PREFIX + hashlib.sha256(self._salt + raw).hexdigest()

    def apply(self, spec: ModelSpec, record: Mapping[str, Any]) -> dict[str, Any]:
        """The spec's fields of ``record``, sensitive ones hashed or left out."""
        sensitive = self.sensitive(spec)
        out: dict[str, Any] = {}
        for name in spec.field_names:
            if name in sensitive:
                if self.mode == "hash":
                    out[name] = self.digest(record.get(name))
            else:
                out[name] = record.get(name)
        return out


@dataclass(slots=True)
class LoggedRow:
    """Treat as frozen (not declared so: a frozen dataclass's ``__init__`` costs the request path
    about twice as much)."""

    time: float
    """Unix seconds when the answer was produced."""
    investigation_id: str
    model: str
    """The model that answered (a fallback's name when it stood in: see ``fallback_for``)."""
    version: int
    route: str
    """``champion`` today; canary and shadow with the rollout work."""
    spec: ModelSpec
    record: Mapping[str, Any]
    """The request's record as sent (only the spec's fields are logged)."""
    index: int
    """Which record of its feature group (0 for a single record)."""
    probabilities: np.ndarray
    """This record's probabilities (a row of the answer; never copied on the request path)."""
    sampled: bool
    """Drawn by ``sample_rate``: the unbiased sample drift analysis reads."""
    degraded: bool
    fallback_for: str | None
    redaction: Redaction
    """Also carries the ``low_confidence`` threshold (one reference per row)."""
    feeds: Mapping[str, np.ndarray] | None = None
    """The model call's encoded input tensors (whole batch; this row is ``index``), or ``None``."""

    @property
    def label(self) -> str:
        labels = self.spec.labels
        best = int(np.argmax(self.probabilities))
        return labels[best] if best < len(labels) else str(best)

    @property
    def confidence(self) -> float:
        return float(np.max(self.probabilities))

    @property
    def low_confidence(self) -> bool:
        """Below ``low_confidence``: logged whatever the draw (computed in the writer, not on the path)."""
        return self.confidence < self.redaction.low_confidence

    def inputs(self) -> dict[str, Any]:
        return self.redaction.apply(self.spec, self.record)

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "investigation_id": self.investigation_id,
            "model": self.model,
            "version": self.version,
            "route": self.route,
            "record": self.index,
            "sampled": self.sampled,
            "degraded": self.degraded,
            "low_confidence": self.low_confidence,
            "fallback_for": self.fallback_for,
            "label": self.label,
            "confidence": self.confidence,
            "probabilities": [float(p) for p in self.probabilities],
            "labels": list(self.spec.labels),
            "input": self.inputs(),
        }

    def to_json(self) -> bytes:
        """One JSON object (the Kafka message; a value JSON cannot hold is written as its ``str``)."""
        return orjson.dumps(self.to_dict(), default=str, option=orjson.OPT_SERIALIZE_NUMPY)
