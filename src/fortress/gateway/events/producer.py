"""The Kafka sink's producer: confluent-kafka configured for the delivery guarantee, plus what its
error callback has reported. Used only by the pump thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from fortress.gateway.events.base import Event
from fortress.gateway.events.log_throttle import ThrottledLog
from fortress.gateway.events.settings import EventSettings

logger = logging.getLogger(__name__)
librdkafka_logger = logging.getLogger("fortress.gateway.events.librdkafka")

DEFAULTS: dict[str, Any] = {
    "client.id": "fortress-gateway-audit",
    "linger.ms": 5,
    "reconnect.backoff.max.ms": 1000,  # retry a broker at least every second once it is back
    "log.connection.close": False,  # idle brokers closing connections is not news
}
"""librdkafka options that ``kafka_config`` may override."""

DeliveryReport = Callable[[KafkaError | None, Message], None]


def producer_config(settings: EventSettings, on_error: Callable[[KafkaError], None]) -> dict[str, Any]:
    return {
        **DEFAULTS,
        **settings.kafka_config,
        "bootstrap.servers": settings.kafka_bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "message.timeout.ms": settings.kafka_message_timeout_ms,
        "error_cb": on_error,
        "logger": ThrottledLog(librdkafka_logger, settings.kafka_log_interval_s),
    }


class AuditProducer:
    def __init__(self, settings: EventSettings) -> None:
        self.topic = settings.kafka_topic
        self.error = ""
        """The last Kafka error (from librdkafka or from a failed delivery), for status and logs."""
        self.brokers_down = False
        """librdkafka said every broker connection is down; cleared by a delivery or a probe."""
        self.fatal = False
        """The producer hit a fatal error: ``renew`` it before producing again."""
        self._settings = settings
        self._client = Producer(producer_config(settings, self._on_error))

    def produce(self, event: Event, report: DeliveryReport) -> None:
        """Raises ``BufferError`` (queue full) or ``KafkaException``."""
        key = event.investigation_id.encode()
        self._client.produce(self.topic, event.to_json(), key=key, on_delivery=report)

    def poll(self, timeout_s: float) -> None:
        """Runs delivery reports and the error callback."""
        self._client.poll(timeout_s)

    def purge_unsent(self) -> None:
        """Fail every message not yet sent to a broker (reported as purged: never written)."""
        self._client.purge(in_queue=True, in_flight=False, blocking=False)

    def probe(self) -> None:
        """Ask a broker for the topic's metadata; raises ``KafkaException`` when none answers."""
        timeout_s = self._settings.kafka_probe_timeout_ms / 1000.0
        topic = self._client.list_topics(self.topic, timeout=timeout_s).topics.get(self.topic)
        if topic is None or topic.error is not None:
            raise KafkaException(topic.error if topic is not None else "topic missing from metadata")
        self.brokers_down = False

    def renew(self) -> None:
        self.close()
        self._client = Producer(producer_config(self._settings, self._on_error))
        self.fatal = False

    def flush(self, timeout_s: float) -> None:
        self._client.flush(timeout_s)

    def close(self) -> None:
        self._client.purge()  # the pump only closes with nothing outstanding, unless it failed
        self._client.poll(0)
        self._client.close()

    def _on_error(self, err: KafkaError) -> None:
        self.error = err.str()
        if err.code() == KafkaError._ALL_BROKERS_DOWN:
            self.brokers_down = True
        if err.fatal():
            logger.error("Kafka producer fatal error; it will be replaced: %s", err.str())
            self.fatal = True
