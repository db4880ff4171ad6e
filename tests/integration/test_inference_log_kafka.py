"""The inference log's Kafka sink (the audit events' producer, spool and pump, wired by the gateway's
platform) against librdkafka's mock cluster: rows reach the topic keyed by investigation, sensitive
fields hashed, and rows logged while the broker is away are spooled and replayed as they were."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import orjson
import pytest
from prometheus_client import CollectorRegistry

from fortress.catalog import get_spec
from fortress.gateway.events.kafka import KafkaEventSink
from fortress.gateway.platform import inference_log
from fortress.monitoring.inference_log.log import InferenceLog
from fortress.monitoring.settings import MonitoringSettings
from fortress.settings import Settings
from support.candidates import SPEC
from support.kafka_mock import Record, mock_cluster, read_topic
from support.tcp_proxy import KafkaTcpProxy

MESSAGE = get_spec("message_scam")


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


@pytest.fixture
def broker() -> Iterator[tuple[str, KafkaTcpProxy]]:
    with mock_cluster() as (host, port), KafkaTcpProxy(host, port) as proxy:
        yield f"{host}:{port}", proxy


def _log(home: Path, bootstrap: str, topic: str, registry: CollectorRegistry) -> InferenceLog:
    monitoring = MonitoringSettings.model_validate(
        {
            "inference_log": {
                "sink": "kafka",
                "kafka_bootstrap": bootstrap,
                "kafka_topic": topic,
                "kafka_config": {"log_level": "3"},
                "salt": "pepper",
            }
        }
    )
    log = inference_log(Settings(home=home, datasets_dir=None, monitoring=monitoring), registry)
    assert log is not None
    assert isinstance(log.sink, KafkaEventSink)
    return log


def _emit(log: InferenceLog, n: int, first: int = 0) -> list[str]:
    ids = []
    probs = np.array([[0.7, 0.3]], dtype=np.float32)
    for i in range(first, first + n):
        ids.append(f"inv-{i}")
        log.log(
            f"inv-{i}",
            SPEC.name,
            2,
            "champion",
            SPEC,
            [{"x": float(i), "y": 0.5, "proto": "tcp"}],
            probs,
            sampled=True,
            degraded=False,
        )
        log.log(
            f"inv-{i}",
            MESSAGE.name,
            1,
            "champion",
            MESSAGE,
            [{"text": f"secret {i}"}],
            probs,
            sampled=True,
            degraded=False,
        )
    return ids


def _count(registry: CollectorRegistry, outcome: str) -> float:
    labels = {"sink": "kafka", "outcome": outcome}
    return registry.get_sample_value("fortress_inference_log_kafka_events_total", labels) or 0.0


async def _until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _check(records: list[Record], ids: list[str]) -> None:
    rows = [orjson.loads(r.value) for r in records]
    assert sorted((row["investigation_id"], row["model"]) for row in rows) == sorted(
        [(i, SPEC.name) for i in ids] + [(i, MESSAGE.name) for i in ids]
    )
    for record, row in zip(records, rows, strict=True):
        assert record.key == row["investigation_id"].encode()
        if row["model"] == MESSAGE.name:
            assert row["input"]["text"].startswith("sha256:")
            assert "secret" not in record.value.decode()
        else:
            number = int(row["investigation_id"].removeprefix("inv-"))
            assert row["input"] == {"x": float(number), "y": 0.5, "proto": "tcp"}
            assert row["version"] == 2
            assert row["label"] == "benign"
            assert row["probabilities"] == pytest.approx([0.7, 0.3])


def test_rows_reach_the_topic(tmp_path: Path, broker: tuple[str, KafkaTcpProxy]) -> None:
    direct, proxy = broker
    registry = CollectorRegistry()
    log = _log(tmp_path, proxy.address, "inference.happy", registry)

    async def main() -> list[str]:
        await log.start()
        assert isinstance(log.sink, KafkaEventSink)
        sink = log.sink
        await _until(lambda: sink.status().ok, 10, "the sink to reach Kafka")
        ids = _emit(log, 50)
        await log.aclose()
        return ids

    ids = asyncio.run(main())
    _check(read_topic(direct, "inference.happy", 2 * len(ids)), ids)
    assert _count(registry, "written") == 100
    assert _count(registry, "dropped") == 0


def test_rows_logged_while_kafka_is_away_are_spooled_then_replayed(
    tmp_path: Path, broker: tuple[str, KafkaTcpProxy]
) -> None:
    direct, proxy = broker
    proxy.cut()
    registry = CollectorRegistry()
    log = _log(tmp_path, proxy.address, "inference.down", registry)

    async def main() -> list[str]:
        await log.start()
        assert isinstance(log.sink, KafkaEventSink)
        sink = log.sink
        ids = _emit(log, 30)
        await _until(lambda: sink.status().spooled == 60, 15, "rows to reach the spool")
        assert sorted((tmp_path / "inference_log" / "spool").rglob("*.events"))
        proxy.restore()
        await _until(lambda: sink.status().ok and sink.status().spooled == 0, 20, "the spool to be replayed")
        ids += _emit(log, 10, first=100)
        await log.aclose()
        return ids

    ids = asyncio.run(main())
    _check(read_topic(direct, "inference.down", 2 * len(ids)), ids)
    assert _count(registry, "spooled") == _count(registry, "replayed") == 60
    assert _count(registry, "written") == 20
