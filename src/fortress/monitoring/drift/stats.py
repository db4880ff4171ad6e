"""Drift statistics over binned counts: PSI, Jensen-Shannon distance (scipy) and the two-sample KS
test (scipy) for raw samples. Off the request path: scipy is imported when first used.

PSI = sum over bins of (current - reference) * ln(current / reference), shares floored at ``EPSILON``
(the floor Evidently applies; the PromQL of docs/MONITORING.md uses the same ``clamp_min``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPSILON = 1e-4


def shares(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of two distributions over the same bins (shares or counts: each is normalised)."""
    ref = np.maximum(shares(reference), EPSILON)
    cur = np.maximum(shares(current), EPSILON)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def js_distance(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen-Shannon distance (natural log: in [0, sqrt(ln 2)])."""
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(shares(reference), shares(current)))


def score(statistic: str, reference: np.ndarray, current: np.ndarray) -> float:
    return js_distance(reference, current) if statistic == "js" else psi(reference, current)


@dataclass(frozen=True, slots=True)
class KsResult:
    statistic: float
    p_value: float


def ks_test(reference: np.ndarray, current: np.ndarray) -> KsResult:
    """Two-sided two-sample Kolmogorov-Smirnov test of raw samples (``scipy.stats.ks_2samp``)."""
    from scipy.stats import ks_2samp

    result = ks_2samp(np.asarray(reference, np.float64), np.asarray(current, np.float64))
    return KsResult(float(result.statistic), float(result.pvalue))


def level(value: float, warn: float, alert: float) -> str:
    """``ok``, ``warn`` or ``alert``."""
    return "alert" if value >= alert else "warn" if value >= warn else "ok"
