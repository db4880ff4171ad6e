"""The feature pipeline: raw events -> rows of every feature view (with timestamps) and label rows.

``compute_views`` is pure: the same events give the same rows. Writing them to the offline store
(and pushing them online) is ``features/operations.py``'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from fortress.datasets.simulator.events import EventHistory
from fortress.features.intel import ThreatIntel
from fortress.features.scores import (
    ACTIVITY_PATTERN,
    BEHAVIORAL_SCORE,
    CONFIDENCE,
    CONTENT_SCORE,
    NETWORK_SCORE,
    RISK_PROFILE,
    STATISTICAL_SCORE,
    TEMPORAL_SCORE,
    THREAT_LEVEL,
)
from fortress.features.views import (
    LOGIN_PROFILE,
    NETWORK_FEATURES,
    THREAT_FEATURES,
    TIMESTAMP,
    USER_ACTIVITY,
    USER_FEATURES,
    VIEWS,
    Dtype,
    ViewSpec,
)
from fortress.features.windows import activity_windows, investigation_summary, login_context

LABEL = "label"
ACTIVITY_WARMUP = timedelta(days=7)
"""Activity label rows start once a full 7-day window lies inside the data."""
LOGIN_WARMUP = timedelta(days=3)
"""Login label rows start once most users' devices and countries have been seen."""
_NS = "datetime64[ns, UTC]"
_PANDAS_DTYPES = {
    Dtype.FLOAT32: "float32",
    Dtype.FLOAT64: "float64",
    Dtype.INT64: "Int64",
    Dtype.STRING: object,
}


@dataclass(frozen=True, slots=True)
class PipelineOutput:
    views: Mapping[str, pd.DataFrame]
    """View name -> rows: join key, ``event_timestamp``, the view's fields (typed as the view says)."""
    labels: Mapping[str, pd.DataFrame]
    """Model name -> label rows: join key, ``event_timestamp``, ``label`` (ground truth in the events)."""

    def rows(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.views.items()}


