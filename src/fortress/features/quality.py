"""Data-quality gates on a view's training rows, checked before any training starts.

As the blueprint's ``prepare_training_data``: enough rows, and few enough nulls. Limits are per view
(``FeatureSettings.quality``); a failure names the view, the check and the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from fortress.features.errors import DataQualityFailed
from fortress.features.settings import QualityLimits


@dataclass(frozen=True, slots=True)
class QualityReport:
    view: str
    rows: int
    null_ratio: float
    """Null feature values / (rows x fields)."""


def check_quality(
    view: str, frame: pd.DataFrame, fields: Sequence[str], limits: QualityLimits
) -> QualityReport:
    """Raise ``DataQualityFailed`` unless ``frame`` (training rows) passes ``limits``."""
    rows = len(frame)
    if rows < limits.min_rows:
        raise DataQualityFailed(
            view, "min_rows", rows, limits.min_rows, f"{rows} rows < minimum {limits.min_rows}"
        )
    nulls = frame[list(fields)].isna().sum()
    total = int(nulls.sum())
    ratio = total / (rows * len(fields)) if rows and fields else 0.0
    if ratio > limits.max_null_ratio:
        worst = str(nulls.idxmax())
        raise DataQualityFailed(
            view,
            "max_null_ratio",
            ratio,
            limits.max_null_ratio,
            f"null ratio {ratio:.4f} > maximum {limits.max_null_ratio:.4f} ({total} of "
            f"{rows * len(fields)} values null; most in {worst!r}: {int(nulls[worst])} of {rows})",
        )
    return QualityReport(view, rows, ratio)
