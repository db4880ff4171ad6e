"""The alert inbox behind ``POST /api/v1/alerts``: version-4 payloads parsed (400/422 kinds otherwise),
alerts recorded (bounded, newest first), firing ones handed to registered handlers at most once per
debounce interval per (alert name, model), shared by every worker through the record file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from fortress.errors import ErrorKind, FortressError
from fortress.monitoring.alerts import AlertInbox, WebhookAlert, parse_webhook
from fortress.monitoring.settings import AlertSettings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def alert(name: str, model: str = "m", status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "model": model, **labels},
        "annotations": {"summary": f"{name} on {model}"},
        "startsAt": "2026-12-04T19:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": f"{name}-{model}",
    }


def payload(*alerts: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "version": "4", "groupKey": "{}:{alertname=\"x\"}", "truncatedAlerts": 0, "status": "firing",
            "receiver": "fortress", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager", "alerts": list(alerts),
        }
    )  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.got: list[tuple[str, str]] = []

    async def __call__(self, alert: WebhookAlert) -> None:
        self.got.append((alert.labels["alertname"], alert.labels["model"]))


@pytest.mark.parametrize(
    ("body", "kind", "says"),
    [
        (b"{not json", ErrorKind.INVALID, "malformed JSON"),
        (
            orjson.dumps({"version": "3", "status": "firing", "alerts": []}),
            ErrorKind.UNPROCESSABLE,
            "version",
        ),
        (orjson.dumps({"version": "4", "status": "firing"}), ErrorKind.UNPROCESSABLE, "alerts"),
        (payload({**alert("A"), "status": "odd"}), ErrorKind.UNPROCESSABLE, "alerts.0.status"),
        (payload({**alert("A"), "labels": {"model": "m"}}), ErrorKind.UNPROCESSABLE, "alertname"),
        (payload({**alert("A"), "startsAt": "yesterday"}), ErrorKind.UNPROCESSABLE, "startsAt"),
    ],
)
def test_bad_payloads_say_what_is_wrong(body: bytes, kind: ErrorKind, says: str) -> None:
    with pytest.raises(FortressError) as raised:
        parse_webhook(body)
    assert raised.value.kind is kind
    assert says in str(raised.value)


async def test_firing_alerts_are_handed_once_per_debounce_per_alert_and_model() -> None:
    clock = Clock()
    inbox = AlertInbox(AlertSettings(debounce_s=600), clock=clock)
    retrain, everything = Recorder(), Recorder()
    inbox.register("retrain", retrain, alertnames={"FeatureDriftDetected"})
    inbox.register("all", everything)
    drift_m, drift_n = alert("FeatureDriftDetected", "m"), alert("FeatureDriftDetected", "n")
    handed = await inbox.receive(parse_webhook(payload(drift_m, drift_n, alert("HighInferenceLatency"))))
    assert [(h.handler, h.alertname, h.model) for h in handed] == [
        ("retrain", "FeatureDriftDetected", "m"), ("all", "FeatureDriftDetected", "m"),
        ("retrain", "FeatureDriftDetected", "n"), ("all", "FeatureDriftDetected", "n"),
        ("all", "HighInferenceLatency", "m"),
    ]  # fmt: skip
    assert retrain.got == [("FeatureDriftDetected", "m"), ("FeatureDriftDetected", "n")]
    clock.now += 599  # Alertmanager's repeat: recorded, not handed again
    assert await inbox.receive(parse_webhook(payload(drift_m))) == []
    clock.now += 1
    again = await inbox.receive(
        parse_webhook(payload(drift_m, alert("FeatureDriftDetected", "m", "resolved")))
    )
    assert [(h.handler, h.model) for h in again] == [("retrain", "m"), ("all", "m")]  # resolved: not handed
    recorded = await inbox.recent()
    assert len(recorded) == 3 + 1 + 2
    assert recorded[0]["status"] == "resolved"
    assert recorded[0]["handled_by"] == []
    assert recorded[1]["handled_by"] == ["retrain", "all"]
    assert recorded[-1]["alertname"] == "FeatureDriftDetected"
    assert recorded[-1]["labels"]["model"] == "m"
    assert recorded[-1]["starts_at"] == "2026-12-04T19:00:00+00:00"


async def test_the_record_is_bounded_and_a_failing_handler_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox = AlertInbox(AlertSettings(max_recorded=3, debounce_s=0))

    async def broken(alert: WebhookAlert) -> None:
        raise RuntimeError("retrain queue down")

    inbox.register("broken", broken)
    handed = await inbox.receive(parse_webhook(payload(*(alert("A", f"m{i}") for i in range(5)))))
    assert len(handed) == 5
    assert [a["labels"]["model"] for a in await inbox.recent()] == ["m4", "m3", "m2"]
    assert "alert handler broken failed on A" in caplog.text
    with pytest.raises(ValueError, match="registered already"):
        inbox.register("broken", broken)


async def test_workers_share_the_record_and_the_debounce_through_the_file(tmp_path: Path) -> None:
    """Two inboxes on one file (two gateway workers): an alert either receives is listed by both, and a
    handler registered in both runs once per debounce interval."""
    path = tmp_path / "monitoring" / "alerts.json"
    clock = Clock()
    first, second = (AlertInbox(AlertSettings(debounce_s=60), path, clock) for _ in range(2))
    calls = [Recorder(), Recorder()]
    first.register("retrain", calls[0])
    second.register("retrain", calls[1])
    await first.receive(parse_webhook(payload(alert("FeatureDriftDetected"))))
    await second.receive(parse_webhook(payload(alert("FeatureDriftDetected"))))
    assert [len(c.got) for c in calls] == [1, 0]
    assert len(await second.recent()) == 2
    assert await first.recent() == await second.recent()
    clock.now += 60
    await second.receive(parse_webhook(payload(alert("FeatureDriftDetected"))))
    assert [len(c.got) for c in calls] == [1, 1]
    path.write_text("garbage")  # an unreadable record starts afresh
    assert await first.recent() == []
