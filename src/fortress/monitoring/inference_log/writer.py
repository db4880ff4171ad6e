"""The Parquet sink: a bounded in-memory queue and one writer thread.

``emit`` (the request path) appends to a ``deque`` when it holds fewer than ``queue_max_rows`` rows
(``deque.append`` is atomic: no lock), else counts the row as dropped. Every second (or once
``flush_rows`` rows wait) the writer thread encodes what is queued into Arrow tables, one per model,
date and field list (``parquet.py``), which lets go of the requests' records (an image record is
~100 KB of Python objects, ~24 KB encoded). Every ``flush_interval_s``, or once ``flush_bytes`` are
encoded, it writes one Parquet file per model and date, under a temporary name then renamed, so a
reader never sees half a file. Before each write it checks the log's size against ``max_bytes``
(over it: the rows are dropped, ``over_size``); at start and hourly it deletes date partitions older
than ``retention_days`` and measures the log again. A failed write drops its rows (``write_error``)
and the next one tries again: the sink never raises into the request path nor grows without bound.
Several gateway workers can share one log: file names carry the process id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fortress.monitoring.inference_log.metrics import (
    OVER_SIZE,
    QUEUE_FULL,
    WRITE_ERROR,
    InferenceLogMetrics,
)
from fortress.monitoring.inference_log.parquet import group, to_table
from fortress.monitoring.inference_log.record import LoggedRow
from fortress.monitoring.inference_log.settings import InferenceLogSettings

logger = logging.getLogger(__name__)

SWEEP_S = 3600.0
"""How often retention runs and the log's size is measured again."""
POLL_S = 0.05
"""Longest the writer sleeps before looking at its queue again."""
ENCODE_S = 1.0
"""How often queued rows are encoded into Arrow tables (letting the requests' records go)."""
ERROR_LOG_S = 60.0


