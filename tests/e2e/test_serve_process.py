"""``fortress serve`` as a real process on free ports: ready, predicts over HTTP exactly like ONNX Runtime,
finishes in-flight requests on SIGTERM, exits 0 and leaves no process behind (one and two workers)."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import orjson
import psutil
import pytest

from support.cli import fortress
from support.serve_process import Server, serve

MODEL = "identity_correlator"

TRAIN_LIMIT = 600
"""How long training the module's models may take (trained_home's limit)."""
# pytest-timeout's per-test limit (600 s, pyproject.toml) also counts fixture setup, and the first test of
# this module pays for trained_home: every test here gets that fixture's limit on top of its own 600 s.
pytestmark = pytest.mark.timeout(TRAIN_LIMIT + 600)


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with three simulator-trained champions (no datasets directory configured); the README
    serves dga_detector and phishing_url."""
    home = tmp_path_factory.mktemp("serve")
    result = fortress(home, "train", "--models", f"{MODEL},dga_detector,phishing_url", timeout=TRAIN_LIMIT)
    assert result.returncode == 0, result.stderr[-3000:]
    return home


def feature_count(server: Server) -> int:
    meta = httpx.get(f"{server.url}/v1/models/{MODEL}/metadata").json()
    numeric = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]["numeric"]
    return int(numeric["tensor_shape"]["dim"][1]["size"])


def onnx_reference(home: Path, rows: np.ndarray) -> np.ndarray:
    target = home / f"{MODEL}.onnx"
    fetched = fortress(home, "models", "fetch", MODEL, "--ref", "champion", "--to", str(target))
    assert fetched.returncode == 0, fetched.stderr
    import onnxruntime as ort

    session = ort.InferenceSession(target.read_bytes(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(["probabilities"], {"numeric": rows})[0])


def descendants(pid: int) -> list[psutil.Process]:
    return list(psutil.Process(pid).children(recursive=True))


def assert_stopped_cleanly(server: Server, children: list[psutil.Process], rest_port: int) -> None:
    assert server.proc.wait(timeout=60) == 0, server.output()
    _, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"leaked: {alive}"
    with socket.socket() as sock:  # nothing listens on the REST port any more
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # closed connections linger in TIME_WAIT
        sock.bind(("127.0.0.1", rest_port))
        sock.listen()


def assert_grpc_serves(server: Server) -> None:
    import grpc

    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=10)


def test_serves_predictions_and_drains_in_flight_requests_on_sigterm(trained_home: Path) -> None:
    # Room for every request in the batch queue: this test is about draining, not load shedding.
    queue = {"FORTRESS_RUNTIME__BATCHING__MAX_QUEUE_ROWS": "1000000"}
    with serve(trained_home, "--models", f"{MODEL},dga_detector", env=queue) as server:
        rows = np.random.default_rng(0).normal(size=(3000, feature_count(server))).astype(np.float32)
        body = orjson.dumps({"inputs": {"numeric": rows}}, option=orjson.OPT_SERIALIZE_NUMPY)
        predict = f"{server.url}/v1/models/{MODEL}:predict"
        first = httpx.post(predict, content=body, timeout=30)
        assert first.status_code == 200, first.text
        got = np.asarray(first.json()["outputs"], dtype=np.float32)
        np.testing.assert_allclose(got, onnx_reference(trained_home, rows), atol=1e-6)
        dga = httpx.post(
            f"{server.url}/v1/models/dga_detector:predict", json={"instances": [["xkqjzpwqrtbv.net"]]}
        )
        assert dga.status_code == 200, dga.text
        assert_grpc_serves(server)
        children = descendants(server.proc.pid)

        # Many heavy requests at once on connections the server has already accepted (a connection
        # still in the accept backlog at SIGTERM is refused, as in any server); SIGTERM as soon as the
        # first one is answered.
        count, answered, signalled = 24, threading.Event(), [0.0]
        connected = threading.Barrier(count)

        def call(_: int) -> tuple[int, float, bytes]:
            with httpx.Client(timeout=60) as client:
                assert client.get(f"{server.url}/health/live").status_code == 200
                connected.wait(timeout=30)
                response = client.post(predict, content=body)
            answered.set()
            return response.status_code, time.monotonic(), response.content

        with ThreadPoolExecutor(count) as pool:
            futures = [pool.submit(call, i) for i in range(count)]
            assert answered.wait(timeout=60)
            time.sleep(0.05)
            signalled[0] = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            results = [f.result(timeout=120) for f in futures]

        assert [status for status, _, _ in results] == [200] * count, (results[0][2][:300], server.output())
        for _, _, content in results:
            np.testing.assert_allclose(orjson.loads(content)["outputs"], got, atol=1e-6)
        after = sum(1 for _, done, _ in results if done > signalled[0])
        assert after >= count // 4, f"only {after} of {count} requests were in flight at SIGTERM"
        assert_stopped_cleanly(server, children, int(server.url.rsplit(":", 1)[1]))
        assert "stopped (SIGTERM)" in server.output()
        assert "Traceback" not in server.output()


