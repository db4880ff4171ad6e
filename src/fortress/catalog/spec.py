"""What a model is, independent of how it was trained or where it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldKind(StrEnum):
    NUMBER = "number"
    """A real number (float32 in the model)."""
    CATEGORY = "category"
    """A symbolic value sent as a string; unseen values are handled by the model graph."""
    TEXT = "text"
    """Free text (URL, domain, message); normalised by ``catalog.encode.normalize_text``."""
    TENSOR = "tensor"
    """A fixed-shape float array, e.g. an image as [channels, height, width] in [0, 1]."""


class Family(StrEnum):
    GBDT = "gbdt"
    """Gradient-boosted trees over numeric + categorical fields."""
    TEXT = "text"
    """Character n-gram TF-IDF + linear model over one text field."""
    CNN = "cnn"
    """Small convolutional network over an image tensor."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: FieldKind = FieldKind.NUMBER
    shape: tuple[int, ...] = ()
    description: str = ""
    sensitive: bool = False
    """Personal content (a message's text): the inference log hashes or drops it
    (``monitoring.inference_log.sensitive``)."""


@dataclass(frozen=True, slots=True)
class InputTensor:
    """One input of the ONNX graph: a batch axis followed by ``shape``."""

    name: str
    dtype: str  # "float32" | "string"
    fields: tuple[str, ...]
    shape: tuple[int, ...]


NUMERIC_INPUT = "numeric"
CATEGORICAL_INPUT = "categorical"
TEXT_INPUT = "text"
TENSOR_INPUT = "image"
PROBABILITIES_OUTPUT = "probabilities"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    description: str
    feature_group: str
    fields: tuple[FieldSpec, ...]
    labels: tuple[str, ...]
    malicious_labels: frozenset[str]
    family: Family
    weight: float = 1.0
    fallback: str | None = None
    data: str = ""
    """The real dataset the model trains on ('' when only the simulator covers it)."""
    extra: dict[str, str] = field(default_factory=dict)
    _inputs: tuple[InputTensor, ...] = field(init=False, repr=False, compare=False)
    _kinds: dict[str, FieldKind] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = self.malicious_labels - set(self.labels)
        if unknown:
            raise ValueError(f"{self.name}: malicious labels not in labels: {sorted(unknown)}")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate field names")
        # derived once: the serving path reads them on every request
        object.__setattr__(self, "_inputs", self._derive_inputs())
        object.__setattr__(self, "_kinds", {f.name: f.kind for f in self.fields})

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def fields_of(self, kind: FieldKind) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.kind is kind)

    @property
    def inputs(self) -> tuple[InputTensor, ...]:
        """The ONNX graph inputs, derived from the fields (one tensor per kind present)."""
        return self._inputs

    def kind_of(self, field_name: str) -> FieldKind:
        return self._kinds[field_name]

    def _derive_inputs(self) -> tuple[InputTensor, ...]:
        out: list[InputTensor] = []
        numeric = self.fields_of(FieldKind.NUMBER)
        if numeric:
            out.append(InputTensor(NUMERIC_INPUT, "float32", numeric, (len(numeric),)))
        categorical = self.fields_of(FieldKind.CATEGORY)
        if categorical:
            out.append(InputTensor(CATEGORICAL_INPUT, "string", categorical, (len(categorical),)))
        for f in self.fields:
            if f.kind is FieldKind.TEXT:
                out.append(InputTensor(TEXT_INPUT, "string", (f.name,), (1,)))
            elif f.kind is FieldKind.TENSOR:
                out.append(InputTensor(TENSOR_INPUT, "float32", (f.name,), f.shape))
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "feature_group": self.feature_group,
            "fields": [
                {
                    "name": f.name,
                    "kind": f.kind.value,
                    "shape": list(f.shape),
                    "description": f.description,
                    **({"sensitive": True} if f.sensitive else {}),
                }
                for f in self.fields
            ],
            "labels": list(self.labels),
            "malicious_labels": sorted(self.malicious_labels),
            "family": self.family.value,
            "weight": self.weight,
            "fallback": self.fallback,
            "data": self.data,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ModelSpec:
        return cls(
            name=raw["name"],
            description=raw["description"],
            feature_group=raw["feature_group"],
            fields=tuple(
                FieldSpec(
                    f["name"],
                    FieldKind(f["kind"]),
                    tuple(f["shape"]),
                    f.get("description", ""),
                    bool(f.get("sensitive", False)),
                )
                for f in raw["fields"]
            ),
            labels=tuple(raw["labels"]),
            malicious_labels=frozenset(raw["malicious_labels"]),
            family=Family(raw["family"]),
            weight=float(raw["weight"]),
            fallback=raw.get("fallback"),
            data=raw.get("data", ""),
            extra=dict(raw.get("extra", {})),
        )

    @property
    def malicious_mask(self) -> tuple[bool, ...]:
        return tuple(label in self.malicious_labels for label in self.labels)
