"""The feature computations: named, documented, pure functions of one record's inputs.

Each computation is written once, with NumPy operations that work on a column and on a number
alike, so ``batch(frame)`` (vectorized over a pandas batch) and ``one(event)`` (a single event, as a
mapping of numbers) compute the same value by the same code. Inputs come from the aggregation step
(``features/windows.py``), which turns raw events into one record per investigation or per user.
Missing inputs (NaN) give NaN; the formulas are in docs/FEATURES.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from fortress.features.errors import FeatureInputError

Record = Any
"""A pandas DataFrame (batch) or a mapping of input name -> float (one event)."""


@dataclass(frozen=True, slots=True)
class Computation:
    name: str
    inputs: tuple[str, ...]
    formula: str
    """The formula, as docs/FEATURES.md shows it."""
    fn: Callable[[Record], Any]

    def batch(self, frame: pd.DataFrame) -> pd.Series:
        """The value for every row of ``frame`` (which must hold the inputs as columns)."""
        missing = [name for name in self.inputs if name not in frame.columns]
        if missing:
            raise FeatureInputError(f"{self.name}: missing input column(s) {missing}")
        inputs = frame[list(self.inputs)].astype(np.float64)
        values = np.asarray(self.fn(inputs), dtype=np.float64)
        return pd.Series(values, index=frame.index, name=self.name)

    def one(self, event: Mapping[str, Any]) -> float:
        """The value for one event (a mapping holding the inputs)."""
        missing = [name for name in self.inputs if name not in event]
        if missing:
            raise FeatureInputError(f"{self.name}: missing input(s) {missing}")
        return float(self.fn({name: float(event[name]) for name in self.inputs}))


def _network_score(x: Record) -> Any:
    score = (
        0.3 * (1.0 - x["ip_reputation"])
        + 0.1 * x["suspicious_ports"]
        + 0.15 * x["unusual_protocols"]
        + 0.25 * x["geo_risk"]
    )
    return np.minimum(score, 1.0)


def _behavioral_score(x: Record) -> Any:
    z = (
        4.0 * x["failed_action_ratio"]
        + 2.0 * x["after_hours_ratio"]
        + 3.0 * x["new_resource_ratio"]
        + 0.3 * np.log1p(x["privileged_actions"] / 10.0)
        + 0.5 * np.log1p(x["data_download_mb"] / 2000.0)
        + 0.15 * np.maximum(x["distinct_ips_7d"] - 2.0, 0.0)
        + 0.3 * np.log1p(x["api_calls_per_hour"] / 100.0)
    )
    return 1.0 - np.exp(-np.maximum(z - 0.4, 0.0))


def _temporal_score(x: Record) -> Any:
    score = (
        0.5 * x["after_hours_share"]
        + 0.2 * x["weekend_share"]
        + 0.3 * np.minimum(x["sessions_per_hour"] / 60.0, 1.0)
    )
    return np.minimum(score, 1.0)


def _activity_pattern(x: Record) -> Any:
    score = (
        0.5 * x["after_hours_ratio"]
        + 0.3 * np.minimum(x["api_calls_per_hour"] / 200.0, 1.0)
        + 0.2 * np.minimum(x["sessions_per_day"] / 24.0, 1.0)
    )
    return np.minimum(score, 1.0)


def _risk_profile(x: Record) -> Any:
    return 1.0 - (1.0 - x["behavioral_score"]) * np.exp(-x["threat_encounters"] / 3.0)


def _content_score(x: Record) -> Any:
    return np.minimum(x["upload_share"] + 0.5 * x["cleartext_share"], 1.0)


def _statistical_score(x: Record) -> Any:
    return 1.0 - np.exp(-np.maximum(np.log10(1.0 + x["traffic_volume"]) - 1.0, 0.0))


_LEVEL_WEIGHTS = (
    ("network_score", 0.35),
    ("behavioral_score", 0.25),
    ("temporal_score", 0.15),
    ("content_score", 0.15),
    ("statistical_score", 0.10),
)


def _threat_level(x: Record) -> Any:
    combined = sum(weight * x[name] for name, weight in _LEVEL_WEIGHTS)
    level = (combined >= 0.25) * 1.0 + (combined >= 0.45) * 1.0 + (combined >= 0.65) * 1.0
    return np.where(np.isnan(combined), np.nan, level)


def _confidence(x: Record) -> Any:
    return 1.0 - np.exp(-x["sessions"] / 5.0)


NETWORK_SCORE = Computation(
    "network_score",
    ("ip_reputation", "suspicious_ports", "unusual_protocols", "geo_risk"),
    "min(1, 0.3·(1 − ip_reputation) + 0.1·suspicious_ports + 0.15·unusual_protocols + 0.25·geo_risk)",
    _network_score,
)
BEHAVIORAL_SCORE = Computation(
    "behavioral_score",
    (
        "failed_action_ratio",
        "after_hours_ratio",
        "new_resource_ratio",
        "privileged_actions",
        "data_download_mb",
        "distinct_ips_7d",
        "api_calls_per_hour",
    ),
    "1 − exp(−max(z − 0.4, 0)), z = 4·failed_action_ratio + 2·after_hours_ratio"
    " + 3·new_resource_ratio + 0.3·ln(1 + privileged_actions/10) + 0.5·ln(1 + data_download_mb/2000)"
    " + 0.15·max(distinct_ips_7d − 2, 0) + 0.3·ln(1 + api_calls_per_hour/100)",
    _behavioral_score,
)
TEMPORAL_SCORE = Computation(
    "temporal_score",
    ("after_hours_share", "weekend_share", "sessions_per_hour"),
    "min(1, 0.5·after_hours_share + 0.2·weekend_share + 0.3·min(1, sessions_per_hour/60))",
    _temporal_score,
)
ACTIVITY_PATTERN = Computation(
    "activity_pattern",
    ("after_hours_ratio", "api_calls_per_hour", "sessions_per_day"),
    "min(1, 0.5·after_hours_ratio + 0.3·min(1, api_calls_per_hour/200) + 0.2·min(1, sessions_per_day/24))",
    _activity_pattern,
)
RISK_PROFILE = Computation(
    "risk_profile",
    ("behavioral_score", "threat_encounters"),
    "1 − (1 − behavioral_score)·exp(−threat_encounters/3)",
    _risk_profile,
)
CONTENT_SCORE = Computation(
    "content_score",
    ("upload_share", "cleartext_share"),
    "min(1, upload_share + 0.5·cleartext_share)",
    _content_score,
)
STATISTICAL_SCORE = Computation(
    "statistical_score",
    ("traffic_volume",),
    "1 − exp(−max(log10(1 + traffic_volume) − 1, 0))",
    _statistical_score,
)
THREAT_LEVEL = Computation(
    "threat_level",
    tuple(name for name, _ in _LEVEL_WEIGHTS),
    "number of thresholds 0.25, 0.45, 0.65 reached by c = 0.35·network_score + 0.25·behavioral_score"
    " + 0.15·temporal_score + 0.15·content_score + 0.10·statistical_score (0..3)",
    _threat_level,
)
CONFIDENCE = Computation(
    "confidence",
    ("sessions",),
    "1 − exp(−sessions/5)",
    _confidence,
)

COMPUTATIONS: MappingProxyType[str, Computation] = MappingProxyType(
    {
        c.name: c
        for c in (
            NETWORK_SCORE,
            BEHAVIORAL_SCORE,
            TEMPORAL_SCORE,
            ACTIVITY_PATTERN,
            RISK_PROFILE,
            CONTENT_SCORE,
            STATISTICAL_SCORE,
            THREAT_LEVEL,
            CONFIDENCE,
        )
    }
)
