"""The gateway's audit trail: one event per inference, to a local log (default) or Kafka."""

from fortress.gateway.events.base import AuditEvent, EventSink, SinkStatus
from fortress.gateway.events.factory import build_event_sink
from fortress.gateway.events.local import FileEventSink, read_events
from fortress.gateway.events.settings import EventSettings

__all__ = [
    "AuditEvent",
    "EventSettings",
    "EventSink",
    "FileEventSink",
    "SinkStatus",
    "build_event_sink",
    "read_events",
]
