"""The Kafka audit sink against a real Kafka protocol peer, including a broker that goes away.

The peer is librdkafka's in-process mock cluster (no Kafka broker exists in Debian here). To make
the broker vanish and come back *at the same address* while keeping what it already stored, the
sink talks to it through ``support.tcp_proxy.KafkaTcpProxy``: the test cuts the proxy (every
connection closed, new ones refused) and restores it. The proxy rewrites the broker address the
mock advertises in its metadata to the proxy's own, otherwise the client would learn the mock's real
port and bypass the proxy after the first request. Tansu (the other peer in NOTES.md) can be killed
and restarted on its port, but keeps its log in memory, so it would forget what was delivered
before the kill; the proxy keeps one broker with its whole log, and the test reads every record back.

The proxy's default cut is graceful (a broker's controlled shutdown: requests already forwarded
get their answers), so no request is written by the broker while its acknowledgement is lost; that
is the one case in which the sink may deliver an event twice (see docs/AUDIT.md). A separate test
cuts abruptly for less than ``message.timeout.ms``, where librdkafka's idempotent retries must
still give exactly once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from fortress.gateway.events.base import AuditEvent, EventSink
from fortress.gateway.events.factory import build_event_sink
from fortress.gateway.events.kafka import KafkaEventSink
from fortress.gateway.events.pump import State
from fortress.gateway.events.settings import EventSettings
from support.audit import make_event
from support.kafka_mock import Record, mock_cluster, read_topic
from support.tcp_proxy import KafkaTcpProxy


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


@pytest.fixture
def broker() -> Iterator[tuple[str, KafkaTcpProxy]]:
    """(mock broker address, a proxy in front of it)."""
    with mock_cluster() as (host, port), KafkaTcpProxy(host, port) as proxy:
        yield f"{host}:{port}", proxy


def _settings(bootstrap: str, topic: str, **overrides: object) -> EventSettings:
    values: dict[str, object] = {
        "sink": "kafka",
        "kafka_bootstrap": bootstrap,
        "kafka_topic": topic,
        "kafka_message_timeout_ms": 1000,
        "kafka_probe_interval_ms": 200,
        "kafka_probe_timeout_ms": 500,
        "fsync_interval_ms": 20,
        "kafka_config": {"log_level": "3"},
    }
    values.update(overrides)
    return EventSettings.model_validate(values)


def _count(registry: CollectorRegistry, outcome: str) -> float:
    return (
        registry.get_sample_value("fortress_audit_events_total", {"sink": "kafka", "outcome": outcome}) or 0.0
    )


async def _until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _assert_exactly_once_in_order(records: list[Record], emitted: list[AuditEvent]) -> None:
    """Every emitted event exactly once, and each investigation's events in emit order."""
    got = [AuditEvent.from_json(r.value) for r in records]
    counts = Counter(e.event_id for e in got)
    assert sorted(counts) == sorted(e.event_id for e in emitted), "events missing or unexpected"
    duplicates = {k: n for k, n in counts.items() if n > 1}
    assert not duplicates, f"{len(duplicates)} events delivered more than once"
    assert {e.event_id: e for e in got} == {e.event_id: e for e in emitted}
    for r in records:
        assert r.key == AuditEvent.from_json(r.value).investigation_id.encode()
    per_key: dict[str, list[str]] = defaultdict(list)
    for e in got:  # records are in (partition, offset) order; a key lives on one partition
        per_key[e.investigation_id].append(e.event_id)
    for key, ids in per_key.items():
        assert ids == [e.event_id for e in emitted if e.investigation_id == key], f"order broken for {key}"


def _spool_files(home: Path) -> list[Path]:
    return sorted((home / "audit" / "spool").rglob("*.events"))


def test_happy_path_every_event_reaches_the_topic_once(
    tmp_path: Path, broker: tuple[str, KafkaTcpProxy]
) -> None:
    direct, proxy = broker
    registry = CollectorRegistry()
    sink = build_event_sink(_settings(proxy.address, "audit.happy"), tmp_path, registry)
    emitted = [make_event(i, f"inv-{i % 7}") for i in range(300)]

    async def main() -> None:
        await sink.start()
        await _until(lambda: sink.status().ok, 10, "the sink to reach Kafka")
        for event in emitted:
            sink.emit(event)
        await sink.aclose()

    asyncio.run(main())
    _assert_exactly_once_in_order(read_topic(direct, "audit.happy", len(emitted)), emitted)
    assert _count(registry, "written") == len(emitted)
    assert _count(registry, "spooled") == _count(registry, "dropped") == 0
    assert proxy.connections > 0  # the sink really went through the proxy
    assert sink.status().detail == "closed"


