"""ThrottledLog: librdkafka's repeated log lines, one per distinct line per interval, with a count."""

from __future__ import annotations

import logging
import time

import pytest
from confluent_kafka import Producer

from fortress.gateway.events.log_throttle import MAX_DISTINCT, ThrottledLog
from fortress.gateway.events.producer import librdkafka_logger, producer_config
from fortress.gateway.events.settings import EventSettings

FMT = "%s [%s] %s"
REFUSED = (
    "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: "
    + "Connection refused (after {}ms in state CONNECT)"
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_repeats_are_counted_and_reported_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    log = ThrottledLog(logging.getLogger("test.librdkafka"), 30.0, clock=clock)
    caplog.set_level(logging.DEBUG, logger="test.librdkafka")
    for i in range(11 * 30):  # 30 s of a broker away: 11 lines a second, elapsed times differ
        log.log(logging.ERROR, FMT, "FAIL", "rdkafka#producer-1", REFUSED.format(i % 3))
        clock.now += 1 / 11
    log.log(logging.ERROR, FMT, "FAIL", "rdkafka#producer-1", "10.0.0.2:9092/2: Disconnected")  # distinct
    log.log(logging.WARNING, FMT, "FAIL", "rdkafka#producer-1", REFUSED.format(0))  # another level
    clock.now += 0.5
    log.log(logging.ERROR, FMT, "FAIL", "rdkafka#producer-1", REFUSED.format(7))
    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert len(lines) == 4
    assert lines[0] == (logging.ERROR, "FAIL [rdkafka#producer-1] " + REFUSED.format(0))
    assert "Disconnected" in lines[1][1]
    assert lines[2][0] == logging.WARNING
    assert lines[3][1].endswith(f"({11 * 30 - 1} similar lines suppressed in the last 30 s)")


def test_distinct_lines_are_bounded() -> None:
    log = ThrottledLog(logging.getLogger("test.librdkafka.many"), 30.0, clock=Clock())
    for i in range(MAX_DISTINCT * 3):
        log.log(logging.ERROR, "broker b%d down", i)
    assert len(log._seen) == MAX_DISTINCT


def test_a_producer_without_a_broker_logs_each_error_once(caplog: pytest.LogCaptureFixture) -> None:
    """The real librdkafka, its broker refusing connections every 50 ms: the logger it is given
    passes one line through and counts the rest."""
    settings = EventSettings(
        sink="kafka",
        kafka_bootstrap="127.0.0.1:1",
        kafka_config={"reconnect.backoff.ms": "10", "reconnect.backoff.max.ms": "50"},
    )
    config = producer_config(settings, lambda err: None)
    assert isinstance(config["logger"], ThrottledLog)
    caplog.set_level(logging.DEBUG, logger=librdkafka_logger.name)
    producer = Producer(config)
    try:
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            producer.poll(0.05)
    finally:
        producer.flush(0)
    refused = [r for r in caplog.records if "Connection refused" in r.getMessage()]
    assert len(refused) == 1
    assert config["logger"]._seen  # the repeats were counted, not logged
    assert max(s.suppressed for s in config["logger"]._seen.values()) >= 3
