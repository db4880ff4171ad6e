"""librdkafka's in-process mock Kafka cluster, and reading a topic back from it.

The mock cluster speaks the real Kafka protocol on a loopback port. It lives exactly as long as the
client that owns it, so ``mock_cluster()`` keeps that client alive for the ``with`` block.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition


@dataclass(frozen=True, slots=True)
class Record:
    partition: int
    offset: int
    key: bytes
    value: bytes


@contextmanager
def mock_cluster() -> Iterator[tuple[str, int]]:
    """Yields the mock broker's (host, port)."""
    owner = Producer({"test.mock.num.brokers": 1, "log_level": 3})
    try:
        broker = owner.list_topics(timeout=10).brokers[1]
        yield broker.host, broker.port
    finally:
        owner.flush(5)
        owner.close()


def read_topic(bootstrap: str, topic: str, expected: int, timeout_s: float = 15.0) -> list[Record]:
    """Every record of ``topic`` from the beginning of each partition, in partition/offset order.

    Reads until ``expected`` records arrived and then ``0.5`` s more (to catch extra records)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "fortress-test-reader",
            "enable.auto.commit": False,
            "log_level": 3,
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        records: list[Record] = []
        deadline = time.monotonic() + timeout_s
        quiet_until: float | None = None
        while time.monotonic() < deadline:
            if len(records) >= expected:
                quiet_until = quiet_until or time.monotonic() + 0.5
                if time.monotonic() > quiet_until:
                    break
            for msg in consumer.consume(1000, timeout=0.1):
                if msg.error() is not None:
                    raise RuntimeError(f"consume failed: {msg.error()}")
                records.append(
                    Record(msg.partition() or 0, msg.offset() or 0, msg.key() or b"", msg.value() or b"")
                )
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()
