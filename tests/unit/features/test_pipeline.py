"""Raw events -> view rows: windows look only backwards, views have the store's schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from fortress.catalog.fields import LOGIN_EVENT_FIELDS, USER_ACTIVITY_FIELDS
from fortress.datasets.simulator.events import EventHistory, simulate_events
from fortress.features.intel import LocalIntel
from fortress.features.offline import arrow_schema
from fortress.features.pipeline import PipelineOutput, compute_views
from fortress.features.views import LOGIN_PROFILE, USER_ACTIVITY, VIEWS
from fortress.features.windows import activity_windows, investigation_summary, login_context

T0 = pd.Timestamp("2026-11-02 10:00", tz="UTC")
END = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _activity(offsets_days: list[float], ips: list[str]) -> pd.DataFrame:
    n = len(offsets_days)
    return pd.DataFrame(
        {
            "user_id": "u1",
            "event_timestamp": [T0 + pd.Timedelta(days=d) for d in offsets_days],
            "session_minutes": [30.0] * n,
            "ip": ips,
            "device_id": ["d0"] * n,
            "actions": [10] * n,
            "failed_actions": [1] * n,
            "download_mb": [5.0] * n,
            "privileged_actions": [0] * n,
            "new_resources": [2] * n,
            "api_calls": [6] * n,
            "anomalous": [0] * n,
        }
    )


def test_activity_windows_cover_the_seven_days_up_to_each_event() -> None:
    rows = activity_windows(_activity([0, 2, 8], ["1.1.1.1", "2.2.2.2", "2.2.2.2"]))
    assert tuple(rows.columns[2:12]) == USER_ACTIVITY_FIELDS
    first, second, third = rows.to_dict("records")
    assert first["sessions_per_day"] == pytest.approx(1 / 7)
    assert second["distinct_ips_7d"] == 2.0
    assert third["sessions_per_day"] == pytest.approx(2 / 7)  # the day-0 event left the window
    assert third["distinct_ips_7d"] == 1.0
    assert third["data_download_mb"] == 10.0
    assert third["failed_action_ratio"] == pytest.approx(0.1)
    assert third["api_calls_per_hour"] == pytest.approx(12.0)
    assert third["after_hours_ratio"] == 0.0


def test_login_context_looks_at_the_users_past_only() -> None:
    def login(minutes: float, ok: int, device: str = "d0") -> dict[str, object]:
        return {
            "user_id": "u1",
            "event_timestamp": T0 + pd.Timedelta(minutes=minutes),
            "ip": "10.0.0.1",
            "country": "FR",
            "latitude": 46.0,
            "longitude": 2.0,
            "device_id": device,
            "user_agent": f"ua/{device}",
            "auth_method": "sso",
            "mfa_used": 1,
            "success": ok,
            "takeover": 0,
        }

    events = pd.DataFrame(
        [login(0, 1), login(60, 0), login(150, 0), login(170, 1, "d1"), login(600, 1, "d1")]
    )
    rows = login_context(events, LocalIntel())
    assert tuple(rows.columns[2:12]) == LOGIN_EVENT_FIELDS
    first, second, third = rows.to_dict("records")
    assert first["hours_since_last_login"] == 720.0
    assert first["is_new_device"] == 1.0
    assert first["geo_distance_km"] == 0.0
    assert second["failed_attempts_1h"] == 1.0  # the failure at 150 min, not the one at 60
    assert second["hours_since_last_login"] == pytest.approx(170 / 60)
    assert second["is_new_device"] == 1.0
    assert second["user_agent_changed"] == 1.0
    assert second["is_new_country"] == 0.0
    assert third["is_new_device"] == 0.0
    assert third["user_agent_changed"] == 0.0
    assert third["ip_reputation"] == 1.0
    assert third["logins_last_24h"] == 3.0
    assert third["auth_method"] == "sso"


def test_investigation_summary_counts_distinct_suspicious_ports_and_protocols() -> None:
    sessions = pd.DataFrame(
        {
            "investigation_id": ["i1"] * 4,
            "user_id": ["u1"] * 4,
            "event_timestamp": [T0 + pd.Timedelta(minutes=m) for m in (0, 1, 2, 30)],
            "src_ip": ["185.220.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3"],
            "dst_port": [22, 22, 3389, 443],
            "protocol": ["tcp", "gre", "GRE", "sctp"],
            "country": ["RU", "FR", "FR", "FR"],
            "bytes_out": [1e6, 1e3, 1e3, 1e3],
            "bytes_in": [1e3, 1e3, 1e3, 1e3],
        }
    )
    (row,) = investigation_summary(sessions, LocalIntel()).to_dict("records")
    assert row["suspicious_ports"] == 2.0
    assert row["unusual_protocols"] == 2.0  # gre and sctp (case-insensitive)
    assert row["ip_reputation"] == 0.1
    assert row["geo_risk"] == 0.7
    assert row["port_patterns"] == 0.75
    assert row["upload_share"] == 0.25
    assert row["sessions_per_hour"] == 4.0
    assert row["event_timestamp"] == T0 + pd.Timedelta(minutes=30)


@pytest.fixture(scope="module")
def events() -> EventHistory:
    return simulate_events(30, 12, seed=11, end=END)


@pytest.fixture(scope="module")
def output(events: EventHistory) -> PipelineOutput:
    return compute_views(events, LocalIntel())


def test_every_view_has_the_offline_schema(output: PipelineOutput) -> None:
    import pyarrow as pa

    assert set(output.views) == set(VIEWS)
    for name, frame in output.views.items():
        assert len(frame) > 0, name
        table = pa.Table.from_pandas(frame, schema=arrow_schema(VIEWS[name]), preserve_index=False)
        assert table.num_rows == len(frame)
        key = VIEWS[name].entity.join_key
        assert not frame.duplicated([key, "event_timestamp"]).any()
    assert output.views["threat_features"]["threat_level"].dropna().between(0, 3).all()
    assert set(output.labels) == {"behavior_analyzer", "login_anomaly"}
    assert output.labels["behavior_analyzer"]["event_timestamp"].min() >= pd.Timestamp(
        END
    ).normalize() - pd.Timedelta(days=4)


@pytest.mark.parametrize("view", [USER_ACTIVITY, LOGIN_PROFILE], ids=lambda v: v.name)
def test_rows_never_use_later_events(events: EventHistory, output: PipelineOutput, view: object) -> None:
    """Rows up to a cut-off are the same whether or not the events after it exist."""
    cut = pd.Timestamp(END) - pd.Timedelta(days=4)
    early = EventHistory(
        events.accounts,
        events.activity[events.activity["event_timestamp"] <= cut],
        events.logins[events.logins["event_timestamp"] <= cut],
        events.sessions[events.sessions["event_timestamp"] <= cut],
    )
    name = view.name  # type: ignore[attr-defined]
    truncated = compute_views(early, LocalIntel()).views[name]
    full = output.views[name]
    pd.testing.assert_frame_equal(full[full["event_timestamp"] <= cut].reset_index(drop=True), truncated)
