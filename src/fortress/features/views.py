"""What the feature store holds, as plain data: entities, feature views, their fields and TTLs.

This module does not import Feast, so the gateway and the CLI can read the table cheaply;
``features/definitions.py`` turns it into Feast objects. A *feature group* is the name a model's
spec uses (``ModelSpec.feature_group``); ``GROUPS`` maps each group the store serves to its view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from fortress.catalog.fields import LOGIN_EVENT_FIELDS, USER_ACTIVITY_FIELDS


class Dtype(StrEnum):
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    INT64 = "int64"
    STRING = "string"


@dataclass(frozen=True, slots=True)
class EntitySpec:
    name: str
    join_key: str
    description: str


@dataclass(frozen=True, slots=True)
class ViewSpec:
    name: str
    entity: EntitySpec
    ttl: timedelta
    fields: tuple[tuple[str, Dtype], ...]
    group: str
    """The feature group served from this view (the catalog's name where a model reads it)."""
    description: str
    tier: str

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)


USER = EntitySpec("user", "user_id", "A user account whose activity and logins are scored.")
INVESTIGATION = EntitySpec("investigation", "investigation_id", "One investigation (case) being scored.")
ENTITIES = (USER, INVESTIGATION)

TIMESTAMP = "event_timestamp"
"""Timestamp column of every offline row and every label row (UTC)."""

_F32, _F64, _I64, _STR = Dtype.FLOAT32, Dtype.FLOAT64, Dtype.INT64, Dtype.STRING

THREAT_FEATURES = ViewSpec(
    name="threat_features",
    entity=INVESTIGATION,
    ttl=timedelta(days=7),
    fields=(
        ("network_score", _F32),
        ("behavioral_score", _F32),
        ("temporal_score", _F32),
        ("content_score", _F32),
        ("statistical_score", _F32),
        ("threat_level", _I64),
        ("confidence", _F32),
    ),
    group="threat_features",
    description="Per-investigation threat scores (blueprint section 4).",
    tier="1",
)
USER_FEATURES = ViewSpec(
    name="user_features",
    entity=USER,
    ttl=timedelta(days=30),
    fields=(
        ("activity_pattern", _F32),
        ("risk_profile", _F32),
        ("account_age_days", _I64),
        ("total_investigations", _I64),
        ("threat_encounters", _I64),
    ),
    group="user_features",
    description="Per-user profile (blueprint section 4).",
    tier="2",
)
NETWORK_FEATURES = ViewSpec(
    name="network_features",
    entity=INVESTIGATION,
    ttl=timedelta(hours=1),
    fields=(
        ("ip_reputation", _F32),
        ("port_patterns", _F32),
        ("protocol_usage", _F32),
        ("geo_anomalies", _F32),
        ("traffic_volume", _F32),
    ),
    group="network_features",
    description="Per-investigation network evidence (blueprint section 4).",
    tier="1",
)
USER_ACTIVITY = ViewSpec(
    name="user_activity",
    entity=USER,
    ttl=timedelta(days=7),
    fields=tuple((name, _F64) for name in USER_ACTIVITY_FIELDS),
    group="user_activity",
    description="The user's activity over the last 7 days: behavior_analyzer's inputs.",
    tier="1",
)
LOGIN_PROFILE = ViewSpec(
    name="login_profile",
    entity=USER,
    ttl=timedelta(days=7),
    fields=(*((name, _F64) for name in LOGIN_EVENT_FIELDS), ("auth_method", _STR)),
    group="login_event",
    description="The user's latest successful login, in context of their history: login_anomaly's inputs.",
    tier="1",
)

VIEWS: MappingProxyType[str, ViewSpec] = MappingProxyType(
    {v.name: v for v in (THREAT_FEATURES, USER_FEATURES, NETWORK_FEATURES, USER_ACTIVITY, LOGIN_PROFILE)}
)
GROUPS: MappingProxyType[str, ViewSpec] = MappingProxyType({v.group: v for v in VIEWS.values()})
"""Feature group -> the view serving it."""

MODEL_VIEWS: MappingProxyType[str, ViewSpec] = MappingProxyType(
    {"behavior_analyzer": USER_ACTIVITY, "login_anomaly": LOGIN_PROFILE}
)
"""Models that train from (and are served) store features, and the view holding their fields."""

MAX_TTL = max(v.ttl for v in VIEWS.values())
