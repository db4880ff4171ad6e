"""Settings of the gateway's audit-event sink (nested as ``Settings.gateway.events``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, model_validator

OWNED_KAFKA_KEYS = {
    "bootstrap.servers": "kafka_bootstrap",
    "enable.idempotence": None,
    "acks": None,
    "message.timeout.ms": "kafka_message_timeout_ms",
    "delivery.timeout.ms": "kafka_message_timeout_ms",
    "transactional.id": None,
}
"""librdkafka options the sink sets itself (the delivery guarantee depends on them)."""


class EventSettings(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)  # kafka_config may hold SASL passwords

    sink: Literal["file", "kafka"] = "file"
    """``file``: an append-only JSON-lines log on local disk. ``kafka``: a Kafka topic."""
    path: Path | None = None
    """File sink: the log. Default: ``$FORTRESS_HOME/audit/events.jsonl``."""
    fsync_interval_ms: PositiveInt = 50
    """File sink and spool: queued events are written and fsync'ed together at this interval."""
    buffer_max_events: PositiveInt = 100_000
    """Events held in memory before the background writer takes them; past it, events are dropped
    (counted in ``fortress_audit_events_total{outcome="dropped"}``)."""
    kafka_bootstrap: str | None = None
    """``host:port[,host:port...]``. Required when ``sink`` is ``kafka``."""
    kafka_topic: str = Field("fortress.audit", min_length=1)
    kafka_config: dict[str, str] = Field(default_factory=dict)
    """Extra librdkafka options (``security.protocol``, ``sasl.*``, ``linger.ms``, ...)."""
    kafka_message_timeout_ms: PositiveInt = 5_000
    """How long librdkafka tries to deliver an event before reporting failure; failed events go to
    the spool. Short, so an outage reaches the disk in seconds rather than minutes."""
    kafka_probe_interval_ms: PositiveInt = 1_000
    """While Kafka is unreachable, how often the sink asks it for metadata to see if it is back."""
    kafka_probe_timeout_ms: PositiveInt = 2_000
    """Longest wait for one such metadata request."""
    kafka_log_interval_s: PositiveFloat = 30
    """librdkafka's log lines: each distinct line at most once per interval (then with a count of the
    similar lines suppressed); while a broker is away it logs ~11 connection errors a second."""
    spool_dir: Path | None = None
    """Kafka sink: where undelivered events wait for replay. Default: ``$FORTRESS_HOME/audit/spool``."""
    spool_segment_events: PositiveInt = 10_000
    """Events per spool file; a file is deleted once all its events are confirmed by Kafka."""

    @model_validator(mode="after")
    def _kafka_needs_bootstrap(self) -> EventSettings:
        if self.sink == "kafka" and not self.kafka_bootstrap:
            raise ValueError(
                "gateway.events.kafka_bootstrap is required when gateway.events.sink is 'kafka' "
                "(set FORTRESS_GATEWAY__EVENTS__KAFKA_BOOTSTRAP=host:9092)"
            )
        for key in self.kafka_config:
            if key in OWNED_KAFKA_KEYS:
                field = OWNED_KAFKA_KEYS[key]
                hint = f"set gateway.events.{field} instead" if field else "the sink always sets it"
                raise ValueError(f"gateway.events.kafka_config may not set {key!r}: {hint}")
        return self

    def log_path(self, home: Path) -> Path:
        return self.path if self.path is not None else home / "audit" / "events.jsonl"

    def spool_path(self, home: Path) -> Path:
        return self.spool_dir if self.spool_dir is not None else home / "audit" / "spool"
