"""The Redis online store path, against the Redis on this machine (one Feast project per test)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import redis

from fortress.datasets.simulator.events import EventHistory
from fortress.features.feast_store import FeastFeatureStore
from fortress.features.offline import read_view
from fortress.features.operations import ingest
from fortress.features.repo import FeatureRepo
from fortress.features.settings import FeatureSettings
from fortress.features.store import OnlineFeatures
from fortress.features.views import GROUPS, NETWORK_FEATURES, USER_ACTIVITY
from support.features import END, Filled, fill

REDIS_URL = "redis://127.0.0.1:6379/0"


def _project_keys(client: redis.Redis, project: str) -> int:
    return sum(1 for _ in client.scan_iter(match=f"*{project}", count=1000))


@pytest.fixture
def redis_filled(tmp_path: Path) -> Iterator[Filled]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    project = f"fortress_test_{uuid.uuid4().hex[:10]}"
    settings = FeatureSettings(online="redis", redis_url=REDIS_URL, project=project)
    try:
        yield fill(tmp_path, settings, users=25, days=8)
    finally:
        FeatureRepo.at(settings, tmp_path).open().teardown()
        assert _project_keys(client, project) == 0
        client.close()


def test_redis_online_store_serves_present_missing_and_stale(redis_filled: Filled) -> None:
    filled = redis_filled
    client = redis.Redis.from_url(REDIS_URL)
    assert _project_keys(client, filled.settings.project) > 0
    client.close()
    repo = FeatureRepo.at(filled.settings, filled.home)
    activity = read_view(repo, USER_ACTIVITY)
    latest = activity[activity["user_id"] == "u0002"].sort_values("event_timestamp").iloc[-1]
    live = read_view(repo, NETWORK_FEATURES).sort_values("event_timestamp").iloc[-1]
    entities = {"user_id": "u0002", "investigation_id": str(live["investigation_id"])}

    async def lookups() -> tuple[OnlineFeatures, OnlineFeatures, OnlineFeatures, tuple[bool, str]]:
        now = FeastFeatureStore(filled.settings, filled.home, clock=lambda: END)
        later = FeastFeatureStore(filled.settings, filled.home, clock=lambda: END + timedelta(hours=2))
        try:
            present = await now.lookup(entities, list(GROUPS))
            missing = await now.lookup({"user_id": "nobody"}, ["user_activity", "login_event"])
            stale = await later.lookup(entities, ["network_features", "user_activity"])
            return present, missing, stale, now.status()
        finally:
            await now.aclose()
            await later.aclose()

    present, missing, stale, (healthy, message) = asyncio.run(lookups())
    assert present.values["user_activity"] == {name: latest[name] for name in USER_ACTIVITY.field_names}
    assert set(present.values) == set(GROUPS)
    assert present.missing == {}
    assert present.stale == {}
    assert missing.values == {}
    assert set(missing.missing) == {"user_activity", "login_event"}
    assert stale.stale == {"network_features": NETWORK_FEATURES.field_names}
    assert set(stale.values) == {"user_activity"}
    assert healthy
    assert "redis at 127.0.0.1:6379" in message


def test_ingest_can_push_straight_to_redis(redis_filled: Filled) -> None:
    filled = redis_filled
    one = filled.events.activity[filled.events.activity["user_id"] == "u0004"].copy()
    one["user_id"] = "pushed-user"
    one["event_timestamp"] = pd.Timestamp(END) - timedelta(minutes=5)
    history = filled.events
    events = EventHistory(
        history.accounts.iloc[:0], one.iloc[:1], history.logins.iloc[:0], history.sessions.iloc[:0]
    )
    report = ingest(filled.settings, filled.home, events, push_online=True)
    assert report.pushed["user_activity"] == 1
    got = FeastFeatureStore(filled.settings, filled.home, clock=lambda: END).lookup_sync(
        {"user_id": "pushed-user"}, ["user_activity"]
    )
    assert got.values["user_activity"]["sessions_per_day"] == pytest.approx(1 / 7)


def test_an_unreachable_redis_is_unavailable(tmp_path: Path) -> None:
    from fortress.features.errors import FeatureStoreUnavailable

    settings = FeatureSettings(
        online="redis", redis_url="redis://127.0.0.1:1/0", project="fortress_unreachable"
    )
    store = FeastFeatureStore(settings, tmp_path)
    with pytest.raises(FeatureStoreUnavailable, match="online feature store unavailable"):
        store.lookup_sync({"user_id": "u1"}, ["user_activity"])
    healthy, message = store.status()
    assert not healthy
    assert "online store read failed (redis at 127.0.0.1:1" in message
