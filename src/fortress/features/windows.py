"""Aggregation: raw events -> one record per user event or per investigation, in time order.

Windows look back from each event and include it (``(t - window, t]``), so a record only ever uses
events up to its own timestamp: the offline store holds what was knowable at that time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fortress.catalog.fields import LOGIN_EVENT_FIELDS, USER_ACTIVITY_FIELDS
from fortress.features.intel import ThreatIntel

TS = "event_timestamp"
SUSPICIOUS_PORTS = frozenset({22, 23, 3389, 445})
"""Remote-admin and file-sharing ports the blueprint's network score counts."""
USUAL_PROTOCOLS = frozenset({"tcp", "udp", "icmp"})
CLEARTEXT_PORTS = frozenset({21, 23, 80, 110, 143})
NO_PREVIOUS_LOGIN_HOURS = 720.0
"""``hours_since_last_login`` of a user's first login in the data (and the cap): 30 days."""
_EARTH_KM = 6371.0


def after_hours(ts: pd.Series) -> pd.Series:
    """1.0 outside 08:00-18:00 UTC."""
    hour = ts.dt.hour
    return ((hour < 8) | (hour >= 18)).astype(np.float64)


def _rolling(frame: pd.DataFrame, window: str, columns: list[str]) -> pd.DataFrame:
    """Per-user rolling sums over ``(t - window, t]``; ``frame`` must be sorted by user then time."""
    rolled = frame.set_index(TS).groupby("user_id", sort=True)[columns].rolling(window).sum()
    return pd.DataFrame(rolled.to_numpy(), columns=columns, index=frame.index)


def _rolling_distinct(frame: pd.DataFrame, window: str, column: str) -> np.ndarray:
    codes = pd.Series(pd.factorize(frame[column])[0].astype(np.float64), index=frame[TS])
    rolled = codes.groupby(frame["user_id"].to_numpy(), sort=True).rolling(window)
    return np.asarray(rolled.apply(lambda w: np.unique(w).size, raw=True).to_numpy(), dtype=np.float64)


def activity_windows(activity: pd.DataFrame) -> pd.DataFrame:
    """One row per activity event: the user's ``USER_ACTIVITY_FIELDS`` over the 7 days up to it.

    Keeps ``user_id``, ``event_timestamp`` and ``anomalous`` (the label) when present.
    """
    a = activity.sort_values(["user_id", TS], kind="stable").reset_index(drop=True)
    a = a.assign(one=1.0, late=after_hours(a[TS]))
    sums = _rolling(
        a,
        "7D",
        [
            "one",
            "session_minutes",
            "actions",
            "failed_actions",
            "download_mb",
            "privileged_actions",
            "new_resources",
            "api_calls",
            "late",
        ],
    )
    actions = np.maximum(sums["actions"], 1.0)
    out = pd.DataFrame(
        {
            "user_id": a["user_id"],
            TS: a[TS],
            "sessions_per_day": sums["one"] / 7.0,
            "avg_session_minutes": sums["session_minutes"] / sums["one"],
            "distinct_ips_7d": _rolling_distinct(a, "7D", "ip"),
            "distinct_devices_7d": _rolling_distinct(a, "7D", "device_id"),
            "failed_action_ratio": sums["failed_actions"] / actions,
            "data_download_mb": sums["download_mb"],
            "after_hours_ratio": sums["late"] / sums["one"],
            "privileged_actions": sums["privileged_actions"],
            "new_resource_ratio": sums["new_resources"] / actions,
            "api_calls_per_hour": sums["api_calls"] / np.maximum(sums["session_minutes"] / 60.0, 1 / 60),
        }
    )
    if "anomalous" in a.columns:
        out["anomalous"] = a["anomalous"]
    assert tuple(out.columns[2:12]) == USER_ACTIVITY_FIELDS
    return out


def _haversine_km(lat1: pd.Series, lon1: pd.Series, lat2: pd.Series, lon2: pd.Series) -> pd.Series:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return pd.Series(2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), index=lat1.index)


