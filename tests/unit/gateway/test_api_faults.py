"""Faults at the gateway: a hung model times out on its own clock (and its fallback answers), and an
unreachable Redis cache means uncached answers, counted, with /health saying so."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from fortress.backends.local import LocalBackend
from fortress.gateway.platform import GatewayPlatform
from fortress.gateway.settings import GatewaySettings
from fortress.runtime.errors import ModelFailed
from fortress.runtime.session import LoadedModel
from fortress.settings import Settings
from support.gateway import (
    BrokenBackend,
    gateway_candidates,
    gateway_client,
    investigation,
    register_gateway_models,
)
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
    async with gateway_client(settings, broken=["tiny_primary"], hang_s=30.0) as (client, platform):
        response = await client.post(INFER, json=investigation("inv-hung"))
        hung = platform.service.router.backends["broken"]
        assert isinstance(hung, BrokenBackend)
        assert hung.hung_out == 0  # answered while the hung call still waited: nobody waited on it
    assert response.status_code == 200, response.text
    body = response.json()
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
    async with gateway_client(settings, broken=["phishing_url"], hang_s=0.2) as (client, platform):
        responses = await asyncio.gather(
            *(client.post(INFER, json=investigation(f"inv-q{i}", cache_enabled=False)) for i in range(3))
        )
        hung = platform.service.router.backends["broken"]
    assert isinstance(hung, BrokenBackend)
    # One at a time (behaviour, not wall time): never two investigations on the hung model at once, and
    # each of the three waited its whole 0.2 s hang, which no model timeout (0.3 s) cut short.
    assert (hung.most_in_flight, hung.hung_out) == (1, 3)
    for response in responses:
        reason = response.json()["unavailable"]["phishing_url"]
        assert "connection refused" in reason  # the hang ran to its end: no timeout while queued


def _local_model(platform: GatewayPlatform, name: str) -> LoadedModel:
    backend = platform.service.router.backends["local"]
    assert isinstance(backend, LocalBackend)
    entry = backend.runtime.table[name]
    return entry.versions[entry.default_version].model


async def test_a_local_model_that_fails_or_overruns_gives_way_to_its_fallback(settings: Settings) -> None:
    """The local backend's calls are queued together and awaited as one: a failing or slow model still
    fails alone, on its own reason, and its fallback answers."""
    settings = with_gateway(settings, model_timeout_s=0.3)
    register_gateway_models(settings, gateway_candidates())
    async with gateway_client(settings) as (client, platform):
        primary = _local_model(platform, "tiny_primary")
        real_run = primary.run

        def failing(feeds: dict[str, np.ndarray]) -> np.ndarray:
            raise ModelFailed("tiny_primary v1: execution failed: boom")

        release, finished = threading.Event(), threading.Event()

        def slow(feeds: dict[str, np.ndarray]) -> np.ndarray:
            # in the compute thread, until the test lets it go: the loop and the other job slot keep going
            release.wait(timeout=60)
            finished.set()
            return real_run(feeds)

        answers = []
        for run in (failing, slow):
            primary.run = run  # type: ignore[method-assign]
            response = await client.post(
                INFER, json=investigation(f"inv-{run.__name__}", cache_enabled=False)
            )
            answers.append((response, finished.is_set()))
        release.set()
        primary.run = real_run  # type: ignore[method-assign]
        healthy = (await client.post(INFER, json=investigation("inv-ok", cache_enabled=False))).json()
    (failed, _), (overran, overran_finished) = answers
    for response in (failed, overran):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["predictions"]["tiny_primary"]["fallback_for"] == "tiny_primary"
    body = failed.json()
    assert body["unavailable"] == {"tiny_primary": "tiny_primary v1: execution failed: boom (local backend)"}
    assert body["predictions"]["phishing_url"]["version"] == 1  # its job mate answered
    body = overran.json()
    assert body["unavailable"]["tiny_primary"] == "timed out after 0.3 s (local backend)"
    # the slow run held up its whole compute job: the models queued with it time out too
    assert body["unavailable"]["phishing_url"] == "timed out after 0.3 s (local backend)"
    assert (
        not overran_finished
    )  # answered while the slow run was still held: its time never reached the caller
    assert healthy["unavailable"] == {}
    assert healthy["predictions"]["tiny_primary"]["fallback_for"] is None
