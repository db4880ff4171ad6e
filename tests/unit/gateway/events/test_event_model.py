"""AuditEvent's wire form, EventSettings' validation and defaults, and the factory's choice."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from pydantic import ValidationError

from fortress.gateway.events import AuditEvent, EventSettings, FileEventSink, build_event_sink
from fortress.gateway.events.kafka import KafkaEventSink
from fortress.gateway.events.producer import producer_config
from fortress.settings import Settings
from support.audit import make_event


def test_an_event_is_one_json_object_that_round_trips() -> None:
    event = make_event(1, "inv-9")
    raw = event.to_json()
    assert b"\n" not in raw
    assert orjson.loads(raw) == {
        "event_id": "00000000000000000000000000000001",
        "timestamp": 1_700_000_001.25,
        "investigation_id": "inv-9",
        "caller": "key-7f3a",
        "models": {"flow_gbdt": 3, "dns_cnn": 12},
        "verdict": "benign",
        "risk": 0.01,
        "degraded": True,
        "cached": False,
        "latency_ms": 4.75,
    }
    assert AuditEvent.from_json(raw) == event


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        (b"[]", ValueError, r"^an audit event is a JSON object$"),
        (b"{}", ValueError, r"^not an audit event: KeyError\('event_id'\)$"),
        (b"not json", orjson.JSONDecodeError, r"line 1 column 1 \(char 0\)"),
        (b'{"event_id": 1}', ValueError, r"^not an audit event: TypeError\('expected a string, got int'\)$"),
        (
            orjson.dumps({**orjson.loads(make_event().to_json()), "models": []}),
            ValueError,
            r"^not an audit event: AttributeError",
        ),
    ],
)
def test_anything_else_is_rejected_with_value_error(
    raw: bytes, error: type[ValueError], message: str
) -> None:
    with pytest.raises(error, match=message):
        AuditEvent.from_json(raw)


def test_defaults_put_the_log_and_the_spool_under_home(tmp_path: Path) -> None:
    settings = EventSettings()
    assert settings.sink == "file"
    assert settings.log_path(tmp_path) == tmp_path / "audit" / "events.jsonl"
    assert settings.spool_path(tmp_path) == tmp_path / "audit" / "spool"
    assert EventSettings(path=tmp_path / "x.jsonl").log_path(Path("/elsewhere")) == tmp_path / "x.jsonl"


def test_kafka_needs_a_bootstrap_address_with_a_clear_message() -> None:
    with pytest.raises(ValidationError, match="FORTRESS_GATEWAY__EVENTS__KAFKA_BOOTSTRAP"):
        EventSettings(sink="kafka")


@pytest.mark.parametrize("key", ["enable.idempotence", "acks", "bootstrap.servers", "message.timeout.ms"])
def test_kafka_config_may_not_weaken_the_delivery_guarantee(key: str) -> None:
    with pytest.raises(ValidationError, match=key):
        EventSettings(sink="kafka", kafka_bootstrap="k:9092", kafka_config={key: "1"})


def test_validation_errors_do_not_echo_kafka_credentials() -> None:
    with pytest.raises(ValidationError) as info:
        EventSettings(sink="kafka", kafka_config={"sasl.password": "hunter2"})
    assert "hunter2" not in str(info.value)


def test_producer_config_forces_idempotence_and_passes_extras() -> None:
    settings = EventSettings(
        sink="kafka",
        kafka_bootstrap="k:9092",
        kafka_message_timeout_ms=1234,
        kafka_config={"linger.ms": "20"},
    )
    config = producer_config(settings, lambda err: None)
    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert config["bootstrap.servers"] == "k:9092"
    assert config["message.timeout.ms"] == 1234
    assert config["linger.ms"] == "20"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FORTRESS_GATEWAY__EVENTS__SINK", "kafka")
    monkeypatch.setenv("FORTRESS_GATEWAY__EVENTS__KAFKA_BOOTSTRAP", "broker-1:9092,broker-2:9092")
    monkeypatch.setenv("FORTRESS_GATEWAY__EVENTS__KAFKA_CONFIG", '{"security.protocol": "SASL_SSL"}')
    monkeypatch.setenv("FORTRESS_GATEWAY__EVENTS__SPOOL_DIR", str(tmp_path / "spool"))
    events = Settings().gateway.events
    assert events.sink == "kafka"
    assert events.kafka_bootstrap == "broker-1:9092,broker-2:9092"
    assert events.kafka_config == {"security.protocol": "SASL_SSL"}
    assert events.spool_path(Path("/unused")) == tmp_path / "spool"


def test_factory_builds_the_configured_sink_with_metrics_on_the_given_registry(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    sink = build_event_sink(EventSettings(), tmp_path, registry)
    assert isinstance(sink, FileEventSink)
    assert sink.kind == "file"
    assert sink.path == tmp_path / "audit" / "events.jsonl"
    assert registry.get_sample_value("fortress_audit_spool_events") == 0
    assert REGISTRY.get_sample_value("fortress_audit_spool_events") is None  # never the global one

    kafka = build_event_sink(
        EventSettings(sink="kafka", kafka_bootstrap="k:9092"), tmp_path, CollectorRegistry()
    )
    assert isinstance(kafka, KafkaEventSink)
    assert kafka.spool_dir == tmp_path / "audit" / "spool"
    status = kafka.status()
    assert (status.ok, status.kind, status.detail) == (False, "kafka", "not started")
