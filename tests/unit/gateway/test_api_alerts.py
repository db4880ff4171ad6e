"""``POST /api/v1/alerts`` (Alertmanager's webhook) and ``GET /api/v1/alerts`` at the gateway: admin
scope only (401 without a key, 403 with an inference key), bad payloads 400/422 with a ``kind``, the
alerts recorded and handed to a handler registered on ``app.state.alerts``; documented in OpenAPI."""

from __future__ import annotations

import httpx
import orjson
import pytest

from fortress.gateway.auth.keys import key_store
from fortress.gateway.http.app import create_app
from fortress.gateway.platform import build_platform
from fortress.gateway.settings import GatewaySettings
from fortress.monitoring.alerts import WebhookAlert
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings
from support.gateway import gateway_candidates, register_gateway_models

pytestmark = pytest.mark.anyio
ALERTS = "/api/v1/alerts"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def webhook(status: str = "firing") -> dict[str, object]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="FeatureDriftDetected"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "fortress",
        "groupLabels": {"alertname": "FeatureDriftDetected"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "FeatureDriftDetected", "model": "tiny_detector", "feature": "x"},
                "annotations": {"summary": "drift"},
                "startsAt": "2026-12-04T19:00:00.123Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": "c0ffee",
            }
        ],
    }


async def test_alert_endpoints_need_admin_and_record_and_hand_alerts(settings: Settings) -> None:
    settings = settings.model_copy(update={"gateway": GatewaySettings(rate_limit={"enabled": False})})  # type: ignore[arg-type]
    register_gateway_models(settings, gateway_candidates())
    store = key_store(settings.home, settings.gateway.auth)
    _, inference = store.create("analyst", ["inference"])
    _, admin = store.create("alertmanager", ["admin"])
    as_admin = {"Authorization": f"Bearer {admin}"}
    app = create_app(build_platform(settings, MlflowRegistry(settings.registry, settings.home)))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client,
    ):
        assert (await client.post(ALERTS, json=webhook())).status_code == 401
        forbidden = await client.post(ALERTS, json=webhook(), headers={"X-API-Key": inference})
        assert forbidden.status_code == 403
        assert forbidden.json()["kind"] == "forbidden"
        assert (await client.get(ALERTS, headers={"X-API-Key": inference})).status_code == 403

        malformed = await client.post(
            ALERTS, content=b"{", headers={**as_admin, "Content-Type": "application/json"}
        )
        assert malformed.status_code == 400
        assert malformed.json()["kind"] == "invalid"
        wrong = await client.post(ALERTS, json={**webhook(), "version": "3"}, headers=as_admin)
        assert wrong.status_code == 422
        assert wrong.json()["kind"] == "unprocessable"
        assert "version" in wrong.json()["error"]
        text = await client.post(ALERTS, content=b"{}", headers={**as_admin, "Content-Type": "text/plain"})
        assert text.status_code == 415

        got: list[WebhookAlert] = []

        async def retrain(alert: WebhookAlert) -> None:
            got.append(alert)

        app.state.alerts.register("retrain", retrain, alertnames={"FeatureDriftDetected"})
        ok = await client.post(ALERTS, json=webhook(), headers=as_admin)
        assert ok.status_code == 200, ok.text
        assert ok.json() == {
            "recorded": 1,
            "handed": [{"handler": "retrain", "alertname": "FeatureDriftDetected", "model": "tiny_detector"}],
        }
        assert [a.labels["feature"] for a in got] == ["x"]
        resolved = await client.post(ALERTS, json=webhook("resolved"), headers=as_admin)
        assert resolved.json() == {"recorded": 1, "handed": []}

        listed = await client.get(ALERTS, headers=as_admin)
        assert listed.status_code == 200
        alerts = listed.json()["alerts"]
        assert [a["status"] for a in alerts] == ["resolved", "firing"]
        assert alerts[1]["handled_by"] == ["retrain"]
        assert alerts[1]["fingerprint"] == "c0ffee"
        assert alerts[1]["receiver"] == "fortress"
        assert (settings.home / "monitoring" / "alerts.json").exists()

        schema = (await client.get("/openapi.json")).json()
        post = schema["paths"][ALERTS]["post"]
        body = post["requestBody"]["content"]["application/json"]["schema"]
        assert body["properties"]["version"]["const"] == "4"
        assert "startsAt" in body["properties"]["alerts"]["items"]["properties"]
        assert {"200", "400", "401", "403", "422"} <= set(post["responses"])
        assert "get" in schema["paths"][ALERTS]
        assert orjson.dumps(schema)  # serialisable
