"""Remote backends against ``fortress serve``'s app on real sockets (uvicorn + gRPC), over a real MLflow
registry: the server goes away (refused connections open the circuit, the poll reports it), then comes
back on the same ports (a trial call closes the circuit, the poll serves the models again)."""

from __future__ import annotations

import ast
import asyncio
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from fortress.backends.breaker import BreakerState
from fortress.backends.errors import CircuitOpen
from fortress.backends.remote import RemoteBackend
from fortress.backends.tfserving import TfServingBackend
from fortress.backends.v2 import V2Backend
from fortress.errors import Unavailable
from fortress.registry.base import CANARY, CHAMPION
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.runtime.manager import ModelRuntime
from fortress.server.app import create_app
from fortress.server.settings import ServerSettings
from fortress.settings import Settings
from fortress.training.parity import onnx_probabilities
from support.candidates import SPEC as TINY_SPEC
from support.processes import free_port
from support.remote_serving import remote_settings
from support.serving import ServedCandidates, register, served_candidates
from support.v2_app import uvicorn_thread

pytestmark = pytest.mark.anyio
TINY = TINY_SPEC.name
FEEDS = {
    "numeric": np.array([[0.5, -1.0], [-0.3, 0.2], [1.5, 0.0]], dtype=np.float32),
    "categorical": np.array([["udp"], ["tcp"], ["sctp"]], dtype=object),
}
BACKENDS = [("tfserving", "http"), ("v2", "http"), ("v2", "grpc")]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def candidates() -> ServedCandidates:
    return served_candidates()


@contextmanager
def serving(settings: Settings, rest_port: int, grpc_port: int) -> Iterator[None]:
    """``fortress serve``'s app with uvicorn on ``rest_port`` and gRPC on ``grpc_port`` (one thread)."""
    runtime = ModelRuntime(MlflowRegistry(settings.registry, settings.home), settings.runtime)
    metrics = CollectorRegistry()
    app = create_app(
        runtime, ServerSettings(host="127.0.0.1", rest_port=rest_port, grpc_port=grpc_port), metrics
    )
    with uvicorn_thread(app, rest_port):
        yield


