"""Authentication, scopes and rate limits at the gateway API: 401 vs 403 vs 429, open or protected
health and metrics, and the caller in the audit log (never the key)."""

from __future__ import annotations

import base64
import logging
from typing import Any

import jwt
import orjson
import pytest

from fortress.gateway.auth.keys import key_store
from fortress.gateway.settings import GatewaySettings
from fortress.registry.base import Candidate
from fortress.settings import Settings
from support.gateway import (
    client_at,
    gateway_candidates,
    gateway_client,
    investigation,
    register_gateway_models,
)

pytestmark = pytest.mark.anyio
INFER = "/api/v1/inference"
SECRET = "test-secret-with-enough-bytes-for-hs256"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def candidates() -> list[Candidate]:
    return gateway_candidates()


def with_gateway(settings: Settings, **gateway: Any) -> Settings:
    return settings.model_copy(update={"gateway": GatewaySettings(**gateway)})


async def test_api_keys_and_tokens_401_403_and_the_audit_caller(
    settings: Settings, candidates: list[Candidate]
) -> None:
    settings = with_gateway(
        settings,
        auth={"jwt_hs256_secret": SECRET, "jwt_issuer": "https://idp.example", "jwt_audience": "fortress"},
        rate_limit={"enabled": False},
    )
    register_gateway_models(settings, candidates)
    store = key_store(settings.home, settings.gateway.auth)
    inference, key = store.create("analyst", ["inference"])
    _, admin_only = store.create("ops", ["admin"])
    body = investigation("inv-auth")
    async with gateway_client(settings) as (client, platform):
        missing = await client.post(INFER, json=body)
        assert missing.status_code == 401
        assert "missing credentials" in missing.json()["error"]
        wrong = await client.post(INFER, json=body, headers={"X-API-Key": key[:-4] + "AAAA"})
        assert wrong.status_code == 401
        assert key[-8:] not in wrong.text
        forbidden = await client.post(INFER, json=body, headers={"X-API-Key": admin_only})
        assert forbidden.status_code == 403
        assert "'inference'" in forbidden.json()["error"]
        ok = await client.post(INFER, json=body, headers={"X-API-Key": key})
        assert ok.status_code == 200, ok.text
        bearer = await client.post(INFER, json=body, headers={"Authorization": f"Bearer {key}"})
        assert bearer.status_code == 200

        claims = {"sub": "svc-soar", "iss": "https://idp.example", "aud": "fortress", "scope": "inference"}
        token = jwt.encode({**claims, "exp": 4102444800}, SECRET, algorithm="HS256")
        assert (
            await client.post(INFER, json=body, headers={"Authorization": f"Bearer {token}"})
        ).status_code == 200
        other_aud = jwt.encode({**claims, "aud": "other", "exp": 4102444800}, SECRET, algorithm="HS256")
        response = await client.post(INFER, json=body, headers={"Authorization": f"Bearer {other_aud}"})
        assert response.status_code == 401

        assert (await client.get("/health")).status_code == 200  # open by default
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/api/v1/models")).status_code == 401
        assert (await client.get("/api/v1/models", headers={"X-API-Key": key})).status_code == 200
        events_path = platform.settings.events.path or settings.home / "audit" / "events.jsonl"
    events = [orjson.loads(line) for line in events_path.read_bytes().splitlines()]
    callers = [e["caller"] for e in events if e["investigation_id"] == "inv-auth"]
    assert callers == [inference.key_id, inference.key_id, "svc-soar"]
    assert key.split("_")[-1] not in events_path.read_text()


async def test_protected_health_and_metrics_need_the_admin_scope(
    settings: Settings, candidates: list[Candidate]
) -> None:
    settings = with_gateway(settings, auth={"open_health": False, "open_metrics": False})
    register_gateway_models(settings, candidates)
    _, analyst = key_store(settings.home, settings.gateway.auth).create("analyst", ["inference"])
    _, admin = key_store(settings.home, settings.gateway.auth).create("ops", ["admin"])
    async with gateway_client(settings) as (client, _):
        for path in ("/health", "/metrics"):
            assert (await client.get(path)).status_code == 401
            assert (await client.get(path, headers={"X-API-Key": analyst})).status_code == 403
            assert (await client.get(path, headers={"X-API-Key": admin})).status_code == 200
        assert (await client.get("/health/live")).status_code == 200
        # probes stay open (docs/SECURITY.md): orchestrators send no credentials
        assert (await client.get("/health/ready")).json() == {"ready": True}
        assert (await client.get("/health/live", headers={"X-API-Key": "fk_wrong"})).status_code == 200