class ParquetSink:
    kind = "parquet"

    def __init__(
        self,
        root: Path,
        settings: InferenceLogSettings,
        metrics: InferenceLogMetrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._queue: deque[LoggedRow] = deque()
        self._pending: dict[tuple[str, str], list[pa.Table]] = {}
        """Encoded rows by (partition, fields), waiting for the next write."""
        self._pending_rows = 0
        self._pending_bytes = 0
        self._capacity = settings.queue_max_rows
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._bytes = 0
        self._next_sweep = 0.0
        self._numbers = itertools.count(1)
        self._last_error_log = -ERROR_LOG_S
        self.error = ""
        """The last write error ('' once a write succeeds again)."""
        metrics.for_sink(self.kind)
        metrics.watch_queue(self.kind, lambda: len(self._queue) + self._pending_rows)

    async def start(self) -> None:
        await asyncio.to_thread(self.sweep)  # creates the root: fails fast (OSError) when it cannot
        self._thread = threading.Thread(target=self._run, name="inference-log-writer", daemon=True)
        self._thread.start()

    def emit(self, row: LoggedRow) -> None:
        """Hot path: queue one row, or count it dropped. O(1), never blocks, never raises."""
        if self._closed or len(self._queue) >= self._capacity:
            self._metrics.drop(self.kind, QUEUE_FULL)
            return
        self._queue.append(row)

    async def aclose(self) -> None:
        """Write what is queued, then stop."""
        self._closed = True
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            self._thread = None
        else:
            await asyncio.to_thread(self.flush)

    # ---- the writer thread ----------------------------------------------------------------
    def _run(self) -> None:
        settings = self._settings
        interval = settings.flush_interval_s
        encode_every = min(ENCODE_S, interval)
        last_encode = last_write = time.monotonic()
        while True:
            stopping = self._stop.wait(min(POLL_S, encode_every))
            now = time.monotonic()
            if stopping or len(self._queue) >= settings.flush_rows or now - last_encode >= encode_every:
                last_encode = now
                self._guarded(self.encode)
            if stopping or self._pending_bytes >= settings.flush_bytes or now - last_write >= interval:
                last_write = now
                self._guarded(self.write)
            if self._clock() >= self._next_sweep:
                self._guarded(self.sweep)
            if stopping:
                return

    def _guarded(self, step: Callable[[], object]) -> None:
        try:
            step()
        except Exception:  # never let the thread die: the next round tries again
            logger.exception("inference log writer")

    def flush(self) -> int:
        """Encode and write every queued row now; the number written."""
        self.encode()
        return self.write()

    def encode(self) -> int:
        """Queued rows -> Arrow tables held for the next write (the request's records are let go);
        the number encoded."""
        rows: list[LoggedRow] = []
        pop = self._queue.popleft
        while True:
            try:
                rows.append(pop())
            except IndexError:
                break
        encoded = 0
        for key, part in group(rows).items():
            try:
                table = to_table(part)
            except Exception as exc:  # values pyarrow cannot encode
                self._metrics.drop(self.kind, WRITE_ERROR, len(part))
                self._log_error(f"cannot encode {len(part)} rows of {key[0]}: {exc}")
                continue
            self._pending.setdefault(key, []).append(table)
            self._pending_rows += table.num_rows
            self._pending_bytes += table.nbytes
            encoded += table.num_rows
        return encoded

    def write(self) -> int:
        """One Parquet file per partition of what ``encode`` holds; the number of rows written."""
        pending, self._pending = self._pending, {}
        rows, self._pending_rows, self._pending_bytes = self._pending_rows, 0, 0
        if not pending:
            return 0
        if self._bytes >= self._settings.max_bytes:
            self._metrics.drop(self.kind, OVER_SIZE, rows)
            self._log_error(f"the log holds {self._bytes:,} bytes, max_bytes is {self._settings.max_bytes:,}")
            return 0
        written = 0
        for (where, _), tables in pending.items():
            part = sum(t.num_rows for t in tables)
            try:
                self._bytes += self._write(self.root / where, pa.concat_tables(tables))
            except Exception as exc:  # OSError, or a table pyarrow cannot write
                self._metrics.drop(self.kind, WRITE_ERROR, part)
                self._log_error(f"cannot write {part} rows to {self.root / where}: {exc}")
                continue
            written += part
        if written:
            self._metrics.written.labels(self.kind).inc(written)
            self._metrics.bytes.set(self._bytes)
            if written == rows:
                self.error = ""
        return written

    def _write(self, folder: Path, table: pa.Table) -> int:
        folder.mkdir(parents=True, exist_ok=True)
        name = f"part-{int(self._clock() * 1000)}-{os.getpid()}-{next(self._numbers)}.parquet"
        staging = folder / f".{name}.tmp"
        try:
            pq.write_table(table, staging, use_dictionary=_dictionary_columns(table.schema))
            size = staging.stat().st_size
            os.replace(staging, folder / name)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise
        return size

    def sweep(self) -> None:
        """Delete date partitions older than ``retention_days``; measure the log again."""
        self.root.mkdir(parents=True, exist_ok=True)
        now = self._clock()
        oldest = (
            dt.datetime.fromtimestamp(now, dt.UTC) - dt.timedelta(days=self._settings.retention_days)
        ).date()
        total = 0
        for folder in sorted(self.root.glob("date=*")):
            try:
                date = dt.date.fromisoformat(folder.name.removeprefix("date="))
            except ValueError:
                continue  # not ours
            if date < oldest:
                shutil.rmtree(folder, ignore_errors=True)  # another worker may be deleting it too
                logger.info(
                    "inference log: deleted %s (older than %d days)", folder, self._settings.retention_days
                )
                continue
            total += _size(folder)
        self._bytes = total
        self._metrics.bytes.set(total)
        self._next_sweep = now + SWEEP_S

    def _log_error(self, message: str) -> None:
        self.error = message
        now = time.monotonic()
        if now - self._last_error_log >= ERROR_LOG_S:
            self._last_error_log = now
            logger.error("inference log: %s; rows dropped", message)


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Every leaf column but the tensors (fixed-size binary, a few KB of float32 per row: dictionary
    encoding them only costs time before Parquet gives it up)."""
    out: list[str] = []

    def walk(prefix: str, field: pa.Field) -> None:
        if pa.types.is_struct(field.type):
            for i in range(field.type.num_fields):
                walk(f"{prefix}{field.name}.", field.type.field(i))
        elif not pa.types.is_fixed_size_binary(field.type):
            out.append(prefix + field.name)

    for field in schema:
        walk("", field)
    return out


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*.parquet"):
        try:
            total += path.stat().st_size
        except OSError:  # deleted meanwhile (retention in another worker)
            continue
    return total