async def answered(backend: RemoteBackend, timeout_s: float = 20.0) -> np.ndarray:
    """Probabilities from the first call that gets through (the circuit may need a trial or two)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return (await backend.submit(TINY, FEEDS)).probabilities
        except Unavailable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


def on_the_wire(backend: RemoteBackend) -> list[int]:
    """The model versions of the calls that go past the circuit to the server from now on."""
    calls: list[int] = []
    send = backend._call

    async def spy(model: Any, feeds: Any, route: str, version: int) -> Any:
        calls.append(version)
        return await send(model, feeds, route, version)

    backend._call = spy  # type: ignore[method-assign]
    return calls


def make_backend(kind: str, protocol: str, rest_port: int, grpc_port: int) -> RemoteBackend:
    url = f"127.0.0.1:{grpc_port}" if protocol == "grpc" else f"http://127.0.0.1:{rest_port}"
    settings = remote_settings(
        kind,
        url,
        protocol=protocol,
        timeout_s=2.0,
        status_poll_s=60.0,
        breaker_failures=3,
        breaker_reset_s=0.5,
    )
    cls = TfServingBackend if kind == "tfserving" else V2Backend
    return cls(settings, {TINY: TINY_SPEC})


@pytest.mark.parametrize(("kind", "protocol"), BACKENDS)
async def test_server_down_opens_the_circuit_and_back_closes_it(
    settings: Settings, candidates: ServedCandidates, kind: str, protocol: str
) -> None:
    register(settings, candidates)
    want = onnx_probabilities(candidates.tiny_v1.onnx, FEEDS)
    rest_port, grpc_port = free_port(), free_port()
    backend = make_backend(kind, protocol, rest_port, grpc_port)
    try:
        with serving(settings, rest_port, grpc_port):
            await backend.start()
            assert dict(backend.served()[TINY].routes) == {CHAMPION: 1, CANARY: 2}
            np.testing.assert_allclose(await answered(backend), want, atol=1e-6)

        for _ in range(3):  # nothing listens any more: refused (or reset) connections
            with pytest.raises(Unavailable) as caught:
                await backend.submit(TINY, FEEDS)
            assert not isinstance(caught.value, CircuitOpen)
            assert f"{kind} backend" in str(caught.value)
        assert backend.breaker.state is BreakerState.OPEN
        calls = on_the_wire(backend)
        with pytest.raises(CircuitOpen, match=r"circuit open for .*: next trial in"):
            await backend.submit(TINY, FEEDS)
        assert calls == []  # fails fast: the open circuit sent nothing to the dead server
        await backend.poll()
        assert backend.served() == {}
        assert not backend.status().ok

        with serving(settings, rest_port, grpc_port):  # back, on the same ports
            await backend.poll()
            assert dict(backend.served()[TINY].routes) == {CHAMPION: 1, CANARY: 2}
            np.testing.assert_allclose(await answered(backend), want, atol=1e-6)
            assert backend.breaker.state is BreakerState.CLOSED
            assert backend.status().ok
    finally:
        await backend.aclose()


@pytest.mark.parametrize(("kind", "protocol"), BACKENDS)
async def test_a_recovered_server_is_used_again_without_waiting_for_the_poll_or_the_breaker(
    settings: Settings, candidates: ServedCandidates, kind: str, protocol: str
) -> None:
    """The status poll (60 s here) and the breaker's reset (60 s) are both far away: while the server
    is away the backend asks every recovery_poll_s (0.1 s), and the answer lets a trial through."""
    register(settings, candidates)
    rest_port, grpc_port = free_port(), free_port()
    backend = make_backend(kind, protocol, rest_port, grpc_port)
    backend.settings = backend.settings.model_copy(update={"recovery_poll_s": 0.1})
    backend.breaker.reset_s = 60.0
    try:
        with serving(settings, rest_port, grpc_port):
            await backend.start()
            await answered(backend)
        for _ in range(3):
            with pytest.raises(Unavailable):
                await backend.submit(TINY, FEEDS)
        assert backend.breaker.state is BreakerState.OPEN
        await backend.poll()  # the poller learns the server is away, as its own round would
        assert not backend.status().ok

        with serving(settings, rest_port, grpc_port):
            start = time.monotonic()
            # expected within ~0.2 s (one recovery poll and a connect); 10 s is a safety limit the
            # 60 s poll and 60 s breaker reset cannot meet
            while not backend.status().ok:
                assert time.monotonic() - start < 10, backend.status().detail
                await asyncio.sleep(0.02)
            calls = on_the_wire(backend)
            await backend.submit(TINY, FEEDS)
            assert calls == [1]
            assert backend.breaker.state is BreakerState.CLOSED
    finally:
        await backend.aclose()


async def test_the_example_in_docs_backends_md_runs(settings: Settings, candidates: ServedCandidates) -> None:
    """The doc's block, run against ``fortress serve`` over v2 gRPC: only the address and the model
    (the doc's phishing_url and its texts become this test's tiny model and its feeds) are swapped."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "BACKENDS.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", doc, flags=re.DOTALL)
    rest_port, grpc_port = free_port(), free_port()
    swaps = {
        '"serving:8500"': f'"127.0.0.1:{grpc_port}"',
        '"phishing_url"': f'"{TINY}"',
        '{"text": texts}': "feeds",
    }
    for old, new in swaps.items():
        assert old in block, old
        block = block.replace(old, new)
    register(settings, candidates)
    namespace: dict[str, Any] = {"specs": {TINY: TINY_SPEC}, "feeds": FEEDS}
    with serving(settings, rest_port, grpc_port):
        code = compile(block, "docs/BACKENDS.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        try:
            await eval(code, namespace)
            answer = namespace["answer"]
            assert (answer.model, answer.version) == (TINY, 2)  # the canary
            want = onnx_probabilities(candidates.tiny_v2.onnx, FEEDS)
            np.testing.assert_allclose(answer.probabilities, want, atol=1e-6)
        finally:
            await namespace["backend"].aclose()
