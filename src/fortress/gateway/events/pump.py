"""The Kafka sink's pump: one thread owns the producer and the spool; reports run in its ``poll``.

- ``LIVE``: events are produced in emit order (key = investigation id); delivered = report succeeded.
- ``DRAINING``: a delivery failed (or librdkafka's queue is full): nothing new is produced, unsent
  messages are purged (never written); once every report is in, the failed events go to the spool
  in emit order and the state is ``DOWN`` (``LIVE`` again if nothing failed).
- ``DOWN``: new events go to the spool behind what is there; the broker is probed for metadata.
- ``REPLAYING``: the spool is produced in order, new events still going behind it; at its end they
  wait in memory, and once every replayed event is confirmed the spool files go and the state is
  ``LIVE``. A failed replay goes back to ``DOWN``; confirmed events are not replayed again.

It starts in ``DOWN`` with an immediate probe, so an earlier run's spool goes out before anything
new. docs/AUDIT.md tells the delivery guarantee.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from enum import StrEnum
from functools import partial

from confluent_kafka import KafkaError, KafkaException, Message

from fortress.gateway.events.base import Event
from fortress.gateway.events.buffer import EventBuffer
from fortress.gateway.events.metrics import DROPPED, REPLAYED, SPOOLED, WRITTEN, EventMetrics
from fortress.gateway.events.producer import AuditProducer, DeliveryReport
from fortress.gateway.events.settings import EventSettings
from fortress.gateway.events.spool import Spool, SpooledEvent, SpoolWriteError

logger = logging.getLogger(__name__)

KIND = "kafka"
TICK_S = 0.01
"""Longest the pump waits in ``poll`` for delivery reports before looking at its buffer again."""
BATCH = 10_000
"""Most events taken from the buffer, or replayed events outstanding, at a time."""


class State(StrEnum):
    LIVE = "live"
    DRAINING = "draining"
    DOWN = "down"
    REPLAYING = "replaying"


class KafkaPump:
    def __init__(
        self,
        settings: EventSettings,
        buffer: EventBuffer,
        spool: Spool,
        kafka: AuditProducer,
        metrics: EventMetrics,
    ) -> None:
        self.state = State.DOWN
        self.kafka = kafka
        self.crashed = False
        self.spooled = spool.pending
        """``spool.pending``, mirrored for readers on other threads."""
        self.stop = threading.Event()
        self._settings = settings
        self._buffer = buffer
        self._spool = spool
        self._metrics = metrics
        self._probe_every_s = settings.kafka_probe_interval_ms / 1000.0
        self._write_every_s = settings.fsync_interval_ms / 1000.0
        self._seq = 0
        self._unsent: deque[tuple[int, Event]] = deque()  # taken from the buffer, not produced
        self._failed: list[tuple[int, Event]] = []
        self._outstanding = 0  # produced, delivery report pending
        self._replay_failed = False
        self._next_probe = 0.0
        self._last_spool_write = 0.0
        self._last_sync = 0.0

    def run(self) -> None:
        """The thread's body: until ``stop`` is set and everything queued is delivered or spooled."""
        try:
            while True:
                stopping = self.stop.is_set()
                self._step(stopping)
                if stopping and self._settled():
                    break
        except Exception:
            self.crashed = True
            logger.exception("Kafka pump of topic %s failed; spooling what it holds", self.kafka.topic)
        finally:
            self._shutdown()

    def _step(self, stopping: bool) -> None:
        if self.state is State.LIVE:
            self._produce_live()
            idle = not (self._outstanding or self._buffer or stopping)
            if idle and self.kafka.brokers_down and time.monotonic() >= self._next_probe:
                self._broker_answers()  # so status() tells without waiting for an event to fail
        elif self.state is State.DOWN:
            self._spool_buffer(force=stopping)
            if not stopping and time.monotonic() >= self._next_probe:
                self._probe()
        elif self.state is State.REPLAYING:
            self._replay(stopping)
        self.kafka.poll(TICK_S)  # delivery reports and error callbacks run here
        if self._outstanding == 0:
            if self.state is State.DRAINING:
                self._drained()
            elif self.state is State.REPLAYING:
                self._replay_round_done(stopping)
        now = time.monotonic()
        if now - self._last_sync >= self._write_every_s:
            self._last_sync = now
            self._sync_spool()  # acknowledgements of replayed events reach the disk in batches

    def _settled(self) -> bool:
        if self._outstanding or self.state is State.DRAINING:
            return False
        return not self._buffer and (self.state is not State.LIVE or not self._unsent)

    # ---- LIVE and DRAINING ---------------------------------------------------------------
    def _produce_live(self) -> None:
        if not self._unsent:
            for event in self._buffer.take(BATCH):
                self._seq += 1
                self._unsent.append((self._seq, event))
        while self._unsent and self.state is State.LIVE:
            seq, event = self._unsent[0]
            try:
                self._produce(event, partial(self._on_live_report, seq, event))
            except BufferError:  # librdkafka's queue is full: let it empty before going on
                self.state = State.DRAINING
                return
            except KafkaException as exc:
                self._unsent.popleft()
                self._failed.append((seq, event))
                self._purge_queue(_reason(exc))
                return
            self._unsent.popleft()

    def _on_live_report(self, seq: int, event: Event, err: KafkaError | None, _msg: Message) -> None:
        self._outstanding -= 1
        if err is None:
            self._metrics.count(KIND, WRITTEN)
            self.kafka.brokers_down = False
            return
        self._failed.append((seq, event))
        if self.state is State.LIVE:
            self._purge_queue(err.str())

    def _purge_queue(self, reason: str) -> None:
        """Fail every message librdkafka has not sent yet (reported as purged: never written), so
        nothing queued behind a failed event can overtake it once the broker is back. ``LIVE``
        becomes ``DRAINING``; ``REPLAYING`` ends its round when every report is in."""
        if self.state is State.LIVE:
            self.state = State.DRAINING
        self.kafka.error = reason
        self.kafka.purge_unsent()

    def _drained(self) -> None:
        if not self._failed and not self.kafka.fatal:
            self.state = State.LIVE
            return
        self._write_spool(self._take_unconfirmed())
        self._go_down()

    def _take_unconfirmed(self) -> list[Event]:
        pending = sorted([*self._failed, *self._unsent], key=lambda item: item[0])
        self._failed.clear()
        self._unsent.clear()
        return [event for _, event in pending]

    # ---- DOWN ----------------------------------------------------------------------------
    def _go_down(self) -> None:
        if self.state is not State.DOWN:
            logger.warning(
                "Kafka unreachable (%s): events of topic %s go to the spool in %s",
                self.kafka.error,
                self.kafka.topic,
                self._spool.directory,
            )
        self.state = State.DOWN
        self._next_probe = time.monotonic() + self._probe_every_s

    def _probe(self) -> None:
        if self.kafka.fatal:
            self.kafka.renew()
        if not self._broker_answers():
            return
        self._replay_failed = False
        if self._spool.pending == 0:  # nothing to replay: what waited in memory goes straight out
            self._go_live()
            return
        self._spool_buffer(force=True)  # what waited in memory goes behind the spool
        self._spool.rewind()
        self.state = State.REPLAYING
        logger.info(
            "Kafka reachable: replaying %d spooled events of topic %s", self._spool.pending, self.kafka.topic
        )

    def _broker_answers(self) -> bool:
        try:
            self.kafka.probe()
        except KafkaException as exc:
            self.kafka.error = _reason(exc)
            self._next_probe = time.monotonic() + self._probe_every_s
            return False
        return True

    # ---- REPLAYING -----------------------------------------------------------------------
    def _replay(self, stopping: bool) -> None:
        if not self._spool.exhausted or stopping:
            self._spool_buffer(force=stopping)  # new events go behind the spool
        if self._replay_failed or stopping:
            return
        try:
            entries = self._spool.read(max(0, BATCH - self._outstanding))
        except OSError as exc:  # try again after the next probe
            logger.error("cannot read the spool %s: %s", self._spool.directory, exc)
            self._replay_failed = True
            return
        for entry in entries:
            try:
                self._produce(entry.event, partial(self._on_replay_report, entry))
            except (BufferError, KafkaException):
                self._spool.seek(entry)  # read it again in the next step (or round)
                return

    def _on_replay_report(self, entry: SpooledEvent, err: KafkaError | None, _msg: Message) -> None:
        self._outstanding -= 1
        if err is None:
            self._spool.ack(entry.segment, entry.index)
            self._metrics.count(KIND, REPLAYED)
        elif not self._replay_failed:
            self._replay_failed = True
            self._purge_queue(err.str())

    def _replay_round_done(self, stopping: bool) -> None:
        if self._replay_failed:
            self._sync_spool()
            self._spool.rewind()
            self._go_down()
        elif self._spool.exhausted and not stopping:
            self._sync_spool()
            if self._spool.pending == 0:
                self._go_live()
            else:  # not expected: read everything again
                self._spool.rewind()

    def _go_live(self) -> None:
        self.state = State.LIVE
        self.kafka.error = ""
        logger.info("events go to Kafka topic %s", self.kafka.topic)

    # ---- spool, producer -----------------------------------------------------------------
    def _spool_buffer(self, *, force: bool) -> None:
        now = time.monotonic()
        if force or now - self._last_spool_write >= self._write_every_s:
            self._last_spool_write = now
            if events := self._buffer.take():
                self._write_spool(events)

    def _write_spool(self, events: list[Event]) -> None:
        try:
            self._spool.append(events)
        except SpoolWriteError as exc:
            lost = len(events) - exc.written
            logger.error("spool %s: %s; %d events dropped", self._spool.directory, exc, lost)
            self._metrics.count(KIND, SPOOLED, exc.written)
            self._metrics.count(KIND, DROPPED, lost)
        else:
            self._metrics.count(KIND, SPOOLED, len(events))
        self.spooled = self._spool.pending

    def _sync_spool(self) -> None:
        try:
            self._spool.sync()
        except OSError as exc:  # acknowledgements stay in memory and are written by a later sync
            logger.error("cannot record acknowledgements in the spool %s: %s", self._spool.directory, exc)
        self.spooled = self._spool.pending

    def _produce(self, event: Event, report: DeliveryReport) -> None:
        self.kafka.produce(event, report)
        self._outstanding += 1

    def _shutdown(self) -> None:
        if self._outstanding:  # only when the pump failed: let the reports come in
            self.kafka.flush(self._settings.kafka_message_timeout_ms / 1000.0 + 1.0)
        try:
            if leftovers := self._take_unconfirmed() + self._buffer.take():
                self._write_spool(leftovers)
            self._spool.close()
        finally:
            self.spooled = self._spool.pending
            self.kafka.close()


def _reason(exc: KafkaException) -> str:
    return str(exc.args[0]) if exc.args else repr(exc)
