"""Alerts from Alertmanager: record them, and hand firing ones to whatever registered for them.

The gateway's ``POST /api/v1/alerts`` is an Alertmanager webhook receiver (payload version 4,
https://prometheus.io/docs/alerting/latest/configuration/#webhook_config); it parses the body with
``parse_webhook`` and calls ``AlertInbox.receive``. The inbox keeps the last ``max_recorded`` alerts
(``GET /api/v1/alerts``) and gives each firing alert to every registered handler whose alert names it
matches, at most once per ``debounce_s`` per (handler, alert name, ``model`` label): Alertmanager
repeats a firing alert every ``repeat_interval``, a retrain trigger must not retrain every time.

With a ``path`` the record and the debounce times live in one JSON file (under an exclusive ``flock``),
so that every worker of a gateway sees the same alerts and a handler registered in each worker still
runs once per debounce interval; without one they live in memory (one process).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from fortress.errors import InvalidInput, Unprocessable
from fortress.monitoring.settings import AlertSettings

logger = logging.getLogger(__name__)

Status = Literal["firing", "resolved"]
MAX_ALERTS = 1000
"""Alerts in one webhook call (Alertmanager's ``max_alerts``; 0, its default, means all of a group)."""


class WebhookAlert(BaseModel):
    """One alert of an Alertmanager webhook call (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore")
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = ""

    @field_validator("labels")
    @classmethod
    def _named(cls, labels: dict[str, str]) -> dict[str, str]:
        if not labels.get("alertname"):
            raise ValueError("an alert needs an 'alertname' label")
        return labels


class WebhookPayload(BaseModel):
    """An Alertmanager webhook call, payload version 4."""

    model_config = ConfigDict(extra="ignore")
    version: Literal["4"]
    groupKey: str = ""
    truncatedAlerts: int = Field(0, ge=0)
    status: Status
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[WebhookAlert] = Field(max_length=MAX_ALERTS)


PAYLOAD = TypeAdapter(WebhookPayload)


def parse_webhook(body: bytes) -> WebhookPayload:
    """The payload, or ``InvalidInput`` (not JSON) / ``Unprocessable`` (not a version-4 payload)."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from None
    try:
        return PAYLOAD.validate_python(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        shown = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise Unprocessable(f"not an Alertmanager webhook payload (version 4): {shown}{more}") from None


@dataclass(frozen=True, slots=True)
class Handed:
    """A firing alert given to a handler."""

    handler: str
    alert: WebhookAlert

    @property
    def alertname(self) -> str:
        return self.alert.labels["alertname"]

    @property
    def model(self) -> str:
        return self.alert.labels.get("model", "")


Handler = Callable[[WebhookAlert], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Registered:
    name: str
    handler: Handler
    alertnames: frozenset[str] | None


class AlertInbox:
    def __init__(
        self, settings: AlertSettings, path: Path | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.path = path
        self.clock = clock
        self._handlers: list[_Registered] = []
        self._memory: dict[str, Any] = _empty()
        self._lock = threading.Lock()

    def register(self, name: str, handler: Handler, *, alertnames: Collection[str] | None = None) -> None:
        """Give ``handler`` the firing alerts named in ``alertnames`` (all when ``None``), debounced.
        ``name`` identifies it in the debounce state and in ``handled_by`` (the same in every worker)."""
        if any(r.name == name for r in self._handlers):
            raise ValueError(f"an alert handler named {name!r} is registered already")
        names = frozenset(alertnames) if alertnames is not None else None
        self._handlers.append(_Registered(name, handler, names))

    async def receive(self, payload: WebhookPayload) -> list[Handed]:
        """Record the payload's alerts and run the handlers due; what was handed to which handler.
        A failing handler is logged, never raised: Alertmanager would only send the alert again."""
        handed = await asyncio.to_thread(self._record, payload)
        by_name = {r.name: r for r in self._handlers}
        for item in handed:
            try:
                await by_name[item.handler].handler(item.alert)
            except Exception:
                logger.exception("alert handler %s failed on %s", item.handler, item.alertname)
        return handed

    async def recent(self) -> list[dict[str, Any]]:
        """The recorded alerts, newest first (JSON-ready)."""
        return await asyncio.to_thread(self._recent)

    def _recent(self) -> list[dict[str, Any]]:
        with self._state() as state:
            return list(reversed(state["alerts"]))

    def _record(self, payload: WebhookPayload) -> list[Handed]:
        now = self.clock()
        received = datetime.fromtimestamp(now, UTC).isoformat()
        handed: list[Handed] = []
        with self._state() as state:
            last: dict[str, float] = state["handed"]
            for alert in payload.alerts:
                mine = [r for r in self._handlers if _matches(r, alert)]
                handled_by = []
                for registered in mine:
                    key = f"{registered.name}|{alert.labels['alertname']}|{alert.labels.get('model', '')}"
                    if now - last.get(key, -float("inf")) >= self.settings.debounce_s:
                        last[key] = now
                        handled_by.append(registered.name)
                        handed.append(Handed(registered.name, alert))
                state["alerts"].append(_entry(payload, alert, received, handled_by))
            state["alerts"] = state["alerts"][-self.settings.max_recorded :]
            horizon = now - self.settings.debounce_s
            state["handed"] = {k: t for k, t in last.items() if t > horizon}
        return handed

    @contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        """The state, changes written back on exit; exclusive across threads (and processes: file)."""
        if self.path is None:
            with self._lock:
                yield self._memory
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = _load(self.path)
            yield state
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(state), encoding="utf-8")
            os.replace(tmp, self.path)


def _matches(registered: _Registered, alert: WebhookAlert) -> bool:
    wanted = registered.alertnames
    return alert.status == "firing" and (wanted is None or alert.labels["alertname"] in wanted)


def _entry(
    payload: WebhookPayload, alert: WebhookAlert, received: str, handled_by: list[str]
) -> dict[str, Any]:
    return {
        "alertname": alert.labels["alertname"],
        "status": alert.status,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "starts_at": alert.startsAt.isoformat(),
        "ends_at": alert.endsAt.isoformat() if alert.endsAt is not None else None,
        "fingerprint": alert.fingerprint,
        "receiver": payload.receiver,
        "received_at": received,
        "handled_by": handled_by,
    }


def _empty() -> dict[str, Any]:
    return {"alerts": [], "handed": {}}


def _load(path: Path) -> dict[str, Any]:
    """The file's state; a missing or unreadable file starts afresh (logged: it is only a record)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _empty()
    except (OSError, ValueError) as exc:
        logger.warning("alert record %s unreadable (%s): starting a new one", path, exc)
        return _empty()
    if not isinstance(state, dict) or not isinstance(state.get("alerts"), list):
        logger.warning("alert record %s is not an alert record: starting a new one", path)
        return _empty()
    state.setdefault("handed", {})
    return state
