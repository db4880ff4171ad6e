"""V2Backend against ``fortress serve``'s app in-process: REST over httpx.ASGITransport, gRPC on a free
port in the same event loop; real registries. Every answer is compared with the server's own runtime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from fortress.backends.breaker import BreakerState
from fortress.backends.errors import BackendDown, NotServed
from fortress.backends.v2 import V2Backend
from fortress.catalog.spec import ModelSpec
from fortress.errors import InvalidInput, Overloaded, Unavailable, UnknownModel
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
PROTOCOLS = ["http", "grpc"]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"  # module scope: every test of this module runs on one event loop


@pytest.fixture(scope="module")
async def server(shared_home: Settings) -> AsyncIterator[InProcessServer]:
    async with model_server(shared_home, grpc_port=free_port()) as served:
        yield served


def backend_for(
    server: InProcessServer,
    specs: dict[str, ModelSpec],
    protocol: str,
    transport: httpx.AsyncBaseTransport | None = None,
    **settings: Any,
) -> V2Backend:
    if protocol == "grpc":
        assert server.grpc_url is not None
        return V2Backend(remote_settings("v2", server.grpc_url, protocol="grpc", **settings), specs)
    return V2Backend(remote_settings("v2", **settings), specs, transport=transport or server.transport)


async def started(*args: Any, **kwargs: Any) -> V2Backend:
    backend = backend_for(*args, **kwargs)
    await backend.start()
    return backend


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_served_routes_and_status(
    server: InProcessServer, specs: dict[str, ModelSpec], protocol: str
) -> None:
    backend = await started(server, specs, protocol)
    try:
        served = backend.served()
        assert {name: dict(m.routes) for name, m in served.items()} == {
            TINY: {CHAMPION: 1, CANARY: 2},
            URL: {CHAMPION: 1},
        }
        status = backend.status()
        assert status.ok
        assert status.models == {TINY: True, URL: True, "dga_detector": False}
        assert "dga_detector: not served" in status.detail
        await backend.poll()
        assert backend.served() is served
    finally:
        await backend.aclose()


async def test_routes_are_probed_once_then_polled_cheaply(
    server: InProcessServer, specs: dict[str, ModelSpec]
) -> None:
    transport = FaultyTransport(server.transport)
    backend = await started(server, specs, "http", transport)
    try:
        infers = sorted(r.url.path for r in transport.requests if r.url.path.endswith("/infer"))
        assert infers == [
            "/v2/models/phishing_url/infer",
            "/v2/models/tiny_detector/infer",
            "/v2/models/tiny_detector/versions/canary/infer",
        ]
        transport.requests.clear()
        await backend.poll()
        assert sorted(r.url.path for r in transport.requests) == [
            "/v2/models/dga_detector",
            "/v2/models/phishing_url",
            "/v2/models/phishing_url/versions/canary/ready",
            "/v2/models/tiny_detector",
            "/v2/models/tiny_detector/versions/canary/ready",
        ]
    finally:
        await backend.aclose()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_predict_matches_the_server_runtime(
    server: InProcessServer, specs: dict[str, ModelSpec], protocol: str
) -> None:
    backend = await started(server, specs, protocol)
    try:
        cases = [
            (TINY, TINY_FEEDS, CHAMPION, 1),
            (TINY, TINY_FEEDS, CANARY, 2),
            (URL, URL_FEEDS, CHAMPION, 1),
        ]
        for name, feeds, route, version in cases:
            answer = await backend.submit(name, feeds, route)
            want_version, want = await server.local(name, feeds, version=version)
            assert (answer.model, answer.version) == (name, want_version)
            assert answer.probabilities.dtype == np.float32
            assert answer.probabilities.flags.writeable
            np.testing.assert_array_equal(answer.probabilities, want)  # raw float32 both ways
    finally:
        await backend.aclose()


async def test_http_sends_fp32_binary_and_strings_as_json(
    server: InProcessServer, specs: dict[str, ModelSpec]
) -> None:
    transport = FaultyTransport(server.transport)
    backend = await started(server, specs, "http", transport)
    try:
        transport.requests.clear()
        await backend.submit(TINY, TINY_FEEDS)
        await backend.submit(URL, URL_FEEDS)
        mixed, text = transport.requests
        length = int(mixed.headers["inference-header-content-length"])
        assert orjson.loads(mixed.content[:length]) == {
            "inputs": [
                {
                    "name": "numeric",
                    "shape": [4, 2],
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": 32},
                },
                {
                    "name": "categorical",
                    "shape": [4, 1],
                    "datatype": "BYTES",
                    "data": ["udp", "tcp", "sctp", "udp"],
                },
            ],
            "parameters": {"binary_data_output": True},
        }
        assert mixed.content[length:] == TINY_FEEDS["numeric"].astype("<f4").tobytes()
        assert "inference-header-content-length" not in text.headers  # no FP32 input: plain JSON
        assert orjson.loads(text.content)["inputs"][0]["data"] == URL_FEEDS["text"].ravel().tolist()
    finally:
        await backend.aclose()


def test_grpc_requests_are_raw_with_fp32_else_typed() -> None:
    from fortress.backends.v2_grpc import infer_request

    mixed = infer_request(TINY, "canary", TINY_FEEDS)
    assert (mixed.model_name, mixed.model_version) == (TINY, "canary")
    assert [(t.name, t.datatype, list(t.shape)) for t in mixed.inputs] == [
        ("numeric", "FP32", [4, 2]),
        ("categorical", "BYTES", [4, 1]),
    ]
    assert mixed.raw_input_contents[0] == TINY_FEEDS["numeric"].astype("<f4").tobytes()
    assert mixed.raw_input_contents[1] == b"".join(
        len(s).to_bytes(4, "little") + s for s in (b"udp", b"tcp", b"sctp", b"udp")
    )
    text = infer_request(URL, "", URL_FEEDS)
    assert not text.raw_input_contents
    assert list(text.inputs[0].contents.bytes_contents) == [s.encode() for s in URL_FEEDS["text"].ravel()]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_errors_are_domain_errors(
    server: InProcessServer, specs: dict[str, ModelSpec], protocol: str
) -> None:
    backend = await started(server, specs, protocol)
    try:
        with pytest.raises(InvalidInput, match=r"must have shape \[-1, 2\]"):
            await backend.submit(TINY, {**TINY_FEEDS, "numeric": np.zeros((4, 3), np.float32)})
        with pytest.raises(InvalidInput, match="must be FP32"):
            await backend.submit(
                TINY, {**TINY_FEEDS, "numeric": TINY_FEEDS["numeric"].astype(str).astype(object)}
            )
        with pytest.raises(InvalidInput, match="expected inputs"):
            await backend.submit(TINY, {"numeric": TINY_FEEDS["numeric"]})
        with pytest.raises(InvalidInput, match="input 'numeric' is float64"):  # refused before sending
            await backend.submit(TINY, {**TINY_FEEDS, "numeric": TINY_FEEDS["numeric"].astype(np.float64)})
        with pytest.raises(UnknownModel, match="'nope'"):
            await backend.submit("nope", TINY_FEEDS)
        with pytest.raises(Unavailable, match="model 'dga_detector' is not available"):
            await backend.submit("dga_detector", URL_FEEDS)
        with pytest.raises(ModelNotLoaded, match="no 'canary' version"):
            await backend.submit(URL, URL_FEEDS, CANARY)
        assert backend.breaker.state is BreakerState.CLOSED
        assert backend.breaker._consecutive == 0
    finally:
        await backend.aclose()


async def test_http_status_codes_map_to_error_kinds(
    server: InProcessServer, specs: dict[str, ModelSpec]
) -> None:
    transport = FaultyTransport(server.transport)
    backend = await started(server, specs, "http", transport)

    def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Any:
        async def fault(request: httpx.Request) -> httpx.Response | None:
            return (
                httpx.Response(status, content=body, headers=headers)
                if request.url.path.endswith("/infer")
                else None
            )

        return fault

    try:
        transport.fault = answer(429, b'{"error": "queue full"}', {"Retry-After": "2"})
        with pytest.raises(Overloaded, match="queue full"):
            await backend.submit(TINY, TINY_FEEDS)
        transport.fault = answer(500, b"<html>proxy error</html>")
        with pytest.raises(Unavailable, match=r"HTTP 500: <html>proxy error</html>"):
            await backend.submit(TINY, TINY_FEEDS)
        transport.fault = answer(200, b'{"model_name": "tiny_detector", "outputs": []}')
        with pytest.raises(Unavailable, match="the answer has no 'probabilities' output"):
            await backend.submit(TINY, TINY_FEEDS)
        assert backend.breaker._consecutive == 2
    finally:
        await backend.aclose()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_answers_and_polls_follow_a_promotion(
    home: Settings, specs: dict[str, ModelSpec], protocol: str
) -> None:
    async with model_server(home, grpc_port=free_port()) as server:
        backend = await started(server, specs, protocol, status_poll_s=60.0)
        try:
            assert dict(backend.served()[TINY].routes) == {CHAMPION: 1, CANARY: 2}
            registry = MlflowRegistry(home.registry, home.home)
            registry.set_alias(TINY, CHAMPION, 2)
            registry.delete_alias(TINY, CANARY)
            await server.runtime.refresh()
            before = backend.served()
            answer = await backend.submit(TINY, TINY_FEEDS)  # the server's default answers: now v2
            assert answer.version == 2
            np.testing.assert_array_equal(answer.probabilities, (await server.local(TINY, TINY_FEEDS))[1])
            assert backend.served() is not before
            assert backend.served()[TINY].routes[CHAMPION] == 2  # learnt from the answer, before any poll
            with pytest.raises(NotServed, match="no version labelled 'canary'"):
                await backend.submit(TINY, TINY_FEEDS, CANARY)
            for _ in range(100):  # the refusal woke the poller
                if CANARY not in backend.served()[TINY].routes:
                    break
                await asyncio.sleep(0.02)
            assert dict(backend.served()[TINY].routes) == {CHAMPION: 2}
        finally:
            await backend.aclose()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_dead_server_is_reported_not_raised(specs: dict[str, ModelSpec], protocol: str) -> None:
    port = free_port()
    url = f"127.0.0.1:{port}" if protocol == "grpc" else f"http://127.0.0.1:{port}"
    backend = V2Backend(remote_settings("v2", url, protocol=protocol, timeout_s=0.5), specs)
    await backend.start()
    try:
        assert backend.served() == {}
        status = backend.status()
        assert not status.ok
        assert status.models == dict.fromkeys(specs, False)
        assert ("not connected within 0.5 s" if protocol == "grpc" else "ConnectError") in status.detail
    finally:
        await backend.aclose()


def test_grpc_takes_no_http_transport(specs: dict[str, ModelSpec]) -> None:
    with pytest.raises(ValueError, match="only applies to protocol 'http'"):
        V2Backend(
            remote_settings("v2", "127.0.0.1:8500", protocol="grpc"),
            specs,
            transport=httpx.MockTransport(lambda request: httpx.Response(200)),
        )


class RpcError:
    """What ``error_for`` reads of a ``grpc.aio.AioRpcError``."""

    def __init__(self, code: Any, details: str, trailing: tuple[tuple[str, str], ...] = ()) -> None:
        self._code, self._details, self._trailing = code, details, trailing

    def code(self) -> Any:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._trailing


@pytest.mark.parametrize(
    ("code", "error", "breaker_failure"),
    [
        ("INVALID_ARGUMENT", InvalidInput, False),
        ("NOT_FOUND", NotServed, False),
        ("RESOURCE_EXHAUSTED", Overloaded, False),
        ("PERMISSION_DENIED", Unavailable, False),
        ("UNAVAILABLE", BackendDown, True),
        ("DEADLINE_EXCEEDED", BackendDown, True),
        ("INTERNAL", BackendDown, True),
    ],
)
def test_grpc_status_codes_map_to_error_kinds(
    code: str, error: type[Exception], breaker_failure: bool
) -> None:
    import grpc

    from fortress.backends.v2_grpc import error_for

    exc = error_for(RpcError(grpc.StatusCode[code], "the server says why", (("retry-after", "4"),)), "here")
    assert type(exc) is error
    assert isinstance(exc, BackendDown) is breaker_failure
    assert "the server says why" in str(exc)
    if isinstance(exc, Overloaded):
        assert exc.retry_after_s == 4.0
