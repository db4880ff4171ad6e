"""Offline comparison of a file with a version's drift reference (``fortress drift compare``).

The file's columns must be exactly the model's fields, each of its kind: numbers numeric, categories
and text strings (a CSV's category and text columns are read as strings). Anything else is one
``InvalidInput`` naming every missing, extra and mistyped column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fortress.catalog.encode import encode_frame
from fortress.catalog.spec import FieldKind, ModelSpec
from fortress.errors import InvalidInput
from fortress.monitoring.drift.collector import PREDICTION_PREFIX
from fortress.monitoring.drift.counter import BinCounter
from fortress.monitoring.drift.reference import DriftReference
from fortress.monitoring.drift.settings import DriftSettings
from fortress.monitoring.drift.stats import level, score

SUFFIXES = (".parquet", ".csv")


@dataclass(frozen=True, slots=True)
class FeatureResult:
    feature: str
    kind: str
    statistic: str
    score: float
    warn: float
    alert: float
    rows: int
    bins: list[str]
    reference: list[float]
    current: list[float]

    @property
    def level(self) -> str:
        return level(self.score, self.warn, self.alert)

    @property
    def drifted(self) -> bool:
        return self.score >= self.alert

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "kind": self.kind,
            "statistic": self.statistic,
            "score": self.score,
            "threshold": {"warn": self.warn, "alert": self.alert},
            "level": self.level,
            "drifted": self.drifted,
            "rows": self.rows,
            "bins": [
                {"bin": b, "reference": r, "current": c}
                for b, r, c in zip(self.bins, self.reference, self.current, strict=True)
            ],
        }


def read_table(path: Path, spec: ModelSpec) -> pd.DataFrame:
    """A Parquet or CSV file as a frame (CSV: category and text columns as strings)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(f"{path}: expected a .parquet or .csv file, got {suffix or 'no suffix'!r}")
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    strings = {f.name: str for f in spec.fields if f.kind in (FieldKind.CATEGORY, FieldKind.TEXT)}
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=strings, keep_default_na=False, na_values={})
        return pd.read_parquet(path)
    except Exception as exc:  # pandas and pyarrow raise many types for a bad file
        raise InvalidInput(f"{path}: cannot read it as {suffix[1:]}: {type(exc).__name__}: {exc}") from None


def _mistyped(spec: ModelSpec, frame: pd.DataFrame) -> list[str]:
    out = []
    for f in spec.fields:
        if f.name not in frame.columns:
            continue
        column = frame[f.name]
        if f.kind is FieldKind.NUMBER:
            ok = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
            want = "numbers"
        elif f.kind is FieldKind.TENSOR:
            ok, want = column.map(lambda v: isinstance(v, list | np.ndarray)).all(), "arrays"
        else:
            ok, want = column.map(lambda v: isinstance(v, str)).all(), "strings"
        if not ok:
            out.append(f"{f.name} (expected {want}, got {column.dtype})")
    return out


def check_columns(path: Path, spec: ModelSpec, frame: pd.DataFrame) -> None:
    names = list(spec.field_names)
    missing = [n for n in names if n not in frame.columns]
    extra = [str(c) for c in frame.columns if c not in names]
    mistyped = _mistyped(spec, frame)
    problems = []
    if missing:
        problems.append(f"missing columns {', '.join(missing)}")
    if extra:
        problems.append(f"extra columns {', '.join(extra)}")
    if mistyped:
        problems.append(f"mistyped columns {', '.join(mistyped)}")
    if problems:
        raise InvalidInput(f"{path}: {'; '.join(problems)} (model {spec.name} reads {len(names)} fields)")
    if frame.empty:
        raise InvalidInput(f"{path}: no rows")


def compare_frame(
    model: str,
    spec: ModelSpec,
    reference: DriftReference,
    frame: pd.DataFrame,
    settings: DriftSettings,
    *,
    probabilities: np.ndarray | None = None,
    skip: frozenset[str] = frozenset(),
) -> list[FeatureResult]:
    """Every feature's score of ``frame`` (checked columns) against ``reference``; with
    ``probabilities`` (one row per row of ``frame``), the predictions' too (``prediction:label``,
    ``prediction:confidence``). Features of the fields in ``skip`` are left out (their values are
    placeholders: the inference log hashed or dropped them)."""
    counter = BinCounter(spec, reference)
    counter.add(encode_frame(spec, frame[list(spec.field_names)]), probabilities)
    counts = counter.snapshot()
    segments = [(seg, seg.bins.name) for seg in counter.features if seg.bins.name.split(":")[0] not in skip]
    if probabilities is not None:
        segments += [(seg, PREDICTION_PREFIX + seg.bins.name) for seg in counter.predictions]
    results = []
    for seg, name in segments:
        bins = seg.bins
        current = counts[seg.start : seg.stop]
        is_prediction = name.startswith(PREDICTION_PREFIX)
        threshold = settings.threshold(model, "prediction" if is_prediction else bins.name, bins.statistic)
        total = max(1, int(current.sum()))
        results.append(
            FeatureResult(
                name,
                "prediction" if is_prediction else bins.kind.value,
                bins.statistic,
                score(bins.statistic, bins.share, current),
                threshold.warn,
                threshold.alert,
                int(current.sum()),
                bins.describe(),
                bins.share.tolist(),
                (current / total).tolist(),
            )
        )
    return results
