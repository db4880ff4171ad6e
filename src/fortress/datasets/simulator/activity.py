"""behavior_analyzer: a week of one user's activity, aggregated; a few users behave anomalously.

Every user has a legitimate role (office, developer, admin, travelling sales, analyst) that sets the
baseline of each aggregate. Anomalous users (insider exfiltration, compromised account, automation)
start from such a baseline and move some aggregates by an *intensity* drawn per user, so mild
anomalies overlap the busier legitimate roles.
"""

from __future__ import annotations

import numpy as np

from fortress.catalog.fields import USER_ACTIVITY_FIELDS
from fortress.datasets.simulator.base import (
    FloatArray,
    Sample,
    beta_mean,
    counts,
    flip_binary,
    frame,
    lognormal,
    pick,
)

#                 office  dev   admin sales analyst
_ROLE_WEIGHTS = (0.55, 0.15, 0.07, 0.10, 0.13)
_SESSIONS = np.array([4.0, 8.0, 6.0, 3.0, 5.0])
_MINUTES = np.array([35.0, 60.0, 25.0, 20.0, 50.0])
_IPS = np.array([0.5, 1.0, 1.2, 5.0, 0.6])
_DEVICES = np.array([0.4, 1.2, 1.5, 1.0, 0.5])
_FAILED = np.array([0.02, 0.04, 0.03, 0.02, 0.02])
_DOWNLOAD_MB = np.array([50.0, 200.0, 80.0, 30.0, 400.0])
_AFTER_HOURS = np.array([0.08, 0.2, 0.15, 0.15, 0.1])
_PRIVILEGED = np.array([0.2, 2.0, 25.0, 0.1, 0.5])
_NEW_RESOURCES = np.array([0.05, 0.1, 0.08, 0.06, 0.12])
_API_CALLS = np.array([5.0, 60.0, 30.0, 3.0, 20.0])

_ANOMALY_RATE = 0.07
_EXFILTRATION, _COMPROMISED, _AUTOMATION = 1, 2, 3
_ANOMALY_WEIGHTS = (0.4, 0.35, 0.25)


def user_activity(n: int, rng: np.random.Generator) -> Sample:
    """Per-user weekly aggregates; about 7 % of users are anomalous."""
    role = pick(rng, _ROLE_WEIGHTS, n)
    anomalous = rng.random(n) < _ANOMALY_RATE
    anomaly = np.where(anomalous, 1 + pick(rng, _ANOMALY_WEIGHTS, n), 0)
    t = np.where(anomalous, rng.beta(2.4, 1.4, n), 0.0)  # intensity in (0, 1)
    c = {
        "sessions_per_day": lognormal(rng, _SESSIONS[role], 0.5, n),
        "avg_session_minutes": lognormal(rng, _MINUTES[role], 0.6, n),
        "distinct_ips_7d": 1.0 + counts(rng, _IPS[role], 1.5, n),
        "distinct_devices_7d": 1.0 + counts(rng, _DEVICES[role], 3.0, n),
        "failed_action_ratio": beta_mean(rng, _FAILED[role], 40.0, n),
        "data_download_mb": lognormal(rng, _DOWNLOAD_MB[role], 1.0, n),
        "after_hours_ratio": beta_mean(rng, _AFTER_HOURS[role], 12.0, n),
        "privileged_actions": counts(rng, _PRIVILEGED[role], 1.0, n),
        "new_resource_ratio": beta_mean(rng, _NEW_RESOURCES[role], 15.0, n),
        "api_calls_per_hour": lognormal(rng, _API_CALLS[role], 0.9, n),
    }
    _exfiltration(c, t * (anomaly == _EXFILTRATION))
    _compromised(c, t * (anomaly == _COMPROMISED), rng)
    _automation(c, t * (anomaly == _AUTOMATION))
    y = flip_binary(anomalous.astype(np.int64), rng, 0.03, 0.002)
    return Sample(frame(c, USER_ACTIVITY_FIELDS), y)


def _toward(value: FloatArray, target: float, t: FloatArray) -> FloatArray:
    return (1.0 - t) * value + t * target


def _exfiltration(c: dict[str, FloatArray], t: FloatArray) -> None:
    """An insider staging data: big downloads, late hours, resources they never touched before."""
    c["data_download_mb"] = c["data_download_mb"] * np.exp(3.2 * t)
    c["after_hours_ratio"] = _toward(c["after_hours_ratio"], 0.5, t)
    c["new_resource_ratio"] = _toward(c["new_resource_ratio"], 0.45, t)
    c["sessions_per_day"] = c["sessions_per_day"] * (1.0 + 0.3 * t)


def _compromised(c: dict[str, FloatArray], t: FloatArray, rng: np.random.Generator) -> None:
    """Someone else using the account: new IPs and devices, failed actions, privilege probing."""
    n = t.size
    c["distinct_ips_7d"] = c["distinct_ips_7d"] + counts(rng, 8.0 * t, 2.0, n)
    c["distinct_devices_7d"] = c["distinct_devices_7d"] + counts(rng, 2.0 * t, 2.0, n)
    c["failed_action_ratio"] = _toward(c["failed_action_ratio"], 0.2, t)
    c["after_hours_ratio"] = _toward(c["after_hours_ratio"], 0.4, t * 0.8)
    c["privileged_actions"] = c["privileged_actions"] + counts(rng, 8.0 * t, 1.0, n)
    c["new_resource_ratio"] = _toward(c["new_resource_ratio"], 0.3, t)


def _automation(c: dict[str, FloatArray], t: FloatArray) -> None:
    """A script running under a human account: many short sessions round the clock, API-heavy."""
    c["api_calls_per_hour"] = c["api_calls_per_hour"] * np.exp(3.2 * t)
    c["sessions_per_day"] = c["sessions_per_day"] * np.exp(1.5 * t)
    c["avg_session_minutes"] = c["avg_session_minutes"] * np.exp(-1.3 * t)
    c["after_hours_ratio"] = _toward(c["after_hours_ratio"], 0.6, t)