def view_frame(spec: ViewSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s columns for ``spec`` in offline-store order and dtypes; one row per (entity, time)."""
    columns = [spec.entity.join_key, TIMESTAMP, *spec.field_names]
    out = frame.reindex(columns=columns).astype({n: _PANDAS_DTYPES[d] for n, d in spec.fields})
    out[spec.entity.join_key] = out[spec.entity.join_key].astype(str)
    out[TIMESTAMP] = pd.to_datetime(out[TIMESTAMP], utc=True)
    out = out.sort_values([spec.entity.join_key, TIMESTAMP], kind="stable")
    return out.drop_duplicates([spec.entity.join_key, TIMESTAMP], keep="last").reset_index(drop=True)


def _as_of(left: pd.DataFrame, right: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """For each ``left`` row, the latest ``right`` row of the same user at or before its time."""
    order = left[TIMESTAMP].argsort(kind="stable")
    merged = pd.merge_asof(
        left.iloc[order].reset_index()[["index", "user_id", TIMESTAMP]],
        right.sort_values(TIMESTAMP, kind="stable")[["user_id", TIMESTAMP, *columns]],
        on=TIMESTAMP,
        by="user_id",
        direction="backward",
    )
    return merged.set_index("index").reindex(left.index)[columns]


def _counts_over_time(investigations: pd.DataFrame) -> pd.DataFrame:
    """Per user and investigation time: investigations so far, and those at threat level >= 2."""
    inv = investigations.sort_values(TIMESTAMP, kind="stable")
    by_user = inv.groupby("user_id", sort=False)
    return pd.DataFrame(
        {
            "user_id": inv["user_id"],
            TIMESTAMP: inv[TIMESTAMP],
            "total_investigations": by_user.cumcount() + 1.0,
            "threat_encounters": (inv["threat_level"] >= 2)
            .astype(np.float64)
            .groupby(inv["user_id"])
            .cumsum(),
        }
    )


def _normalized(events: EventHistory) -> EventHistory:
    """Timestamps as datetime64[ns, UTC] in every frame (merges need one resolution)."""
    frames = (events.accounts, events.activity, events.logins, events.sessions)
    return EventHistory(
        *(f.assign(**{TIMESTAMP: pd.to_datetime(f[TIMESTAMP], utc=True).astype(_NS)}) for f in frames)
    )


def _investigations(sessions: pd.DataFrame, activity: pd.DataFrame, intel: ThreatIntel) -> pd.DataFrame:
    inv = investigation_summary(sessions, intel)
    inv["behavioral_score"] = (
        _as_of(inv, activity, ["behavioral_score"])["behavioral_score"] if len(activity) else np.nan
    )
    for computation in (NETWORK_SCORE, TEMPORAL_SCORE, CONTENT_SCORE, STATISTICAL_SCORE):
        inv[computation.name] = computation.batch(inv)
    inv["threat_level"] = THREAT_LEVEL.batch(inv)
    inv["confidence"] = CONFIDENCE.batch(inv)
    inv["geo_anomalies"] = inv["geo_risk"]
    return inv


def _users(activity: pd.DataFrame, inv: pd.DataFrame | None, accounts: pd.DataFrame) -> pd.DataFrame:
    users = activity[["user_id", TIMESTAMP, "behavioral_score"]].copy()
    users["activity_pattern"] = ACTIVITY_PATTERN.batch(activity)
    names = ["total_investigations", "threat_encounters"]
    users[names] = _as_of(users, _counts_over_time(inv), names).fillna(0.0) if inv is not None else 0.0
    users["risk_profile"] = RISK_PROFILE.batch(users)
    created = accounts.drop_duplicates("user_id", keep="last").set_index("user_id")[TIMESTAMP]
    age = users[TIMESTAMP] - users["user_id"].map(created)
    users["account_age_days"] = np.floor(age.dt.total_seconds() / 86400.0)
    return users


def compute_views(events: EventHistory, intel: ThreatIntel) -> PipelineOutput:
    """Every view's rows (and the label rows) that ``events`` determine; absent kinds give no rows."""
    events = _normalized(events)
    views = {name: view_frame(spec, pd.DataFrame()) for name, spec in VIEWS.items()}
    labels: dict[str, pd.DataFrame | None] = {}
    activity = pd.DataFrame()
    if len(events.activity):
        activity = activity_windows(events.activity)
        activity["behavioral_score"] = BEHAVIORAL_SCORE.batch(activity)
        views[USER_ACTIVITY.name] = view_frame(USER_ACTIVITY, activity)
        labels["behavior_analyzer"] = _labels(activity, "anomalous", ACTIVITY_WARMUP, events.activity)
    inv = _investigations(events.sessions, activity, intel) if len(events.sessions) else None
    if inv is not None:
        views[THREAT_FEATURES.name] = view_frame(THREAT_FEATURES, inv)
        views[NETWORK_FEATURES.name] = view_frame(NETWORK_FEATURES, inv)
    if len(activity):
        views[USER_FEATURES.name] = view_frame(USER_FEATURES, _users(activity, inv, events.accounts))
    if len(events.logins):
        logins = login_context(events.logins, intel)
        views[LOGIN_PROFILE.name] = view_frame(LOGIN_PROFILE, logins)
        labels["login_anomaly"] = _labels(logins, "takeover", LOGIN_WARMUP, events.logins)
    return PipelineOutput(views, {k: v for k, v in labels.items() if v is not None})


def _labels(rows: pd.DataFrame, column: str, warmup: timedelta, raw: pd.DataFrame) -> pd.DataFrame | None:
    if column not in rows.columns or rows[column].isna().all() or rows.empty:
        return None
    start = raw[TIMESTAMP].min() + warmup
    kept = rows[(rows[TIMESTAMP] >= start) & rows[column].notna()]
    out = pd.DataFrame(
        {
            "user_id": kept["user_id"].astype(str),
            TIMESTAMP: kept[TIMESTAMP],
            LABEL: kept[column].astype(np.int64),
        }
    )
    return out.drop_duplicates(["user_id", TIMESTAMP], keep="last").reset_index(drop=True)