def login_context(logins: pd.DataFrame, intel: ThreatIntel) -> pd.DataFrame:
    """One row per successful login: ``LOGIN_EVENT_FIELDS`` + ``auth_method`` against the user's past.

    Failed attempts only count towards ``failed_attempts_1h``. Keeps ``takeover`` (the label).
    """
    a = logins.sort_values(["user_id", TS], kind="stable").reset_index(drop=True)
    a = a.assign(ok=a["success"].astype(np.float64), failed=1.0 - a["success"].astype(np.float64))
    a = a.assign(fail_1h=_rolling(a, "1h", ["failed"])["failed"], ok_24h=_rolling(a, "24h", ["ok"])["ok"])
    s = a[a["ok"] == 1.0].reset_index(drop=True)
    prev = s.groupby("user_id", sort=False)[[TS, "latitude", "longitude", "user_agent"]].shift()
    gap_h = (s[TS] - prev[TS]).dt.total_seconds() / 3600.0
    distance = _haversine_km(prev["latitude"], prev["longitude"], s["latitude"], s["longitude"])
    out = pd.DataFrame(
        {
            "user_id": s["user_id"],
            TS: s[TS],
            "hour_of_day": s[TS].dt.hour.astype(np.float64),
            "is_new_device": (~s.duplicated(["user_id", "device_id"])).astype(np.float64),
            "is_new_country": (~s.duplicated(["user_id", "country"])).astype(np.float64),
            "geo_distance_km": distance.fillna(0.0).round(1),
            "hours_since_last_login": gap_h.fillna(NO_PREVIOUS_LOGIN_HOURS).clip(
                upper=NO_PREVIOUS_LOGIN_HOURS
            ),
            "failed_attempts_1h": s["fail_1h"],
            "ip_reputation": intel.ip_reputation(s["ip"].astype(str).tolist()),
            "user_agent_changed": (
                prev["user_agent"].notna() & (prev["user_agent"] != s["user_agent"])
            ).astype(np.float64),
            "mfa_used": s["mfa_used"].astype(np.float64),
            "logins_last_24h": s["ok_24h"],
            "auth_method": s["auth_method"].astype(str),
        }
    )
    if "takeover" in s.columns:
        out["takeover"] = s["takeover"]
    assert tuple(out.columns[2:12]) == LOGIN_EVENT_FIELDS
    return out


def investigation_summary(sessions: pd.DataFrame, intel: ThreatIntel) -> pd.DataFrame:
    """One row per investigation (at its last session): the inputs of the network-side scores."""
    s = sessions.assign(
        rep=intel.ip_reputation(sessions["src_ip"].astype(str).tolist()),
        geo=intel.geo_risk(sessions["country"].astype(str).tolist()),
        susp=sessions["dst_port"].isin(SUSPICIOUS_PORTS).astype(np.float64),
        proto=sessions["protocol"].astype(str).str.lower(),
        unusual=(~sessions["protocol"].astype(str).str.lower().isin(USUAL_PROTOCOLS)).astype(np.float64),
        late=after_hours(sessions[TS]),
        weekend=(sessions[TS].dt.dayofweek >= 5).astype(np.float64),
        upload=(sessions["bytes_out"] > 4 * sessions["bytes_in"]).astype(np.float64),
        clear=sessions["dst_port"].isin(CLEARTEXT_PORTS).astype(np.float64),
        mb=(sessions["bytes_out"] + sessions["bytes_in"]) / 1e6,
    )
    g = s.groupby("investigation_id", sort=True)
    out = g.agg(
        user_id=("user_id", "last"),
        event_timestamp=(TS, "max"),
        first=(TS, "min"),
        sessions=("rep", "size"),
        ip_reputation=("rep", "min"),
        geo_risk=("geo", "max"),
        port_patterns=("susp", "mean"),
        protocol_usage=("unusual", "mean"),
        traffic_volume=("mb", "sum"),
        after_hours_share=("late", "mean"),
        weekend_share=("weekend", "mean"),
        upload_share=("upload", "mean"),
        cleartext_share=("clear", "mean"),
    )
    distinct = {
        "suspicious_ports": s[s["susp"] == 1.0].groupby("investigation_id")["dst_port"].nunique(),
        "unusual_protocols": s[s["unusual"] == 1.0].groupby("investigation_id")["proto"].nunique(),
    }
    for name, counts in distinct.items():
        out[name] = counts.reindex(out.index).fillna(0).astype(np.float64)
    span_h = (out[TS] - out.pop("first")).dt.total_seconds() / 3600.0
    out["sessions"] = out["sessions"].astype(np.float64)
    out["sessions_per_hour"] = out["sessions"] / np.maximum(span_h, 1.0)
    if "malicious" in s.columns:
        out["malicious"] = g["malicious"].max()
    return out.reset_index()
