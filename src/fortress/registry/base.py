"""The model registry interface and the messages that cross it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

# The alias names are part of the registry's interface; they are defined in fortress.aliases.
from fortress.aliases import CANARY as CANARY
from fortress.aliases import CHAMPION as CHAMPION
from fortress.aliases import STAGING as STAGING
from fortress.catalog.spec import ModelSpec

ONNX_SHA_TAG = "fortress.onnx_sha256"
SPEC_SHA_TAG = "fortress.spec_sha256"
BASELINE_SHA_TAG = "fortress.baseline_sha256"
HEADLINE_TAG = "fortress.headline_metric"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A trained, evaluated, exported model ready to be registered."""

    spec: ModelSpec
    onnx: bytes
    metrics: dict[str, float]
    params: dict[str, Any]
    tags: dict[str, str]
    baseline: dict[str, Any]
    input_example: dict[str, np.ndarray]
    output_example: np.ndarray
    headline_metric: str


@dataclass(frozen=True, slots=True)
class VersionInfo:
    name: str
    version: int
    aliases: tuple[str, ...]
    run_id: str
    tags: dict[str, str]
    metrics: dict[str, float] = field(default_factory=dict)
    created_ms: int = 0

    @property
    def data_kind(self) -> str:
        return self.tags.get("data.kind", "unknown")

    @property
    def headline(self) -> tuple[str, float | None]:
        metric = self.tags.get(HEADLINE_TAG, "")
        return metric, self.metrics.get(metric)


@dataclass(frozen=True, slots=True)
class FetchedModel:
    spec: ModelSpec
    onnx_path: Path
    baseline: dict[str, Any]
    info: VersionInfo

    def onnx_bytes(self) -> bytes:
        return self.onnx_path.read_bytes()


class ModelRegistry(Protocol):
    def register(self, candidate: Candidate) -> VersionInfo: ...

    def model_names(self) -> list[str]: ...

    def versions(self, name: str, *, with_metrics: bool = True) -> list[VersionInfo]: ...

    def set_alias(self, name: str, alias: str, version: int) -> None: ...

    def get_alias(self, name: str, alias: str) -> VersionInfo: ...

    def change_token(self) -> str | None:
        """A cheap value that changes whenever an alias or a version changes (``None``: this store
        has none; follow it by polling). Raises ``RegistryError`` when the store cannot be read."""
        ...

    def delete_alias(self, name: str, alias: str) -> None: ...

    def resolve(self, name: str, ref: str | int) -> VersionInfo:
        """A version number or an alias -> that version (raises NotFound)."""
        ...

    def fetch(self, name: str, ref: str | int) -> FetchedModel: ...