def test_broker_down_at_start_spools_then_replays_in_order(
    tmp_path: Path, broker: tuple[str, KafkaTcpProxy]
) -> None:
    direct, proxy = broker
    proxy.cut()
    registry = CollectorRegistry()
    sink = build_event_sink(_settings(proxy.address, "audit.down"), tmp_path, registry)
    before = [make_event(i, f"inv-{i % 3}") for i in range(150)]
    after = [make_event(1000 + i, f"inv-{i % 3}") for i in range(50)]

    async def main() -> None:
        await sink.start()  # does not raise, does not wait for the broker
        for event in before:
            sink.emit(event)
        await _until(lambda: sink.status().spooled == len(before), 10, "events to reach the spool")
        status = sink.status()
        assert not status.ok
        assert "unreachable" in status.detail
        assert registry.get_sample_value("fortress_audit_spool_events") == len(before)
        assert _spool_files(tmp_path)
        proxy.restore()
        await _until(lambda: sink.status().ok and sink.status().spooled == 0, 10, "the spool to be replayed")
        for event in after:
            sink.emit(event)
        await sink.aclose()

    asyncio.run(main())
    _assert_exactly_once_in_order(read_topic(direct, "audit.down", len(before) + len(after)), before + after)
    assert _count(registry, "spooled") == _count(registry, "replayed") == len(before)
    assert _count(registry, "written") == len(after)
    assert _spool_files(tmp_path) == []  # replayed spool files are deleted


def test_events_spooled_by_one_run_are_replayed_by_the_next(
    tmp_path: Path, broker: tuple[str, KafkaTcpProxy]
) -> None:
    direct, proxy = broker
    proxy.cut()
    emitted = [make_event(i, f"inv-{i % 4}") for i in range(120)]
    settings = _settings(proxy.address, "audit.restart")

    async def first_run() -> None:
        sink = build_event_sink(settings, tmp_path, CollectorRegistry())
        await sink.start()
        for event in emitted:
            sink.emit(event)
        await sink.aclose()  # Kafka still down: everything waits in the spool
        assert sink.status().spooled == len(emitted)

    async def second_run() -> None:
        registry = CollectorRegistry()
        sink = build_event_sink(settings, tmp_path, registry)
        await sink.start()
        await _until(lambda: sink.status().ok, 10, "the spool to be replayed")
        await sink.aclose()
        assert _count(registry, "replayed") == len(emitted)

    asyncio.run(first_run())
    assert _spool_files(tmp_path)
    proxy.restore()
    asyncio.run(second_run())
    _assert_exactly_once_in_order(read_topic(direct, "audit.restart", len(emitted)), emitted)
    assert _spool_files(tmp_path) == []


async def _emit_steadily(sink: EventSink, events: list[AuditEvent], seconds: float) -> None:
    per_tick = 10
    pause = seconds / (len(events) / per_tick)
    for start in range(0, len(events), per_tick):
        for event in events[start : start + per_tick]:
            sink.emit(event)
        await asyncio.sleep(pause)


def test_stop_and_restore_under_load_delivers_each_event_once_in_order(
    tmp_path: Path, broker: tuple[str, KafkaTcpProxy]
) -> None:
    """2,000 events over ~5 s; the broker is gone from ~1 s to ~3.5 s (longer than the 1 s message
    timeout, so events fail, spool, and are replayed while new ones keep coming)."""
    direct, proxy = broker
    registry = CollectorRegistry()
    sink = build_event_sink(_settings(proxy.address, "audit.load"), tmp_path, registry)
    emitted = [make_event(i, f"inv-{i % 20}") for i in range(2000)]

    async def outage() -> None:
        await asyncio.sleep(1.0)
        await asyncio.to_thread(proxy.cut)
        await asyncio.sleep(2.5)
        await asyncio.to_thread(proxy.restore)

    async def main() -> None:
        await sink.start()
        await _until(lambda: sink.status().ok, 10, "the sink to reach Kafka")
        await asyncio.gather(_emit_steadily(sink, emitted, 5.0), outage())
        await _until(lambda: sink.status().ok and sink.status().spooled == 0, 10, "the spool to be replayed")
        await sink.aclose()

    asyncio.run(main())
    _assert_exactly_once_in_order(read_topic(direct, "audit.load", len(emitted)), emitted)
    spooled, replayed = _count(registry, "spooled"), _count(registry, "replayed")
    assert spooled > 0, "the outage never reached the spool"
    assert replayed == spooled
    assert _count(registry, "written") + replayed == len(emitted)
    assert _count(registry, "dropped") == 0


