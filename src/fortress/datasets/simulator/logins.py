"""login_anomaly: single login events; about 5 % are account takeovers.

Legitimate logins include the confounders a takeover detector trips over: travellers (new country,
long distance, hotel Wi-Fi with a poor IP reputation), users on a new phone or laptop, and users who
mistype their password a few times. Takeovers come as credential stuffing (bad IPs, many failures),
phished sessions (new device from a residential proxy near the victim: the subtle kind) and logins
showing impossible travel (far away, shortly after the last login).
"""

from __future__ import annotations

import numpy as np

from fortress.catalog.fields import LOGIN_EVENT_FIELDS
from fortress.datasets.simulator.base import (
    Sample,
    beta_mean,
    counts,
    flip_binary,
    frame,
    lognormal,
    pick,
)

AUTH_METHODS = ("password", "sso", "token", "passkey")
_MFA_BY_METHOD = np.array([0.3, 0.7, 0.9, 0.98])

# Archetypes: 0 regular, 1 traveller, 2 new device, 3 mistyper | 4 stuffing, 5 phished, 6 impossible travel.
_WEIGHTS = (0.83, 0.05, 0.06, 0.01, 0.022, 0.017, 0.011)
_TAKEOVER = np.array([0, 0, 0, 0, 1, 1, 1])
_NEW_DEVICE = np.array([0.03, 0.3, 1.0, 0.05, 0.8, 0.65, 0.75])
_NEW_COUNTRY = np.array([0.01, 0.75, 0.03, 0.01, 0.55, 0.08, 0.9])
_DISTANCE_KM = np.array([8.0, 1500.0, 12.0, 8.0, 2500.0, 60.0, 5000.0])
_DISTANCE_SIGMA = np.array([1.3, 1.0, 1.4, 1.3, 1.4, 1.5, 0.7])
_GAP_HOURS = np.array([14.0, 20.0, 30.0, 10.0, 48.0, 8.0, 2.0])
_FAILED = np.array([0.15, 0.3, 0.5, 3.0, 3.0, 0.4, 0.8])
_REPUTATION = np.array([0.85, 0.68, 0.82, 0.85, 0.35, 0.62, 0.5])
_LOGINS_24H = np.array([2.5, 1.5, 2.0, 3.0, 1.2, 1.5, 2.5])
_METHOD_P = np.array([[0.4, 0.35, 0.1, 0.15]] * 4 + [[0.8, 0.12, 0.06, 0.02]] * 3)
_MFA_KEPT = np.array([1.0, 1.0, 1.0, 1.0, 0.15, 0.35, 0.3])  # takeovers mostly get past without MFA
_ODD_HOURS = np.array([0.03, 0.3, 0.05, 0.03, 0.55, 0.3, 0.5])


def login_events(n: int, rng: np.random.Generator) -> Sample:
    """Login events of many users; about 5 % are takeovers."""
    kind = pick(rng, _WEIGHTS, n)
    odd = rng.random(n) < _ODD_HOURS[kind]
    hour = np.where(odd, rng.uniform(0, 24, n), rng.normal(13.0, 3.5, n)) % 24
    new_device = rng.random(n) < _NEW_DEVICE[kind]
    distance = lognormal(rng, _DISTANCE_KM[kind], _DISTANCE_SIGMA[kind], n)
    gap = lognormal(rng, _GAP_HOURS[kind], 1.1, n)
    travelling = kind == 1
    gap = np.where(travelling, np.maximum(gap, distance / 700.0 + 2.0), gap)  # a flight takes time
    method = (rng.random(n)[:, None] > np.cumsum(_METHOD_P[kind], axis=1)[:, :-1]).sum(axis=1)
    mfa = rng.random(n) < _MFA_BY_METHOD[method] * _MFA_KEPT[kind]
    columns = {
        "hour_of_day": np.floor(hour),
        "is_new_device": new_device.astype(np.float64),
        "is_new_country": (rng.random(n) < _NEW_COUNTRY[kind]).astype(np.float64),
        "geo_distance_km": np.round(distance, 1),
        "hours_since_last_login": np.round(gap, 2),
        "failed_attempts_1h": counts(rng, _FAILED[kind], 0.8, n),
        "ip_reputation": beta_mean(rng, _REPUTATION[kind], 6.0, n),
        "user_agent_changed": (rng.random(n) < np.where(new_device, 0.9, 0.05)).astype(np.float64),
        "mfa_used": mfa.astype(np.float64),
        "logins_last_24h": 1.0 + counts(rng, _LOGINS_24H[kind], 2.0, n),
        "auth_method": np.asarray(AUTH_METHODS, dtype=object)[method],
    }
    y = flip_binary(_TAKEOVER[kind].astype(np.int64), rng, 0.03, 0.001)
    return Sample(frame(columns, (*LOGIN_EVENT_FIELDS, "auth_method")), y)