async def test_each_caller_has_its_own_bucket_and_429_says_when_to_retry(
    settings: Settings, candidates: list[Candidate]
) -> None:
    settings = with_gateway(settings, rate_limit={"rate_per_s": 0.5, "burst": 3})
    register_gateway_models(settings, candidates)
    _, first = key_store(settings.home, settings.gateway.auth).create("first", ["inference"])
    _, second = key_store(settings.home, settings.gateway.auth).create("second", ["inference"])
    body = investigation("inv-limit")
    async with gateway_client(settings) as (client, _):
        codes = [
            (await client.post(INFER, json=body, headers={"X-API-Key": first})).status_code for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        limited = await client.post(INFER, json=body, headers={"X-API-Key": first})
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert (await client.post(INFER, json=body, headers={"X-API-Key": second})).status_code == 200


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(header: Any, payload: Any = None, signature: str = "AAAA") -> str:
    body = orjson.dumps({"sub": "x"} if payload is None else payload)
    return f"{_b64url(orjson.dumps(header))}.{_b64url(body)}.{signature}"


MALFORMED_TOKENS = [
    _token({"alg": "HS256", "crit": ["x"]}),  # the repro: raised before any signature check
    _token({"alg": "HS256", "kid": 5}),
    _token({"alg": "HS256", "kid": {"a": 1}}),
    _token({"alg": "HS256", "crit": "x"}),
    _token({"alg": "none"}, signature=""),
    _token({"alg": "RS256"}),
    _token({"alg": ["HS256"]}),
    _token([1, 2]),
    _token("HS256"),
    f"{_b64url(b'{')}.{_b64url(b'{}')}.AAAA",
    "a.b.c",
    "!!!.???.###",
    "\u00e9.\u00e9.\u00e9",
    "a.b.c.d",
    ".".join(["eyJ" + "A" * 3000] * 3),
]


async def test_every_malformed_bearer_token_is_a_401_without_a_traceback(
    settings: Settings, candidates: list[Candidate], caplog: pytest.LogCaptureFixture
) -> None:
    settings = with_gateway(settings, auth={"jwt_hs256_secret": SECRET}, rate_limit={"enabled": False})
    register_gateway_models(settings, candidates)
    caplog.set_level(logging.INFO)
    async with gateway_client(settings) as (client, _):
        for token in MALFORMED_TOKENS:
            header = f"Bearer {token}".encode()  # bytes: one token is not ASCII
            response = await client.get("/api/v1/models", headers={"Authorization": header})
            assert response.status_code == 401, (token[:60], response.text)
            assert response.json()["kind"] == "unauthorized"
            assert token not in response.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


async def test_failed_authentication_is_throttled_per_client_address(
    settings: Settings, candidates: list[Candidate]
) -> None:
    settings = with_gateway(
        settings,
        auth={"max_failures_per_address": 3, "failure_window_s": 60, "open_health": False},
        rate_limit={"enabled": False},
    )
    register_gateway_models(settings, candidates)
    _, key = key_store(settings.home, settings.gateway.auth).create("analyst", ["inference", "admin"])
    wrong = {"X-API-Key": key[:-4] + "AAAA"}
    right = {"X-API-Key": key}
    body = investigation("inv-throttle")
    async with (
        gateway_client(settings) as (local, _),
        client_at(local, "203.0.113.9") as attacker,
        client_at(local, "198.51.100.7") as other,
    ):
        codes = [(await attacker.get("/api/v1/models", headers=wrong)).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        throttled = await attacker.get("/api/v1/models", headers=wrong)
        assert throttled.status_code == 429
        assert throttled.json()["kind"] == "overloaded"
        assert "203.0.113.9" in throttled.json()["error"]
        assert 1 <= int(throttled.headers["Retry-After"]) <= 20
        # every attempt from the throttled address waits, the right key too, on every route
        assert (await attacker.get("/api/v1/models", headers=right)).status_code == 429
        assert (await attacker.post(INFER, json=body, headers=right)).status_code == 429  # fast path
        assert (await attacker.get("/health", headers=right)).status_code == 429
        # other addresses are not locked out, and keep their own count of failures
        assert (await other.post(INFER, json=body, headers=right)).status_code == 200
        assert (await other.get("/api/v1/models", headers=wrong)).status_code == 401
        assert (await local.get("/api/v1/models", headers=right)).status_code == 200