def test_a_short_abrupt_outage_is_bridged_by_idempotent_retries(
    tmp_path: Path, broker: tuple[str, KafkaTcpProxy]
) -> None:
    """Connections dropped mid-request for less than the message timeout: librdkafka retries with the
    same producer id and sequence numbers, and the broker discards what it already has."""
    direct, proxy = broker
    registry = CollectorRegistry()
    settings = _settings(proxy.address, "audit.blip", kafka_message_timeout_ms=5000)
    sink = build_event_sink(settings, tmp_path, registry)
    emitted = [make_event(i, f"inv-{i % 10}") for i in range(1000)]

    async def blip() -> None:
        await asyncio.sleep(0.7)
        await asyncio.to_thread(proxy.cut, graceful=False)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(proxy.restore)

    async def main() -> None:
        await sink.start()
        await _until(lambda: sink.status().ok, 10, "the sink to reach Kafka")
        await asyncio.gather(_emit_steadily(sink, emitted, 2.0), blip())
        await sink.aclose()

    asyncio.run(main())
    _assert_exactly_once_in_order(read_topic(direct, "audit.blip", len(emitted)), emitted)
    assert _count(registry, "written") == len(emitted)
    assert _count(registry, "spooled") == 0


def test_an_idle_sink_reports_a_lost_broker_and_its_return(
    tmp_path: Path, broker: tuple[str, KafkaTcpProxy]
) -> None:
    direct, proxy = broker
    registry = CollectorRegistry()
    sink = build_event_sink(_settings(proxy.address, "audit.idle"), tmp_path, registry)

    async def main() -> None:
        await sink.start()
        await _until(lambda: sink.status().ok, 10, "the sink to reach Kafka")
        await asyncio.to_thread(proxy.cut)
        await _until(lambda: not sink.status().ok, 10, "the sink to notice")
        assert "down" in sink.status().detail
        await asyncio.to_thread(proxy.restore)
        await _until(lambda: sink.status().ok, 10, "the sink to notice the broker is back")
        sink.emit(make_event(1))
        await sink.aclose()
        sink.emit(make_event(2))  # closed: counted, not raised

    asyncio.run(main())
    assert _count(registry, "written") == 1
    assert _count(registry, "dropped") == 1
    assert [r.value for r in read_topic(direct, "audit.idle", 1)] == [make_event(1).to_json()]


def test_a_replay_cut_half_way_resumes_without_resending_what_was_confirmed(
    tmp_path: Path, broker: tuple[str, KafkaTcpProxy]
) -> None:
    direct, proxy = broker
    proxy.cut()
    registry = CollectorRegistry()
    sink = build_event_sink(_settings(proxy.address, "audit.replaycut"), tmp_path, registry)
    assert isinstance(sink, KafkaEventSink)
    emitted = [make_event(i, f"inv-{i % 20}") for i in range(60_000)]

    async def main() -> None:
        await sink.start()
        for event in emitted:
            sink.emit(event)
        await _until(lambda: sink.status().spooled == len(emitted), 15, "events to reach the spool")
        proxy.restore()
        await _until(lambda: 0 < sink.status().spooled < len(emitted), 10, "the replay to begin")
        await asyncio.to_thread(proxy.cut)
        await _until(lambda: sink.state is State.DOWN, 10, "the replay to fail")
        left = sink.status().spooled
        assert 0 < left < len(emitted)
        await asyncio.to_thread(proxy.restore)
        await _until(lambda: sink.status().ok and sink.status().spooled == 0, 15, "the replay to finish")
        await sink.aclose()

    asyncio.run(main())
    _assert_exactly_once_in_order(read_topic(direct, "audit.replaycut", len(emitted)), emitted)
    assert _count(registry, "replayed") == len(emitted)
