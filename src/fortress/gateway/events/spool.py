"""The Kafka sink's disk spool: events Kafka did not take, kept in order until it confirms them.

Layout of the spool directory::

    000000000001.events   JSON lines, one event per line, in emit order (fsync'ed per append)
    000000000001.acks     little-endian uint32 line indexes that Kafka has acknowledged
    000000000002.events   ...

Files are only ever appended to. A new ``Spool`` on the same directory (after a restart or a crash)
picks up every ``.events`` file, skips the lines listed in its ``.acks`` file, and starts a new file
for its own appends (an old file may end in a line cut short by the crash; such a line is ignored).
A segment's two files are deleted only once every event in it has been acknowledged.

One process at a time: a ``Spool`` holds an exclusive ``flock`` on ``.lock`` in its directory
(``SpoolBusy`` if another holds it). ``open_slot`` gives each gateway worker process its own
``worker-N`` directory under the spool root and hands it what stopped workers left behind. Within a
process the spool is not thread-safe: the Kafka sink's one pump thread owns it.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fortress.gateway.events.base import AuditEvent, Decode, Event

logger = logging.getLogger(__name__)

ACK = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class SpooledEvent:
    segment: int
    index: int
    event: Event


class SpoolWriteError(OSError):
    """The disk refused an append; ``written`` events of it were spooled before the failure."""

    def __init__(self, written: int, cause: OSError) -> None:
        super().__init__(cause.errno, f"spool write failed: {cause.strerror or cause}")
        self.written = written


class SpoolBusy(Exception):
    """Another process (or ``Spool``) holds this spool directory."""


@dataclass(slots=True)
class _Segment:
    number: int
    count: int = 0
    acked: set[int] = field(default_factory=set)
    unsynced: list[int] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return len(self.acked) >= self.count


class Spool:
    def __init__(
        self, directory: Path, *, segment_events: int = 10_000, decode: Decode = AuditEvent.from_json
    ) -> None:
        self.directory = directory
        self.decode = decode
        self.segment_events = segment_events
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(directory / ".lock")
        self._segments: dict[int, _Segment] = {}  # ascending segment number
        try:
            for path in sorted(directory.glob("*.events")):
                if (segment := _load(path)) is not None:
                    self._segments[segment.number] = segment
        except OSError:
            os.close(self._lock)
            raise
        self.pending = sum(s.count - len(s.acked) for s in self._segments.values())
        """Spooled events not yet acknowledged."""
        self._next_number = max(self._segments, default=0) + 1
        self._head: _Segment | None = None  # the segment appends go to; never an old one
        self._head_file: BinaryIO | None = None
        self._cursor = (0, 0)  # (segment, index) of the next event ``read`` returns
        self._lines: tuple[int, list[bytes]] | None = None  # the segment being read
        self.sync()  # deletes segments a crash left fully acknowledged
        self.rewind()

    # ---- writing -------------------------------------------------------------------------
    def append(self, events: Sequence[Event]) -> None:
        """Write events behind everything already spooled, then fsync. Raises ``SpoolWriteError``."""
        done = 0
        while done < len(events):
            try:
                head, log = self._writable_head()
                chunk = events[done : done + self.segment_events - head.count]
                log.write(b"".join(event.to_json() + b"\n" for event in chunk))
                log.flush()
                os.fsync(log.fileno())
            except OSError as exc:
                self._seal_head()  # never append behind a partial write
                raise SpoolWriteError(done, exc) from exc
            head.count += len(chunk)
            self.pending += len(chunk)
            done += len(chunk)
            if head.count >= self.segment_events:
                self._seal_head()

    def _writable_head(self) -> tuple[_Segment, BinaryIO]:
        if self._head is None or self._head_file is None:
            number = self._next_number
            self.directory.mkdir(parents=True, exist_ok=True)
            self._path(number, "acks").unlink(missing_ok=True)  # never inherit a stale .acks file
            self._head_file = self._path(number, "events").open("ab")
            self._head = self._segments[number] = _Segment(number)
            self._next_number += 1
        return self._head, self._head_file

    def _seal_head(self) -> None:
        if self._head_file is not None:
            try:
                self._head_file.close()
            except OSError as exc:
                logger.warning("closing spool segment: %s", exc)
        self._head = self._head_file = None

    # ---- replaying -----------------------------------------------------------------------
    def read(self, limit: int) -> list[SpooledEvent]:
        """The next unacknowledged events after the cursor, in spool order; moves the cursor."""
        out: list[SpooledEvent] = []
        number, index = self._cursor
        for segment in list(self._segments.values()):
            if len(out) >= limit:
                break
            if segment.number < number:
                continue
            if segment.number > number:
                number, index = segment.number, 0
            if segment is self._head:
                self._seal_head()  # appends from now on go to a new segment, behind the reader
            lines = self._segment_lines(segment)
            while index < segment.count and len(out) < limit:
                if index not in segment.acked:
                    try:
                        out.append(SpooledEvent(number, index, self.decode(lines[index])))
                    except (ValueError, IndexError):
                        logger.error("spool %s line %d is not an event; skipped", segment.number, index)
                        self.ack(number, index)
                index += 1
        self._cursor = (number, index)
        return out

    @property
    def exhausted(self) -> bool:
        """True when ``read`` has returned every spooled event since the last ``rewind``."""
        number, index = self._cursor
        return all(
            s.number < number or (s.number == number and index >= s.count) or s.count == 0
            for s in self._segments.values()
        )

    def seek(self, entry: SpooledEvent) -> None:
        """Put the cursor back on ``entry`` (it will be read again)."""
        self._cursor = (entry.segment, entry.index)

    def rewind(self) -> None:
        """Put the cursor on the oldest unacknowledged event."""
        self._cursor = (min(self._segments, default=self._next_number), 0)

    def ack(self, segment: int, index: int) -> None:
        """Kafka confirmed this event. Recorded on disk by the next ``sync``."""
        seg = self._segments.get(segment)
        if seg is None or index in seg.acked or index >= seg.count:
            return
        seg.acked.add(index)
        seg.unsynced.append(index)
        self.pending -= 1

    def sync(self) -> None:
        """Write acknowledgements to disk; delete segments whose every event is acknowledged."""
        for segment in list(self._segments.values()):
            if segment is self._head:
                continue
            if segment.complete:
                for suffix in ("events", "acks"):
                    self._path(segment.number, suffix).unlink(missing_ok=True)
                del self._segments[segment.number]
                if self._lines is not None and self._lines[0] == segment.number:
                    self._lines = None
            elif segment.unsynced:
                with self._path(segment.number, "acks").open("ab") as acks:
                    acks.write(b"".join(ACK.pack(i) for i in segment.unsynced))
                    acks.flush()
                    os.fsync(acks.fileno())
                segment.unsynced.clear()

    def adopt(self, other: Spool) -> None:
        """Move ``other``'s unacknowledged events behind this spool's (before anything is appended
        here), then close ``other``: a stopped worker's spool is not stranded."""
        other.sync()
        self._seal_head()
        for segment in other._segments.values():
            number = self._next_number
            self._next_number += 1
            for suffix in ("events", "acks"):  # a crash in between may replay, never skip, events
                source = other._path(segment.number, suffix)
                if source.exists():
                    source.rename(self._path(number, suffix))
            self._segments[number] = _Segment(number, segment.count, set(segment.acked))
            self.pending += segment.count - len(segment.acked)
        other._segments.clear()
        other.close()
        self.rewind()

    def close(self) -> None:
        try:
            self.sync()
            self._seal_head()
            self._lines = None
        finally:
            os.close(self._lock)

    def _segment_lines(self, segment: _Segment) -> list[bytes]:
        if self._lines is None or self._lines[0] != segment.number:
            self._lines = (segment.number, self._path(segment.number, "events").read_bytes().split(b"\n"))
        return self._lines[1]

    def _path(self, number: int, suffix: str) -> Path:
        return self.directory / f"{number:012d}.{suffix}"


