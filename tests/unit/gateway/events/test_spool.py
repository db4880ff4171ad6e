"""The Kafka sink's disk spool: order, acknowledgements, segment files, and picking up after a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fortress.gateway.events.spool import Spool, SpoolBusy, SpooledEvent, SpoolWriteError, open_slot
from support.audit import make_event


def _timestamps(entries: list[SpooledEvent]) -> list[float]:
    return [e.event.timestamp for e in entries]


def test_events_come_back_in_append_order_across_segments(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_events=4)
    events = [make_event(i) for i in range(10)]
    spool.append(events[:3])
    spool.append(events[3:])
    assert spool.pending == 10
    assert len(list(tmp_path.glob("*.events"))) == 3  # 4 + 4 + 2
    first = spool.read(6)
    rest = spool.read(100)
    assert [e.event for e in first + rest] == events
    assert spool.exhausted
    assert spool.read(100) == []
    spool.close()


def test_a_segment_is_deleted_only_when_every_event_in_it_is_acknowledged(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_events=3)
    spool.append([make_event(i) for i in range(6)])
    entries = spool.read(100)
    for entry in entries[:2] + entries[3:]:  # all but the third event
        spool.ack(entry.segment, entry.index)
    spool.sync()
    assert spool.pending == 1
    assert len(list(tmp_path.glob("*.events"))) == 1  # the second segment is gone
    spool.rewind()
    [left] = spool.read(100)
    assert left.event == make_event(2)
    spool.ack(left.segment, left.index)
    spool.sync()
    assert spool.pending == 0
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]
    spool.close()


CRASHING_WRITER = """
import os, sys
import os
import subprocess
import sys
from pathlib import Path
from fortress.gateway.events.spool import Spool
from support.audit import make_event

spool = Spool(Path(sys.argv[1]), segment_events=100)
spool.append([make_event(i) for i in range(5)])
for entry in spool.read(2):
    spool.ack(entry.segment, entry.index)
spool.sync()
os._exit(0)  # dies without closing anything
"""


def test_a_fresh_spool_picks_up_what_a_crashed_one_left(tmp_path: Path) -> None:
    tests_dir = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests_dir), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(tmp_path)], check=True, env=env, timeout=60)
    [segment] = tmp_path.glob("*.events")
    with segment.open("ab") as torn:
        torn.write(b'{"event_id": "half a li')  # and its last write was cut short

    again = Spool(tmp_path, segment_events=100)
    assert again.pending == 3
    assert _timestamps(again.read(100)) == [make_event(i).timestamp for i in (2, 3, 4)]
    again.append([make_event(5)])  # a new run appends to a new segment, never behind the torn line
    assert len(list(tmp_path.glob("*.events"))) == 2
    assert _timestamps(again.read(100)) == [make_event(5).timestamp]
    again.close()
    third = Spool(tmp_path)
    assert third.pending == 4
    third.close()


def test_one_process_per_spool_directory(tmp_path: Path) -> None:
    first = Spool(tmp_path)
    with pytest.raises(SpoolBusy):
        Spool(tmp_path)
    first.close()
    Spool(tmp_path).close()  # free again


def test_each_worker_gets_its_own_slot_and_a_gone_workers_spool_is_adopted(tmp_path: Path) -> None:
    a = open_slot(tmp_path)
    b = open_slot(tmp_path)
    assert (a.directory.name, b.directory.name) == ("worker-0", "worker-1")
    a.append([make_event(0), make_event(1)])
    b.append([make_event(2), make_event(3), make_event(4)])
    [acked] = b.read(1)
    b.ack(acked.segment, acked.index)
    b.close()  # worker 1 stops for good
    a.close()  # worker 0 restarts ...
    c = open_slot(tmp_path)  # ... and takes over both
    assert c.directory.name == "worker-0"
    assert c.pending == 4
    assert _timestamps(c.read(10)) == [make_event(i).timestamp for i in (0, 1, 3, 4)]
    assert list((tmp_path / "worker-1").glob("*.events")) == []
    c.close()


def test_new_appends_go_behind_the_reader(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_events=100)
    spool.append([make_event(0), make_event(1)])
    assert _timestamps(spool.read(100)) == [make_event(0).timestamp, make_event(1).timestamp]
    spool.append([make_event(2)])
    assert not spool.exhausted
    assert _timestamps(spool.read(100)) == [make_event(2).timestamp]
    spool.close()


def test_seek_and_rewind_read_unacknowledged_events_again(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([make_event(i) for i in range(4)])
    entries = spool.read(4)
    spool.seek(entries[2])
    assert _timestamps(spool.read(4)) == _timestamps(entries[2:])
    spool.ack(entries[0].segment, entries[0].index)
    spool.rewind()
    assert _timestamps(spool.read(4)) == _timestamps(entries[1:])
    spool.close()


def test_a_corrupt_line_is_skipped_not_replayed_forever(tmp_path: Path) -> None:
    (tmp_path / "000000000001.events").write_bytes(
        make_event(0).to_json() + b"\nnot json\n" + make_event(1).to_json() + b"\n"
    )
    spool = Spool(tmp_path)
    assert spool.pending == 3
    assert _timestamps(spool.read(10)) == [make_event(0).timestamp, make_event(1).timestamp]
    assert spool.pending == 2
    spool.close()


def test_a_refused_write_raises_and_says_how_much_was_spooled(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", segment_events=1)  # every append opens a new segment file
    spool.append([make_event(0)])
    (tmp_path / "spool").rename(tmp_path / "gone")
    (tmp_path / "spool").write_bytes(b"")  # a file where the directory was: not writable even for root
    with pytest.raises(SpoolWriteError) as info:
        spool.append([make_event(1), make_event(2)])
    assert info.value.written == 0
    assert spool.pending == 1
    spool.close()
