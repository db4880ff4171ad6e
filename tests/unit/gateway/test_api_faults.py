"""Faults at the gateway: a hung model times out on its own clock (and its fallback answers), and an
unreachable Redis cache means uncached answers, counted, with /health saying so."""

from __future__ import annotations

import asyncio
import time

import pytest

from fortress.gateway.settings import GatewaySettings
from fortress.settings import Settings
from support.gateway import gateway_candidates, gateway_client, investigation, register_gateway_models
from support.processes import free_port

pytestmark = pytest.mark.anyio
INFER = "/api/v1/inference"
OPEN = {"auth": {"enabled": False}, "rate_limit": {"enabled": False}}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def with_gateway(settings: Settings, **gateway: object) -> Settings:
    return settings.model_copy(update={"gateway": GatewaySettings.model_validate({**OPEN, **gateway})})


async def test_a_hung_model_times_out_alone_and_its_fallback_answers(settings: Settings) -> None:
    settings = with_gateway(settings, model_timeout_s=0.2)
    register_gateway_models(settings, gateway_candidates())
    async with gateway_client(settings, broken=["tiny_primary"], hang_s=5.0) as (client, _):
        started = time.monotonic()
        response = await client.post(INFER, json=investigation("inv-hung"))
        elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    body = response.json()
    assert elapsed < 2.0  # the hung model's 5 s never reach the caller
    assert body["unavailable"]["tiny_primary"].startswith("timed out after 0.2 s")
    assert body["predictions"]["tiny_primary"]["fallback_for"] == "tiny_primary"
    assert body["predictions"]["phishing_url"]["version"] == 1


async def test_an_unreachable_redis_cache_gives_uncached_answers_and_is_counted(settings: Settings) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = with_gateway(settings, cache={"backend": "redis", "redis_url": dead})
    register_gateway_models(settings, gateway_candidates())
    async with gateway_client(settings) as (client, _):
        answers = [(await client.post(INFER, json=investigation(f"inv-{i}"))).json() for i in range(3)]
        health = (await client.get("/health")).json()
        metrics = (await client.get("/metrics")).text
    assert [a["cached"] for a in answers] == [False, False, False]
    assert all(not a["degraded"] for a in answers)
    assert health["status"] == "degraded"
    assert health["cache"]["ok"] is False
    assert 'fortress_gateway_cache_total{outcome="error"}' in metrics
    errors = [
        line
        for line in metrics.splitlines()
        if line.startswith('fortress_gateway_cache_total{outcome="error"}')
    ]
    assert float(errors[0].split()[-1]) >= 3


async def test_investigations_queue_for_admission_before_their_model_timeouts_start(
    settings: Settings,
) -> None:
    settings = with_gateway(settings, model_timeout_s=0.3, max_concurrent=1)
    register_gateway_models(settings, gateway_candidates())
    async with gateway_client(settings, broken=["phishing_url"], hang_s=0.2) as (client, _):
        started = time.monotonic()
        responses = await asyncio.gather(
            *(client.post(INFER, json=investigation(f"inv-q{i}", cache_enabled=False)) for i in range(3))
        )
        elapsed = time.monotonic() - started
    assert elapsed >= 0.6  # one at a time: 3 x 0.2 s, longer than one model timeout
    for response in responses:
        reason = response.json()["unavailable"]["phishing_url"]
        assert "connection refused" in reason  # the hang ran to its end: no timeout while queued