def open_slot(root: Path, *, segment_events: int = 10_000, decode: Decode = AuditEvent.from_json) -> Spool:
    """This process's spool under ``root``: the first ``worker-N`` directory no other process holds.
    Spools of ``worker-N`` directories nobody holds (workers that are gone) are adopted into it."""
    for slot in itertools.count():
        try:
            spool = Spool(root / f"worker-{slot}", segment_events=segment_events, decode=decode)
        except SpoolBusy:
            continue
        break
    for directory in sorted(root.glob("worker-*")):
        if directory != spool.directory:
            with contextlib.suppress(SpoolBusy):
                spool.adopt(Spool(directory, segment_events=segment_events, decode=decode))
    return spool


def _lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SpoolBusy(f"{path.parent} is used by another process") from None
    return fd


def _load(path: Path) -> _Segment | None:
    try:
        number = int(path.stem)
    except ValueError:
        logger.warning("ignoring %s: not a spool segment", path)
        return None
    count = path.read_bytes().count(b"\n")  # a last line without its newline was cut short: ignored
    acked: set[int] = set()
    acks = path.with_suffix(".acks")
    if acks.exists():
        raw = acks.read_bytes()
        usable = len(raw) - len(raw) % ACK.size
        acked = {i for (i,) in ACK.iter_unpack(raw[:usable]) if i < count}
    return _Segment(number, count, acked)
