"""The Kafka audit sink: an idempotent producer, with a disk spool for the times Kafka is away.

``emit`` only queues the event in memory; the pump thread (``pump.py``) produces it, or spools it
while Kafka is unreachable and replays the spool in order when it is back. The delivery guarantee is
described in docs/AUDIT.md.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from fortress.gateway.events.base import AuditEvent, Decode, Event, SinkStatus
from fortress.gateway.events.buffer import EventBuffer
from fortress.gateway.events.metrics import DROPPED, SPOOLED, EventMetrics
from fortress.gateway.events.producer import AuditProducer
from fortress.gateway.events.pump import KIND, KafkaPump, State
from fortress.gateway.events.settings import EventSettings
from fortress.gateway.events.spool import Spool, open_slot

logger = logging.getLogger(__name__)


class KafkaEventSink:
    kind = KIND

    def __init__(
        self,
        settings: EventSettings,
        spool_dir: Path,
        metrics: EventMetrics,
        *,
        decode: Decode = AuditEvent.from_json,
        name: str = "audit",
    ) -> None:
        """``decode``: the events' kind, as read back from the spool; ``name``: for threads and logs."""
        self.spool_dir = spool_dir
        self.name = name
        self._decode = decode
        self._settings = settings
        self._metrics = metrics
        self._buffer = EventBuffer(settings.buffer_max_events)
        self._pump: KafkaPump | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._spooled = 0
        metrics.watch_buffer(self.kind, self._buffer.__len__)
        metrics.spooled.set_function(self._spooled_now)

    @property
    def state(self) -> State | None:
        """The pump's state (``None`` before ``start`` and after ``aclose``)."""
        return self._pump.state if self._pump is not None else None

    async def start(self) -> None:
        """Open the spool (``OSError`` if the directory is unusable) and start the pump. Never waits
        for Kafka and never raises because it is down."""
        spool = await asyncio.to_thread(self._open_spool)
        self._pump = KafkaPump(
            self._settings, self._buffer, spool, AuditProducer(self._settings), self._metrics
        )
        self._thread = threading.Thread(target=self._pump.run, name=f"{self.name}-kafka-pump", daemon=True)
        self._thread.start()

    def emit(self, event: Event) -> None:
        try:
            if self._closed or not self._buffer.put(event):
                self._metrics.count(self.kind, DROPPED)
        except Exception:  # the hot path never raises
            logger.exception("%s event dropped", self.name)

    async def aclose(self) -> None:
        """Deliver what is queued (waiting at most ``kafka_message_timeout_ms`` for Kafka), spool the
        rest, and stop. A later ``start`` on the same spool directory replays what was spooled."""
        self._closed = True
        pump, thread = self._pump, self._thread
        if pump is not None and thread is not None:
            pump.stop.set()
            await asyncio.to_thread(thread.join)
            self._spooled = pump.spooled
        elif len(self._buffer):  # never started: keep what was queued for the next run
            await asyncio.to_thread(self._spool_unstarted)
        self._pump = self._thread = None  # lets the closed producer go

    def status(self) -> SinkStatus:
        pump = self._pump
        if pump is None:
            detail = "closed" if self._closed else "not started"
            return SinkStatus(ok=False, kind=self.kind, detail=detail, spooled=self._spooled)
        state, ok = pump.state, False
        if pump.crashed:
            detail = f"the {self.name} pump stopped on an error (see the logs); events are not delivered"
        elif state is State.LIVE and pump.kafka.brokers_down:
            detail = f"all Kafka brokers down ({pump.kafka.error}); events spool to disk if it lasts"
        elif state is State.LIVE:
            ok, detail = True, f"producing to topic {self._settings.kafka_topic}"
        elif state is State.REPLAYING:
            detail = f"Kafka is back; replaying {pump.spooled} spooled events"
        elif state is State.DOWN and not pump.kafka.error:
            detail = "connecting to Kafka"
        else:
            detail = f"Kafka unreachable ({pump.kafka.error}); events spool to disk"
        return SinkStatus(ok=ok, kind=self.kind, detail=detail, spooled=pump.spooled)

    def _spooled_now(self) -> float:
        pump = self._pump  # read once: aclose may clear it meanwhile (metrics are scraped on another thread)
        return float(pump.spooled if pump is not None else self._spooled)

    def _open_spool(self) -> Spool:
        return open_slot(
            self.spool_dir, segment_events=self._settings.spool_segment_events, decode=self._decode
        )

    def _spool_unstarted(self) -> None:
        spool = self._open_spool()
        try:
            events = self._buffer.take()
            spool.append(events)
            self._metrics.count(self.kind, SPOOLED, len(events))
        finally:
            spool.close()
            self._spooled = spool.pending
