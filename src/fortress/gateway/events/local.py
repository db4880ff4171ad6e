"""The default audit sink: an append-only JSON-lines log on local disk, fsync'ed in batches.

``emit`` only queues the event; a writer thread wakes every ``fsync_interval_ms``, appends every
queued event (one JSON object per line) with one ``write`` and fsyncs once. The log is opened with
``"ab"`` (``O_APPEND``), so a restart appends, and gateway workers sharing the log append whole
batches without interleaving lines. Before each batch the writer checks that the path still names
the open file, so a log moved away by ``logrotate`` (or deleted) is re-created at the next batch.

A batch the disk refuses (directory gone, disk full, permissions) is counted as dropped
(``fortress_audit_events_total{sink="file",outcome="dropped"}``), ``status()`` turns not-ok with the
error, and the next batch tries again: the sink never raises into the request path and never holds an
unbounded backlog in memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Iterator
from io import FileIO
from pathlib import Path

from fortress.gateway.events.base import AuditEvent, SinkStatus
from fortress.gateway.events.buffer import EventBuffer
from fortress.gateway.events.metrics import DROPPED, WRITTEN, EventMetrics

logger = logging.getLogger(__name__)


class FileEventSink:
    kind = "file"

    def __init__(
        self,
        path: Path,
        metrics: EventMetrics,
        *,
        fsync_interval_ms: int = 50,
        buffer_max_events: int = 100_000,
    ) -> None:
        self.path = path
        self._metrics = metrics
        self._interval_s = fsync_interval_ms / 1000.0
        self._buffer = EventBuffer(buffer_max_events)
        self._file: FileIO | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._error = ""
        metrics.watch_buffer(self.kind, self._buffer.__len__)

    async def start(self) -> None:
        await asyncio.to_thread(self._open)  # fail fast (OSError) when the log cannot be opened at all
        self._thread = threading.Thread(target=self._run, name="audit-file-writer", daemon=True)
        self._thread.start()

    def emit(self, event: AuditEvent) -> None:
        try:
            if self._closed or not self._buffer.put(event):
                self._metrics.count(self.kind, DROPPED)
        except Exception:  # the hot path never raises
            logger.exception("audit event dropped")

    async def aclose(self) -> None:
        self._closed = True
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            self._thread = None
        else:  # never started: write what was queued anyway
            await asyncio.to_thread(self._finish)

    def status(self) -> SinkStatus:
        if self._error:
            return SinkStatus(ok=False, kind=self.kind, detail=self._error)
        return SinkStatus(ok=True, kind=self.kind, detail="appending to the local audit log")

    # ---- writer thread -------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._write_batch()
        self._finish()

    def _finish(self) -> None:
        self._write_batch()
        self._close_file()

    def _write_batch(self) -> None:
        events = self._buffer.take()
        if not events:
            return
        started = time.perf_counter()
        try:
            data = b"".join(event.to_json() + b"\n" for event in events)
            log = self._ensure_open()
            view = memoryview(data)
            while view:  # one write() unless the disk is full or a signal cuts it
                view = view[log.write(view) :]
            os.fsync(log.fileno())
        except OSError as exc:
            self._close_file()
            self._metrics.count(self.kind, DROPPED, len(events))
            if not self._error:
                logger.error("audit log %s not writable, dropping events: %s", self.path, exc)
            # the path is for the operator's log above, never for /health (answered without credentials)
            self._error = f"cannot write the audit log: {exc.strerror or type(exc).__name__}"
            return
        except Exception:  # never let the writer thread die
            logger.exception("audit log %s: batch of %d events dropped", self.path, len(events))
            self._metrics.count(self.kind, DROPPED, len(events))
            return
        self._metrics.fsync_seconds.labels(self.kind).observe(time.perf_counter() - started)
        self._metrics.count(self.kind, WRITTEN, len(events))
        if self._error:
            logger.info("audit log %s writable again", self.path)
            self._error = ""

    def _ensure_open(self) -> FileIO:
        if self._file is not None:
            try:
                same = os.stat(self.path).st_ino == os.fstat(self._file.fileno()).st_ino
            except OSError:
                same = False
            if same:
                return self._file
            self._close_file()  # rotated or removed: start a new file at the path
        return self._open()

    def _open(self) -> FileIO:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        log = FileIO(self.path, "ab")  # unbuffered: each batch is one append write()
        try:
            if os.fstat(log.fileno()).st_size > 0 and _last_byte(self.path) != b"\n":
                log.write(b"\n")  # a crash cut the last line short: keep the next event on its own line
        except OSError:
            log.close()
            raise
        self._file = log
        return log

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:
                logger.warning("closing audit log %s: %s", self.path, exc)
            self._file = None


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as log:
        log.seek(-1, os.SEEK_END)
        return log.read(1)


def read_events(path: Path) -> Iterator[AuditEvent]:
    """The events of a log written by ``FileEventSink``, in order.

    A line that is not an event (cut short by a crash) is skipped with a warning."""
    with path.open("rb") as log:
        for number, line in enumerate(log, start=1):
            if not line.strip():
                continue
            try:
                yield AuditEvent.from_json(line)
            except ValueError:
                logger.warning("%s:%d is not an audit event; skipped", path, number)
