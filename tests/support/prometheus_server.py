"""Debian's ``prometheus`` as a real process on a free port, scraping given targets; stopped by PID."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from .processes import free_port, running

PROMETHEUS = shutil.which("prometheus")
MISSING = "prometheus (Debian package: /usr/bin/prometheus) is not installed"


@contextmanager
def prometheus_server(work: Path, targets: Sequence[str], scrape_interval: str = "1s") -> Iterator[str]:
    """Prometheus scraping ``targets`` (``host:port``, path ``/metrics``); yields its base URL."""
    assert PROMETHEUS is not None, MISSING
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "scrape_configs": [{"job_name": "fortress-gateway", "static_configs": [{"targets": list(targets)}]}],
    }
    (work / "prometheus.yml").write_text(yaml.safe_dump(config))
    url = f"http://127.0.0.1:{port}"
    cmd = [
        PROMETHEUS, f"--config.file={work / 'prometheus.yml'}",
        f"--storage.tsdb.path={work / 'prom-data'}", f"--web.listen-address=127.0.0.1:{port}",
    ]  # fmt: skip
    with running(cmd, f"{url}/-/ready", timeout=60, log=work / "prometheus.log"):
        yield url


def instant(url: str, promql: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10)
    response.raise_for_status()
    return list(response.json()["data"]["result"])


def wait_for_value(url: str, promql: str, want: float, timeout: float = 60.0) -> None:
    """Until the one-element ``promql`` equals ``want`` (Prometheus has scraped that far)."""
    deadline = time.monotonic() + timeout
    last: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        last = instant(url, promql)
        if last and float(last[0]["value"][1]) == want:
            return
        time.sleep(0.5)
    raise AssertionError(f"{promql}: wanted {want}, Prometheus has {last} after {timeout} s")
