"""The file sink: every event on its own line, in order, fsync'ed in batches, never raising."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from fortress.gateway.events import AuditEvent, EventSettings, FileEventSink, build_event_sink, read_events
from support.audit import make_event


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


def _sink(home: Path, registry: CollectorRegistry, **settings: object) -> FileEventSink:
    sink = build_event_sink(EventSettings.model_validate(settings), home, registry)
    assert isinstance(sink, FileEventSink)
    return sink


def _count(registry: CollectorRegistry, outcome: str) -> float:
    return (
        registry.get_sample_value("fortress_audit_events_total", {"sink": "file", "outcome": outcome}) or 0.0
    )


def _fsyncs(registry: CollectorRegistry) -> float:
    return registry.get_sample_value("fortress_audit_fsync_seconds_count", {"sink": "file"}) or 0.0


async def _until(check: object, timeout_s: float = 5.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_events_are_written_in_order_with_batched_fsync(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    sink = _sink(tmp_path, registry, fsync_interval_ms=50)
    events = [make_event(i, f"inv-{i % 5}") for i in range(1000)]

    async def main() -> None:
        await sink.start()
        for event in events[:500]:
            sink.emit(event)
        await _until(lambda: _count(registry, "written") == 500)  # the writer wakes by itself
        assert _fsyncs(registry) >= 1
        for event in events[500:]:
            sink.emit(event)
        await sink.aclose()

    asyncio.run(main())
    log = tmp_path / "audit" / "events.jsonl"
    assert list(read_events(log)) == events
    assert log.read_bytes().count(b"\n") == len(events)
    assert _count(registry, "written") == len(events)
    # One fsync per writer batch, not per event. How many batches two bursts make depends on when the
    # thread wakes: 2 at least, and a safety bound 50x below one per event.
    assert 2 <= _fsyncs(registry) <= len(events) / 50
    assert sink.status().ok


def test_one_batch_is_one_write_and_one_fsync_however_many_events(tmp_path: Path) -> None:
    """The writer never wakes here (a 10-minute interval): aclose writes everything queued as one batch."""
    registry = CollectorRegistry()
    sink = _sink(tmp_path, registry, fsync_interval_ms=600_000)
    events = [make_event(i) for i in range(1000)]

    async def main() -> None:
        await sink.start()
        for event in events:
            sink.emit(event)
        assert _count(registry, "written") == 0
        await sink.aclose()

    asyncio.run(main())
    assert list(read_events(tmp_path / "audit" / "events.jsonl")) == events
    assert _fsyncs(registry) == 1


def test_emit_before_start_and_aclose_without_start_still_write(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    sink = _sink(tmp_path, registry)
    sink.emit(make_event(1))
    asyncio.run(sink.aclose())
    assert len(list(read_events(tmp_path / "audit" / "events.jsonl"))) == 1


def test_a_restart_appends_and_a_line_cut_short_by_a_crash_is_isolated(tmp_path: Path) -> None:
    first, second = [make_event(i) for i in range(3)], [make_event(10 + i) for i in range(3)]

    async def run(events: list[AuditEvent]) -> None:
        sink = _sink(tmp_path, CollectorRegistry())
        await sink.start()
        for event in events:
            sink.emit(event)
        await sink.aclose()

    asyncio.run(run(first))
    log = tmp_path / "audit" / "events.jsonl"
    with log.open("ab") as crashed:
        crashed.write(b'{"event_id": "cut-sh')  # a crash in the middle of a write
    asyncio.run(run(second))
    assert list(read_events(log)) == first + second  # the torn line is skipped, nothing else lost
    assert log.read_bytes().count(b"\n") == 7


def test_an_unwritable_log_drops_counted_events_and_recovers(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    home = tmp_path / "home"
    sink = _sink(home, registry, fsync_interval_ms=10)
    audit_dir = home / "audit"

    async def main() -> None:
        await sink.start()
        sink.emit(make_event(0))
        await _until(lambda: _count(registry, "written") == 1)
        shutil.rmtree(audit_dir)
        audit_dir.write_bytes(b"")  # a file where the directory was: not writable even for root
        for i in range(5):
            sink.emit(make_event(1 + i))  # never raises
        await _until(lambda: _count(registry, "dropped") == 5)
        status = sink.status()
        assert not status.ok
        assert "cannot write" in status.detail
        audit_dir.unlink()
        sink.emit(make_event(9))
        await _until(lambda: sink.status().ok)
        await sink.aclose()

    asyncio.run(main())
    assert [e.timestamp for e in read_events(audit_dir / "events.jsonl")] == [make_event(9).timestamp]
    assert _count(registry, "written") == 2


def test_a_rotated_log_is_reopened_at_its_path(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    sink = _sink(tmp_path, registry, fsync_interval_ms=10)
    log = tmp_path / "audit" / "events.jsonl"

    async def main() -> None:
        await sink.start()
        sink.emit(make_event(0))
        await _until(lambda: _count(registry, "written") == 1)
        log.rename(log.with_suffix(".jsonl.1"))  # what logrotate does
        sink.emit(make_event(1))
        await sink.aclose()

    asyncio.run(main())
    assert [e.timestamp for e in read_events(log.with_suffix(".jsonl.1"))] == [make_event(0).timestamp]
    assert [e.timestamp for e in read_events(log)] == [make_event(1).timestamp]


def test_two_workers_sharing_the_log_never_interleave_lines(tmp_path: Path) -> None:
    sinks = [_sink(tmp_path, CollectorRegistry(), fsync_interval_ms=1) for _ in range(2)]
    events = [[make_event(w * 10_000 + i, f"worker-{w}") for i in range(3000)] for w in range(2)]

    async def main() -> None:
        for sink in sinks:
            await sink.start()
        for i in range(3000):
            for sink, mine in zip(sinks, events, strict=True):
                sink.emit(mine[i])
            if i % 100 == 0:
                await asyncio.sleep(0.002)
        for sink in sinks:
            await sink.aclose()

    asyncio.run(main())
    got = list(read_events(tmp_path / "audit" / "events.jsonl"))
    assert len(got) == 6000
    for w in range(2):
        assert [e for e in got if e.investigation_id == f"worker-{w}"] == events[w]


def test_a_full_buffer_and_a_closed_sink_drop_counted_events(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    sink = _sink(tmp_path, registry, buffer_max_events=3)
    for i in range(5):
        sink.emit(make_event(i))  # not started: nothing takes from the buffer
    assert _count(registry, "dropped") == 2
    assert registry.get_sample_value("fortress_audit_buffer_events", {"sink": "file"}) == 3
    asyncio.run(sink.aclose())
    sink.emit(make_event(9))
    assert _count(registry, "dropped") == 3
    assert _count(registry, "written") == 3
