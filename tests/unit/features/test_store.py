"""The Feast repository: applies cleanly, fills offline and online stores, serves online lookups."""

from __future__ import annotations

import asyncio
import warnings
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from fortress.errors import InvalidInput
from fortress.features.feast_store import FeastFeatureStore
from fortress.features.offline import read_view
from fortress.features.operations import apply_repository
from fortress.features.repo import FeatureRepo
from fortress.features.settings import FeatureSettings
from fortress.features.store import FeatureStore, OnlineFeatures
from fortress.features.views import GROUPS, LOGIN_PROFILE, NETWORK_FEATURES, USER_ACTIVITY, VIEWS
from support.features import END, Filled

ALL_GROUPS = list(GROUPS)


def _store(filled: Filled, *, late: timedelta = timedelta(0)) -> FeastFeatureStore:
    return FeastFeatureStore(filled.settings, filled.home, clock=lambda: END + late)


def _latest(filled: Filled, spec: object, key: str) -> dict[str, object]:
    frame = read_view(FeatureRepo.at(filled.settings, filled.home), spec)  # type: ignore[arg-type]
    join_key = spec.entity.join_key  # type: ignore[attr-defined]
    row = frame[frame[join_key] == key].sort_values("event_timestamp").iloc[-1]
    return row.to_dict()


def test_repository_applies_without_warnings(tmp_path: Path) -> None:
    import feast  # noqa: F401  (its import is not part of our definitions)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = apply_repository(FeatureSettings(), tmp_path)
    assert [str(w.message) for w in caught] == []
    assert report.views == tuple(VIEWS)
    fs = FeatureRepo.at(FeatureSettings(), tmp_path).open()
    entities = {e.name: e for e in fs.list_entities()}
    assert {name: e.join_key for name, e in entities.items()} == {
        "user": "user_id",
        "investigation": "investigation_id",
    }
    assert {e.value_type.name for e in entities.values()} == {"STRING"}
    views = {v.name: v for v in fs.list_feature_views()}
    assert {name: v.ttl for name, v in views.items()} == {name: spec.ttl for name, spec in VIEWS.items()}
    assert [f.name for f in views["threat_features"].features] == list(VIEWS["threat_features"].field_names)
    assert (tmp_path / "features" / "feature_store.yaml").is_file()


def test_ingest_fills_the_offline_store_with_timestamps(filled: Filled) -> None:
    repo = FeatureRepo.at(filled.settings, filled.home)
    for name, spec in VIEWS.items():
        frame = read_view(repo, spec)
        assert len(frame) == filled.rows[name] > 0, name
        assert str(frame["event_timestamp"].dtype) == "datetime64[ns, UTC]"
        assert frame["event_timestamp"].max() <= pd.Timestamp(END)
        assert list(frame.columns) == [spec.entity.join_key, "event_timestamp", *spec.field_names]
    assert filled.labels["behavior_analyzer"] > 100
    assert filled.labels["login_anomaly"] > 100


def test_materialized_values_are_served_with_catalog_field_names(filled: Filled) -> None:
    store = _store(filled)
    got = store.lookup_sync({"user_id": "u0003"}, ["user_activity", "login_event"])
    for group, spec in (("user_activity", USER_ACTIVITY), ("login_event", LOGIN_PROFILE)):
        latest = _latest(filled, spec, "u0003")
        assert got.values[group] == {name: latest[name] for name in spec.field_names}
        assert group not in got.missing
        assert group not in got.stale
    assert got.values["login_event"]["auth_method"] in {"password", "sso", "token", "passkey"}  # a category


def test_missing_entities_are_reported_never_zero_filled(filled: Filled) -> None:
    got = _store(filled).lookup_sync({"user_id": "nobody", "investigation_id": "inv-nope"}, ALL_GROUPS)
    assert got.values == {}
    assert got.stale == {}
    assert got.missing == {group: spec.field_names for group, spec in GROUPS.items()}
    no_key = _store(filled).lookup_sync({"user_id": "u0003"}, ["threat_features"])
    assert no_key.missing == {"threat_features": VIEWS["threat_features"].field_names}


def test_values_older_than_the_ttl_are_stale_not_served(filled: Filled) -> None:
    repo = FeatureRepo.at(filled.settings, filled.home)
    network = read_view(repo, NETWORK_FEATURES)
    live = network.sort_values("event_timestamp").iloc[-1]
    assert live["event_timestamp"] > pd.Timestamp(END) - timedelta(hours=1)
    entities = {"investigation_id": live["investigation_id"], "user_id": "u0003"}
    fresh = _store(filled).lookup_sync(entities, ["network_features", "user_activity"])
    assert set(fresh.values) == {"network_features", "user_activity"}
    later = _store(filled, late=timedelta(hours=2)).lookup_sync(
        entities, ["network_features", "user_activity"]
    )
    assert later.stale == {"network_features": NETWORK_FEATURES.field_names}
    assert "network_features" not in later.values
    assert set(later.values) == {"user_activity"}  # a 7-day TTL: still fresh


def test_async_lookup_status_and_close(filled: Filled) -> None:
    async def main() -> tuple[OnlineFeatures, tuple[bool, str]]:
        store: FeatureStore = await FeastFeatureStore.open(filled.settings, filled.home)
        try:
            got = await store.lookup({"user_id": "u0001"}, ["user_features", "user_features"])
            return got, store.status()
        finally:
            await store.aclose()

    got, (healthy, message) = asyncio.run(main())
    assert set(got.values) | set(got.missing) == {"user_features"}
    assert healthy
    assert "sqlite" in message


def test_unknown_groups_are_invalid(filled: Filled) -> None:
    with pytest.raises(InvalidInput, match="serves no group 'nsl_kdd'; it serves: threat_features"):
        _store(filled).lookup_sync({"user_id": "u1"}, ["nsl_kdd"])


def test_a_repository_never_applied_reports_missing_and_unhealthy(tmp_path: Path) -> None:
    store = FeastFeatureStore(FeatureSettings(), tmp_path)
    got = store.lookup_sync({"user_id": "u1"}, ["user_activity"])
    assert got.missing == {"user_activity": USER_ACTIVITY.field_names}
    healthy, message = store.status()
    assert not healthy
    assert "run `fortress features apply`" in message
