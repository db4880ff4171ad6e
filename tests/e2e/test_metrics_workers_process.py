"""``fortress up --workers 2`` and ``fortress serve --workers 2`` as real processes: every ``/metrics``
scrape answers for both workers (``monitoring/worker_files.py``), so K requests read exactly K on every
scrape, whichever worker answers it, and a worker killed and restarted does not make a counter go
backwards."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client import multiprocess
from prometheus_client.parser import text_string_to_metric_families

from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings
from support.candidates import tiny_candidate
from support.gateway import TINY
from support.serve_process import serve
from support.up_process import Up, fortress_up

K = 200
FLUSH_S = 0.5
OPEN = {"FORTRESS_GATEWAY__AUTH__ENABLED": "false", "FORTRESS_MONITORING__FLUSH_INTERVAL_S": str(FLUSH_S)}
SETTLE_S = FLUSH_S + 0.2
"""After the traffic: one flush interval, and 0.2 s for the workers' event loops to get to it."""
INFERENCE = "/api/v1/inference"
BODY = {"investigation_id": "inv-metrics", "features": {"tiny": TINY}, "cache_enabled": False}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """``tiny_detector`` v1 as champion (no training run)."""
    tmp_path = tmp_path_factory.mktemp("metrics-workers")
    (tmp_path / "registry").mkdir()
    shutil.copy(sqlite_template, tmp_path / "registry" / "mlflow.db")
    settings = Settings(home=tmp_path)
    registry = MlflowRegistry(settings.registry, settings.home)
    candidate, _, _ = tiny_candidate()
    registry.register(candidate)
    registry.set_alias(candidate.spec.name, "champion", 1)
    (tmp_path / "tmp").mkdir()
    return tmp_path


def totals(url: str) -> tuple[float, float]:
    """One scrape: ``sum(ml_inference_total{model="tiny_detector"})`` and the endpoint's 200s."""
    text = httpx.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=10).text
    inferences = requests = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "ml_inference_total" and s.labels["model"] == "tiny_detector":
                inferences += s.value
            elif s.name == "fortress_gateway_requests_total" and s.labels == {
                "endpoint": INFERENCE,
                "status": "200",
            }:
                requests += s.value
    return inferences, requests


def per_worker(metrics_dir: Path) -> dict[str, float]:
    """``ml_inference_total`` in each worker's own counter file."""
    counts = {}
    for path in sorted(metrics_dir.glob("counter_*.db")):
        merged = multiprocess.MultiProcessCollector.merge([str(path)])  # type: ignore[no-untyped-call]
        counts[path.name] = sum(
            s.value
            for m in merged
            if m.name == "ml_inference"
            for s in m.samples
            if s.name.endswith("_total")
        )
    return counts


def send(url: str, n: int) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        for _ in range(n):  # a fresh connection each: the kernel spreads them over the workers
            answer = client.post(INFERENCE, json=BODY, headers={"Connection": "close"})
            assert answer.status_code == 200, answer.text


def metrics_dir_of(home: Path, up: Up, workers: int) -> Path:
    """The server's directory (under the ``TMPDIR`` it was given) once ``workers`` workers wrote to it."""
    deadline = time.monotonic() + 60
    while True:
        found = [p for p in (home / "tmp").glob("fortress-metrics-*") if p.is_dir()]
        if found and len({p.name.rsplit("_", 1)[-1] for p in found[0].glob("gauge_*.db")}) >= workers:
            return found[0]
        assert time.monotonic() < deadline, up.output()
        time.sleep(0.1)


def scrapes_read(url: str, expected: float, times: int = 10) -> None:
    for _ in range(times):
        assert totals(url) == (expected, expected)


def test_two_workers_count_every_request_on_every_scrape(home: Path) -> None:
    env = {**OPEN, "TMPDIR": str(home / "tmp")}
    with fortress_up(home, "--no-train", "--workers", "2", env=env) as up:
        metrics_dir = metrics_dir_of(home, up, 2)
        send(up.url, K)
        time.sleep(SETTLE_S)  # each worker wrote its count
        scrapes_read(up.url, K)
        counts = per_worker(metrics_dir)
        assert len(counts) == 2, counts
        assert all(counts.values()), counts  # both workers served some
        assert sum(counts.values()) == K
        assert up.stop() == 0, up.output()
    assert not metrics_dir.exists()  # removed with the server


@pytest.mark.slow  # 14 s on a quiet machine, 30 s under load
def test_a_killed_and_restarted_worker_never_makes_a_counter_go_backwards(home: Path) -> None:
    env = {**OPEN, "TMPDIR": str(home / "tmp")}
    with fortress_up(home, "--no-train", "--workers", "2", env=env) as up:
        metrics_dir = metrics_dir_of(home, up, 2)
        send(up.url, K)
        time.sleep(SETTLE_S)
        counts = per_worker(metrics_dir)
        victim = int(next(iter(counts)).removeprefix("counter_").removesuffix(".db"))
        os.kill(victim, signal.SIGKILL)  # uvicorn's supervisor starts another worker
        scrapes_read(up.url, K)  # its requests still count
        deadline = time.monotonic() + 60
        while len(list(metrics_dir.glob("counter_*.db"))) < 3:  # the replacement wrote its file
            assert time.monotonic() < deadline, up.output()
            time.sleep(0.1)
        send(up.url, K)
        time.sleep(SETTLE_S)
        scrapes_read(up.url, 2 * K)
        assert up.stop() == 0, up.output()


def predictions_counted(url: str) -> float:
    """One scrape of the model server: requests its batchers queued (``fortress_batch_queue_seconds``)."""
    text = httpx.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=10).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "fortress_batch_queue_seconds_count" and s.labels["model"] == "tiny_detector"
    )


@pytest.mark.slow  # 12-24 s
def test_the_model_servers_workers_are_counted_together(home: Path) -> None:
    env = {"FORTRESS_MONITORING__FLUSH_INTERVAL_S": str(FLUSH_S)}
    rows = {"instances": [{"numeric": [0.5, -1.0], "categorical": ["udp"]}]}
    with serve(home, "--models", "tiny_detector", "--workers", "2", env=env) as server:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for _ in range(K):
                answer = client.post(
                    "/v1/models/tiny_detector:predict", json=rows, headers={"Connection": "close"}
                )
                assert answer.status_code == 200, answer.text
        time.sleep(SETTLE_S)
        assert [predictions_counted(server.url) for _ in range(10)] == [K] * 10
