"""The raw event simulator: seeded, timestamped, round-trips through one table."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from fortress.datasets.simulator.events import COLUMNS, EVENT_TYPE, EventHistory, simulate_events
from fortress.errors import InvalidInput

END = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def events() -> EventHistory:
    return simulate_events(40, 10, seed=3, end=END)


def test_same_seed_same_history(events: EventHistory) -> None:
    again = simulate_events(40, 10, seed=3, end=END)
    pd.testing.assert_frame_equal(events.to_frame(), again.to_frame())
    other = simulate_events(40, 10, seed=4, end=END)
    assert not events.activity["download_mb"].equals(other.activity["download_mb"])


def test_events_have_their_columns_and_end_by_end(events: EventHistory) -> None:
    frames = (events.accounts, events.activity, events.logins, events.sessions)
    for kind, frame in zip(COLUMNS, frames, strict=True):
        assert tuple(frame.columns) == COLUMNS[kind]
        assert len(frame) > 0
        assert str(frame["event_timestamp"].dtype) == "datetime64[ns, UTC]"
        assert frame["event_timestamp"].max() <= pd.Timestamp(END)
    for frame in frames[1:]:
        assert frame["event_timestamp"].min() >= pd.Timestamp(END).normalize() - pd.Timedelta(days=9)
        assert frame["event_timestamp"].is_monotonic_increasing


def test_ground_truth_rates_are_plausible(events: EventHistory) -> None:
    successful = events.logins[events.logins["success"] == 1]
    assert 0.005 < successful["takeover"].mean() < 0.08
    assert 0.0 < events.activity["anomalous"].mean() < 0.3
    assert 0.1 < events.sessions.groupby("investigation_id")["malicious"].max().mean() < 0.6
    assert (events.logins["success"] == 0).any()


def test_one_table_round_trip(events: EventHistory) -> None:
    table = events.to_frame()
    assert set(table[EVENT_TYPE]) == set(COLUMNS)
    back = EventHistory.from_frame(table)
    pd.testing.assert_frame_equal(back.logins, events.logins)
    pd.testing.assert_frame_equal(back.sessions, events.sessions)


def test_bad_tables_are_rejected(events: EventHistory) -> None:
    with pytest.raises(InvalidInput, match="event_type"):
        EventHistory.from_frame(events.activity)
    with pytest.raises(InvalidInput, match=r"unknown event types \['click'\]"):
        EventHistory.from_frame(pd.DataFrame({EVENT_TYPE: ["click"]}))
    broken = events.to_frame().drop(columns=["download_mb"])
    with pytest.raises(InvalidInput, match=r"activity events lack column\(s\) \['download_mb'\]"):
        EventHistory.from_frame(broken)
    with pytest.raises(InvalidInput, match="n_users"):
        simulate_events(0, 10)
