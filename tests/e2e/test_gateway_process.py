"""The gateway as a real process (``fortress up``) in front of ``fortress serve`` processes: the v2
(HTTP and gRPC) and TF Serving backends answer like the local runtime; a model server killed under load
gives degraded answers while the ensemble keeps answering; Redis stopped under load gives uncached
answers; and Ctrl-C stops everything cleanly."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from fortress.catalog import get_spec
from fortress.gateway.example import example_investigation
from support.cli import fortress
from support.redis_server import RedisServer
from support.serve_process import serve
from support.up_process import fortress_up

REMOTE, LOCAL = "dga_detector", "threat_classifier"
OPEN = {"FORTRESS_GATEWAY__AUTH__ENABLED": "false"}

TRAIN_LIMIT = 600
"""How long training the module's models may take (home's limit)."""
# pytest-timeout's per-test limit (600 s, pyproject.toml) also counts fixture setup, and the first test of
# this module pays for home: every test here gets that fixture's limit on top of its own 600 s.
pytestmark = pytest.mark.timeout(TRAIN_LIMIT + 600)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("gateway-e2e")
    result = fortress(home, "train", "--models", f"{REMOTE},{LOCAL}", timeout=TRAIN_LIMIT)
    assert result.returncode == 0, result.stderr[-3000:]
    return home


@pytest.fixture(scope="module")
def body() -> dict[str, Any]:
    return example_investigation([get_spec(REMOTE), get_spec(LOCAL)], "inv-e2e")


def backend_env(remote: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        **OPEN,
        "FORTRESS_GATEWAY__BACKENDS": json.dumps({"serving": remote}),
        "FORTRESS_GATEWAY__MODEL_BACKENDS": json.dumps({REMOTE: "serving"}),
        **extra,
    }


def infer(url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{url}/api/v1/inference", json={**body, "cache_enabled": False}, timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_remote_backends_answer_like_the_local_runtime(home: Path, body: dict[str, Any]) -> None:
    with fortress_up(home, "--no-train", env=OPEN) as up:
        local = infer(up.url, body)
        assert up.stop() == 0
    with serve(home, "--models", REMOTE) as server:
        grpc = f"127.0.0.1:{server.grpc_port}"
        for remote in (
            {"kind": "v2", "url": server.url},
            {"kind": "v2", "url": grpc, "protocol": "grpc"},
            {"kind": "tfserving", "url": server.url},
        ):
            with fortress_up(home, "--no-train", env=backend_env(remote)) as up:
                answer = infer(up.url, body)
                health = httpx.get(f"{up.url}/health").json()
                assert up.stop() == 0, up.output()
            assert answer["degraded"] is False, (remote, answer["unavailable"])
            assert health["models"][REMOTE]["backend"] == "serving"
            for name in (REMOTE, LOCAL):
                got, want = answer["predictions"][name], local["predictions"][name]
                assert got["version"] == want["version"] == 1
                for label, p in want["probabilities"].items():
                    assert got["probabilities"][label] == pytest.approx(p, abs=1e-6), (remote, name)
            assert answer["ensemble"]["verdict"] == local["ensemble"]["verdict"]


class Load:
    """Requests in a loop from a thread; every answer is kept (status and body)."""

    def __init__(self, url: str, body: dict[str, Any]) -> None:
        self.url, self.body = url, body
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                response = client.post(f"{self.url}/api/v1/inference", json=self.body)
                self.answers.append((response.status_code, orjson.loads(response.content)))

    def since(self, start: int) -> list[dict[str, Any]]:
        return [body for _, body in self.answers[start:]]

    def wait_for(self, more: int) -> int:
        start = len(self.answers)
        while len(self.answers) < start + more:
            assert self._thread.is_alive(), "the load thread died"
            time.sleep(0.05)
        return start

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer.on_free_port(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_killed_model_server_and_a_stopped_redis_degrade_answers_but_never_fail_them(
    home: Path, body: dict[str, Any], redis_server: RedisServer
) -> None:
    remote = {"kind": "v2", "url": "", "timeout_s": 0.5, "breaker_failures": 2, "status_poll_s": 0.5}
    with serve(home, "--models", REMOTE) as server:
        remote["url"] = server.url
        env = backend_env(
            remote,
            FORTRESS_GATEWAY__CACHE__BACKEND="redis",
            FORTRESS_GATEWAY__CACHE__REDIS_URL=redis_server.url,
        )
        # one worker: the load's one connection and /health must reach the same process, whose health
        # reports what that process saw of Redis and the model server
        with fortress_up(home, "--no-train", "--workers", "1", env=env) as up, Load(up.url, body) as load:
            healthy = load.since(load.wait_for(20))
            assert any(a["cached"] for a in healthy)  # repeated investigation: Redis answers
            assert all(not a["degraded"] for a in healthy)

            redis_server.stop()  # Redis goes away under load: answers come uncached
            uncached = load.since(load.wait_for(40))[-10:]
            assert all(a["cached"] is False for a in uncached)
            assert all(not a["degraded"] for a in uncached)

            server.proc.kill()  # then the model server dies
            server.proc.wait(10)
            degraded = load.since(load.wait_for(40))[-10:]
            for answer in degraded:
                assert answer["degraded"] is True
                assert REMOTE in answer["unavailable"]
                assert LOCAL in answer["predictions"]
                assert answer["ensemble"] is not None
            health = httpx.get(f"{up.url}/health").json()
        assert Counter(status for status, _ in load.answers) == {200: len(load.answers)}
        assert health["status"] == "degraded"
        assert health["cache"]["ok"] is False
        assert health["models"][REMOTE]["available"] is False
        assert up.stop() == 0
        assert "Traceback" not in up.output()


def test_two_gateway_workers_share_the_port_and_the_api_key(home: Path, body: dict[str, Any]) -> None:
    with fortress_up(home, "--no-train", "--workers", "2") as up:
        key = up.api_key()
        assert key is not None, up.output()
        headers = {"X-API-Key": key}
        answers = [
            httpx.post(f"{up.url}/api/v1/inference", json={**body, "cache_enabled": False}, headers=headers)
            for _ in range(6)
        ]
        assert [a.status_code for a in answers] == [200] * 6
        assert httpx.post(f"{up.url}/api/v1/inference", json=body).status_code == 401
        assert up.stop() == 0
    assert up.output().count("Application startup complete") == 2
    assert "gateway stopped" in up.output()
