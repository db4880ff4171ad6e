"""The labelled data one model trains and is evaluated on, whatever produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd


class SourceKind(StrEnum):
    REAL = "real"
    SIMULATED = "simulated"


@dataclass(frozen=True, slots=True)
class DataSource:
    kind: SourceKind
    name: str
    """Dataset name (e.g. 'nsl-kdd') or simulator task name."""
    checksum: str | None = None
    """sha256 over the files read (real data)."""
    seed: int | None = None
    """Simulator seed (simulated data)."""
    detail: str = ""

    def as_tags(self) -> dict[str, str]:
        tags = {"data.kind": self.kind.value, "data.name": self.name}
        if self.checksum:
            tags["data.sha256"] = self.checksum
        if self.seed is not None:
            tags["data.seed"] = str(self.seed)
        if self.detail:
            tags["data.detail"] = self.detail
        return tags


@dataclass(frozen=True, slots=True)
class TaskData:
    """Features are DataFrames whose columns are exactly the spec's field names.

    Numbers are float, categories and text are str, tensors are np.ndarray cells of the field's shape.
    Labels are int64 indices into ``labels``.
    """

    model: str
    labels: tuple[str, ...]
    X_train: pd.DataFrame
    y_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    source: DataSource
    groups_train: np.ndarray | None = None
    """Optional per-row group (e.g. DGA family) for held-out-group evaluation."""
    groups_test: np.ndarray | None = None
    notes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.X_train) != len(self.y_train) or len(self.X_test) != len(self.y_test):
            raise ValueError(f"{self.model}: features and labels differ in length")
