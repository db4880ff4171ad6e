"""TfServingBackend against ``fortress serve``'s app in-process (httpx.ASGITransport), real registries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from fortress.backends.base import ModelAnswer
from fortress.backends.breaker import BreakerState
from fortress.backends.errors import BackendDown, CircuitOpen, NotServed
from fortress.backends.tfserving import TfServingBackend
from fortress.catalog.spec import ModelSpec
from fortress.errors import InvalidInput, NotFound, Overloaded, Unavailable, UnknownModel
from fortress.registry.base import CANARY, CHAMPION
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.runtime.errors import ModelNotLoaded
from fortress.settings import Settings
from support.processes import free_port
from support.remote_serving import (
    TINY,
    TINY_FEEDS,
    URL,
    URL_FEEDS,
    FaultyTransport,
    InProcessServer,
    model_server,
    remote_settings,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"  # module scope: every test of this module runs on one event loop


@pytest.fixture(scope="module")
async def server(shared_home: Settings) -> AsyncIterator[InProcessServer]:
    async with model_server(shared_home) as served:
        yield served


async def started(
    server: InProcessServer,
    specs: dict[str, ModelSpec],
    transport: httpx.AsyncBaseTransport | None = None,
    **settings: Any,
) -> TfServingBackend:
    backend = TfServingBackend(
        remote_settings("tfserving", **settings), specs, transport=transport or server.transport
    )
    await backend.start()
    return backend


async def test_served_routes_and_status(server: InProcessServer, specs: dict[str, ModelSpec]) -> None:
    backend = await started(server, specs)
    try:
        served = backend.served()
        assert {name: dict(m.routes) for name, m in served.items()} == {
            TINY: {CHAMPION: 1, CANARY: 2},
            URL: {CHAMPION: 1},
        }
        assert served[TINY].spec is specs[TINY]
        assert served[TINY].version == 1
        status = backend.status()
        assert status.ok
        assert status.models == {TINY: True, URL: True, "dga_detector": False}
        assert "dga_detector: not served" in status.detail
        await backend.poll()
        assert backend.served() is served  # nothing changed: same view (the router compares identity)
    finally:
        await backend.aclose()


async def test_predict_matches_the_server_runtime(
    server: InProcessServer, specs: dict[str, ModelSpec]
) -> None:
    backend = await started(server, specs)
    try:
        cases = [
            (TINY, TINY_FEEDS, CHAMPION, 1),
            (TINY, TINY_FEEDS, CANARY, 2),
            (URL, URL_FEEDS, CHAMPION, 1),
        ]
        for name, feeds, route, version in cases:
            answer = await backend.submit(name, feeds, route)
            want_version, want = await server.local(name, feeds, version=version)
            assert isinstance(answer, ModelAnswer)
            assert (answer.model, answer.version) == (name, want_version)
            assert answer.probabilities.dtype == np.float32
            np.testing.assert_array_equal(answer.probabilities, want)  # float32 survives JSON exactly
        one = await backend.submit(TINY, {k: v[:1] for k, v in TINY_FEEDS.items()})
        assert one.probabilities.shape == (1, 2)
    finally:
        await backend.aclose()


async def test_requests_name_the_version_behind_the_route(
    server: InProcessServer, specs: dict[str, ModelSpec]
) -> None:
    transport = FaultyTransport(server.transport)
    backend = await started(server, specs, transport)
    try:
        transport.requests.clear()
        await backend.submit(TINY, TINY_FEEDS, CANARY)
        await backend.submit(URL, URL_FEEDS)
        paths = [r.url.path for r in transport.requests]
        assert paths == [
            "/v1/models/tiny_detector/versions/2:predict",
            "/v1/models/phishing_url/versions/1:predict",
        ]
        inputs = orjson.loads(transport.requests[0].content)["inputs"]  # TF Serving's columnar format
        assert inputs["categorical"] == [["udp"], ["tcp"], ["sctp"], ["udp"]]
        assert inputs["numeric"][1] == [-0.3, 0.2]  # float32 in its shortest form
        np.testing.assert_array_equal(np.asarray(inputs["numeric"], np.float32), TINY_FEEDS["numeric"])
    finally:
        await backend.aclose()


async def test_errors_are_domain_errors(server: InProcessServer, specs: dict[str, ModelSpec]) -> None:
    backend = await started(server, specs)
    try:
        wrong_shape = {**TINY_FEEDS, "numeric": np.zeros((4, 3), np.float32)}
        with pytest.raises(InvalidInput, match=r"must have shape \[-1, 2\]"):
            await backend.submit(TINY, wrong_shape)
        with pytest.raises(InvalidInput, match="DT_FLOAT"):
            await backend.submit(
                TINY, {**TINY_FEEDS, "numeric": TINY_FEEDS["numeric"].astype(str).astype(object)}
            )
        with pytest.raises(InvalidInput, match="Missing named input: categorical"):
            await backend.submit(TINY, {"numeric": TINY_FEEDS["numeric"]})
        with pytest.raises(UnknownModel, match="'nope'"):
            await backend.submit("nope", TINY_FEEDS)
        with pytest.raises(Unavailable, match=r"http://model-server: model 'dga_detector' is not available"):
            await backend.submit("dga_detector", URL_FEEDS)
        with pytest.raises(ModelNotLoaded, match="no 'canary' version"):
            await backend.submit(URL, URL_FEEDS, CANARY)
        assert backend.breaker.state is BreakerState.CLOSED
        assert backend.breaker._consecutive == 0  # none of these is the server failing
    finally:
        await backend.aclose()


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    async def fault(request: httpx.Request) -> httpx.Response | None:
        if not request.url.path.endswith(":predict"):
            return None
        return httpx.Response(status, content=orjson.dumps(body), headers=headers)

    return fault


async def test_status_codes_map_to_error_kinds(server: InProcessServer, specs: dict[str, ModelSpec]) -> None:
    transport = FaultyTransport(server.transport)
    backend = await started(server, specs, transport)
    try:
        transport.fault = _answer(429, {"error": "queue full"}, {"Retry-After": "3"})
        with pytest.raises(Overloaded, match="queue full") as overloaded:
            await backend.submit(TINY, TINY_FEEDS)
        assert overloaded.value.retry_after_s == 3.0
        transport.fault = _answer(403, {"error": "no"})
        with pytest.raises(Unavailable, match="refused our credentials"):
            await backend.submit(TINY, TINY_FEEDS)
        transport.fault = _answer(503, {"error": "model failed"})
        with pytest.raises(
            BackendDown, match=r"http://model-server, model 'tiny_detector': HTTP 503: model failed"
        ):
            await backend.submit(TINY, TINY_FEEDS)
        assert backend.breaker._consecutive == 1
        transport.fault = _answer(200, {"outputs": [[0.5]]})
        with pytest.raises(BackendDown, match=r"expected probabilities of shape \[4, 2\], got \[1, 1\]"):
            await backend.submit(TINY, TINY_FEEDS)
    finally:
        await backend.aclose()


async def test_breaker_opens_on_failures_and_a_trial_closes_it(
    server: InProcessServer, specs: dict[str, ModelSpec]
) -> None:
    transport = FaultyTransport(server.transport)
    backend = await started(server, specs, transport, breaker_failures=2, breaker_reset_s=0.2, timeout_s=0.05)

    async def refused(request: httpx.Request) -> httpx.Response | None:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    async def slow(request: httpx.Request) -> httpx.Response | None:
        await asyncio.sleep(1.0)
        return None

    try:
        transport.fault = refused
        with pytest.raises(BackendDown, match="ConnectError"):
            await backend.submit(TINY, TINY_FEEDS)
        transport.fault = slow
        with pytest.raises(BackendDown, match=r"no answer within 0.05 s"):
            await backend.submit(TINY, TINY_FEEDS)
        assert backend.breaker.state is BreakerState.OPEN
        assert not backend.status().ok
        sent = len(transport.requests)
        with pytest.raises(CircuitOpen, match="circuit open for tfserving backend http://model-server"):
            await backend.submit(TINY, TINY_FEEDS)
        assert len(transport.requests) == sent  # refused without I/O
        transport.fault = None
        await asyncio.sleep(0.25)
        assert backend.breaker.state is BreakerState.HALF_OPEN
        answer = await backend.submit(TINY, TINY_FEEDS)  # the trial
        assert answer.version == 1
        assert backend.breaker.state is BreakerState.CLOSED
        assert backend.status().ok
    finally:
        await backend.aclose()


async def test_dead_server_is_reported_not_raised(specs: dict[str, ModelSpec]) -> None:
    backend = TfServingBackend(remote_settings("tfserving", f"http://127.0.0.1:{free_port()}"), specs)
    await backend.start()  # nothing listens there
    try:
        assert backend.served() == {}
        status = backend.status()
        assert not status.ok
        assert status.models == dict.fromkeys(specs, False)
        assert "ConnectError" in status.detail
        with pytest.raises(Unavailable, match=r"model 'tiny_detector' is not available \(.*ConnectError"):
            await backend.submit(TINY, TINY_FEEDS)
    finally:
        await backend.aclose()


async def test_versions_follow_the_server_and_a_stale_route_repolls(
    home: Settings, specs: dict[str, ModelSpec]
) -> None:
    async with model_server(home) as server:
        backend = await started(server, specs, status_poll_s=60.0)
        try:
            assert dict(backend.served()[TINY].routes) == {CHAMPION: 1, CANARY: 2}
            registry = MlflowRegistry(home.registry, home.home)  # promote the canary
            registry.set_alias(TINY, CHAMPION, 2)
            registry.delete_alias(TINY, CANARY)
            await server.runtime.refresh()
            with pytest.raises(NotServed, match="version 1 of model 'tiny_detector' is not loaded"):
                await backend.submit(TINY, TINY_FEEDS)  # still asks for v1 by number: never a silent v2
            for _ in range(100):  # the 404 woke the poller
                if dict(backend.served()[TINY].routes) == {CHAMPION: 2}:
                    break
                await asyncio.sleep(0.02)
            assert dict(backend.served()[TINY].routes) == {CHAMPION: 2}
            answer = await backend.submit(TINY, TINY_FEEDS)
            assert answer.version == 2
            np.testing.assert_array_equal(answer.probabilities, (await server.local(TINY, TINY_FEEDS))[1])
            with pytest.raises(NotFound):
                await backend.submit(TINY, TINY_FEEDS, CANARY)
        finally:
            await backend.aclose()


async def test_a_cancelled_trial_frees_the_half_open_slot(
    server: InProcessServer, specs: dict[str, ModelSpec]
) -> None:
    transport = FaultyTransport(server.transport)
    backend = await started(server, specs, transport, breaker_failures=1, breaker_reset_s=0.05)

    async def refused(request: httpx.Request) -> httpx.Response | None:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    async def hang(request: httpx.Request) -> httpx.Response | None:
        await asyncio.sleep(10.0)
        return None

    try:
        transport.fault = refused
        with pytest.raises(BackendDown):
            await backend.submit(TINY, TINY_FEEDS)
        await asyncio.sleep(0.06)
        transport.fault = hang
        trial = asyncio.ensure_future(backend.submit(TINY, TINY_FEEDS))
        await asyncio.sleep(0.01)
        with pytest.raises(CircuitOpen, match="a trial call is in flight"):
            await backend.submit(TINY, TINY_FEEDS)
        trial.cancel()  # e.g. the gateway's deadline for this model passed
        with pytest.raises(asyncio.CancelledError):
            await trial
        transport.fault = None
        assert (await backend.submit(TINY, TINY_FEEDS)).version == 1  # the next caller is the trial
        assert backend.breaker.state is BreakerState.CLOSED
    finally:
        await backend.aclose()
