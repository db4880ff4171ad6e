"""The Kafka sink with no broker at all: start does not wait or raise, events go to the spool."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from fortress.gateway.events import EventSettings, build_event_sink
from fortress.gateway.events.producer import AuditProducer
from fortress.gateway.events.spool import open_slot
from support.audit import make_event
from support.processes import free_port


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


def _settings() -> EventSettings:
    return EventSettings(
        sink="kafka",
        kafka_bootstrap=f"127.0.0.1:{free_port()}",  # nothing listens there
        kafka_probe_interval_ms=100,
        kafka_probe_timeout_ms=300,
        fsync_interval_ms=10,
        kafka_config={"log_level": "0"},
    )


CLOSE_SAFETY_S = 10.0
"""A safety limit, not a benchmark: closing waits at most for the probe in progress (300 ms here) and the
producer's close; 30x that catches a close left waiting on the missing broker, not a slow machine."""


def test_a_missing_broker_costs_nothing_but_spooling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = CollectorRegistry()
    sink = build_event_sink(_settings(), tmp_path, registry)
    first_probe, probing = threading.Event(), threading.Event()
    real_probe = AuditProducer.probe

    def held_probe(producer: AuditProducer) -> None:
        """The first probe of the broker does not end until start has returned."""
        if not first_probe.is_set():
            probing.set()
            first_probe.wait(timeout=30)
        real_probe(producer)

    monkeypatch.setattr(AuditProducer, "probe", held_probe)

    async def main() -> None:
        async with asyncio.timeout(20):  # a start that waited on the held probe never returns
            await sink.start()
        first_probe.set()  # start returned with its first probe of the broker still unanswered
        assert probing.wait(timeout=10)
        for i in range(50):
            sink.emit(make_event(i))
        # A safety limit, not a benchmark: 50 failed deliveries spool within one fsync interval (50 ms)
        # after librdkafka reports them (~0.3 s here); 5 s is >10x that. The count is what is asserted.
        deadline = time.monotonic() + 5
        while sink.status().spooled < 50:
            assert time.monotonic() < deadline, sink.status()
            await asyncio.sleep(0.01)
        status = sink.status()
        assert (status.ok, status.kind) == (False, "kafka")
        assert "unreachable" in status.detail
        async with asyncio.timeout(CLOSE_SAFETY_S):
            await sink.aclose()

    asyncio.run(main())
    assert (
        registry.get_sample_value("fortress_audit_events_total", {"sink": "kafka", "outcome": "spooled"})
        == 50
    )
    spool = open_slot(tmp_path / "audit" / "spool")
    assert [e.event for e in spool.read(100)] == [make_event(i) for i in range(50)]
    spool.close()


def test_events_queued_before_start_are_spooled_by_aclose(tmp_path: Path) -> None:
    sink = build_event_sink(_settings(), tmp_path, CollectorRegistry())
    for i in range(3):
        sink.emit(make_event(i))
    asyncio.run(sink.aclose())
    assert sink.status().spooled == 3
    assert sink.status().detail == "closed"
    spool = open_slot(tmp_path / "audit" / "spool")
    assert spool.pending == 3
    spool.close()
