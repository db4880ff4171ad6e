"""What the gateway records per inference, and what it needs from whatever records it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson


class Event(Protocol):
    """What the Kafka machinery (buffer, spool, pump, producer) carries: a key and a JSON body.
    ``AuditEvent`` is one; the inference log's rows are another (docs/MONITORING.md)."""

    @property
    def investigation_id(self) -> str:
        """The message key (events of one investigation stay in order on one partition)."""
        ...

    def to_json(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class RawEvent:
    """An event read back from a spool as its JSON body (kinds other than ``AuditEvent``)."""

    investigation_id: str
    body: bytes

    def to_json(self) -> bytes:
        return self.body

    @classmethod
    def from_json(cls, raw: bytes) -> RawEvent:
        """Any JSON object with a string ``investigation_id``; ``ValueError`` otherwise."""
        try:
            data: Any = orjson.loads(raw)
            return cls(_str(data["investigation_id"]), raw)
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"not an event with an investigation id: {exc!r}") from exc


Decode = Callable[[bytes], Event]
"""A spool line -> its event (``AuditEvent.from_json``, ``RawEvent.from_json``)."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One inference as the audit trail sees it. It names the caller, never a credential."""

    event_id: str
    """32 hex digits, made by the caller; unique per event (the gateway: a random 64-bit prefix per
    process and a counter)."""
    timestamp: float
    """Unix seconds when the answer was produced."""
    investigation_id: str
    caller: str
    """Principal id (API key id or JWT subject)."""
    models: Mapping[str, int]
    """Model name -> version that answered."""
    verdict: str
    risk: float
    degraded: bool
    cached: bool
    latency_ms: float

    def to_json(self) -> bytes:
        """One JSON object, no trailing newline. A value JSON cannot hold is written as its ``str``."""
        return orjson.dumps(
            {
                "event_id": self.event_id,
                "timestamp": self.timestamp,
                "investigation_id": self.investigation_id,
                "caller": self.caller,
                "models": dict(self.models),
                "verdict": self.verdict,
                "risk": self.risk,
                "degraded": self.degraded,
                "cached": self.cached,
                "latency_ms": self.latency_ms,
            },
            default=str,
            option=orjson.OPT_NON_STR_KEYS,
        )

    @classmethod
    def from_json(cls, raw: bytes) -> AuditEvent:
        """Parse ``to_json`` output. Raises ``ValueError`` on anything else."""
        data: Any = orjson.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("an audit event is a JSON object")
        try:
            return cls(
                event_id=_str(data["event_id"]),
                timestamp=float(data["timestamp"]),
                investigation_id=_str(data["investigation_id"]),
                caller=_str(data["caller"]),
                models={_str(name): int(version) for name, version in data["models"].items()},
                verdict=_str(data["verdict"]),
                risk=float(data["risk"]),
                degraded=_bool(data["degraded"]),
                cached=_bool(data["cached"]),
                latency_ms=float(data["latency_ms"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not an audit event: {exc!r}") from exc


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class SinkStatus:
    ok: bool
    """True while events flow to their destination (file written, Kafka acknowledging)."""
    kind: str
    """``file`` or ``kafka``."""
    detail: str = ""
    spooled: int = 0
    """Events waiting on disk for replay to Kafka."""


class EventSink(Protocol):
    """Where audit events go. One per gateway process, started and closed by its lifespan."""

    kind: str
    """``file`` or ``kafka``."""

    async def start(self) -> None:
        """Open the destination and start the background writer. Never raises because Kafka is
        down (events are spooled until it is back); the file sink raises ``OSError`` when its log
        cannot be opened at all."""
        ...

    def emit(self, event: AuditEvent) -> None:
        """Hot path: queue one event in memory and return. O(1), never blocks, never raises; an
        event that cannot be queued (buffer full, sink closed) is counted as dropped."""
        ...

    async def aclose(self) -> None:
        """Write out every queued event (to the log, to Kafka or to the spool), then stop."""
        ...

    def status(self) -> SinkStatus: ...