def test_two_workers_share_the_ports_and_stop_cleanly(trained_home: Path) -> None:
    with serve(trained_home, "--workers", "2") as server:
        children = descendants(server.proc.pid)
        assert len([c for c in children if "spawn_main" in " ".join(c.cmdline())]) == 2
        width = feature_count(server)
        rows = np.random.default_rng(1).normal(size=(5, width)).astype(np.float32)
        body = {"instances": [{"numeric": r} for r in rows.tolist()]}
        with httpx.Client(timeout=30) as client:
            answers = [client.post(f"{server.url}/v1/models/{MODEL}:predict", json=body) for _ in range(20)]
        assert {a.status_code for a in answers} == {200}
        first = np.asarray(answers[0].json()["predictions"])
        assert first.shape == (5, 2)
        for answer in answers[1:]:
            np.testing.assert_allclose(answer.json()["predictions"], first, atol=1e-6)
        assert_grpc_serves(server)
        server.proc.send_signal(signal.SIGTERM)
        assert_stopped_cleanly(server, children, int(server.url.rsplit(":", 1)[1]))
        assert "Traceback" not in server.output()


def test_unknown_variables_are_reported_once_not_by_every_worker(trained_home: Path) -> None:
    typos = {"FORTRESS_REGISTRY__EXPERIMENTT": "x", "FORTRESS_SERVER__MAX_BODY_BYTE": "1"}
    # as the README's `fortress serve --workers 2 --rest-port 9501 --grpc-port 0` (a free REST port)
    with serve(trained_home, "--workers", "2", env=typos, grpc=False) as server:
        assert ", gRPC off, " in server.output()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=60) == 0, server.output()
    lines = server.output().splitlines()
    for wrong, right in [
        ("FORTRESS_REGISTRY__EXPERIMENTT", "FORTRESS_REGISTRY__EXPERIMENT"),
        ("FORTRESS_SERVER__MAX_BODY_BYTE", "FORTRESS_SERVER__MAX_BODY_BYTES"),
    ]:
        warning = f"warning: unknown setting {wrong} (did you mean {right}?)"
        assert lines.count(warning) == 1, server.output()
    assert not [line for line in lines if "unknown setting" in line and not line.startswith("warning: ")]


def readme_curls() -> list[str]:
    """The README's curl examples against a running `fortress serve` (continuation lines joined)."""
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        joined = block.replace("\\\n", " ")
        commands += [
            line.split("  #")[0].strip()
            for line in joined.splitlines()
            if line.startswith("curl ") and "localhost:8501" in line
        ]
    return commands


def test_readme_serve_and_curl_examples_work_on_the_default_ports(trained_home: Path) -> None:
    """The README's `fortress serve --models dga_detector,phishing_url` as written (REST :8501, gRPC
    :8500), then its curls as written."""
    import shlex

    commands = readme_curls()
    assert len(commands) >= 3
    bodies = []
    with serve(trained_home, "--models", "dga_detector,phishing_url", default_ports=True) as server:
        assert server.url == "http://127.0.0.1:8501"
        for command in commands:
            out = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30, check=True)
            bodies.append(orjson.loads(out.stdout))
    assert all("error" not in body for body in bodies), bodies
    assert bodies[0]["model_version_status"][0]["state"] == "AVAILABLE"
    assert len(bodies[1]["predictions"]) == 1
    assert bodies[2]["name"] == "dga_detector"
