"""Debian's Prometheus and Alertmanager, as real processes on free ports, against a live
``fortress up --workers 2``: Prometheus scrapes the gateway and sees exactly the requests sent;
drifted traffic makes FeatureDriftDetected (deploy/prometheus/rules/alerts.yml, ``for:`` shortened in
a generated copy) fire and reach Alertmanager, whose webhook receiver is the gateway's
``POST /api/v1/alerts`` with an admin key; the gateway lists the alert. Every dashboard query and
every rule expression is evaluated by that Prometheus: each parses, and each whose metrics the
gateway exports has a result."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from fortress.catalog import get_spec
from fortress.catalog.spec import FieldKind
from fortress.docs.metric_names import names_in, recorded_names
from fortress.monitoring.dashboards import queries
from support.cli import fortress
from support.processes import free_port, running
from support.up_process import Up, fortress_up

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules"
MODEL = "login_anomaly"
WORKERS = 2
"""Gateway workers: every scrape answers for both (docs/MONITORING.md, "One scrape answers ...")."""
NORMAL, DRIFTED, BATCH = 120, 768, 64
MIN_ROWS = 100
PROMETHEUS = shutil.which("prometheus")
ALERTMANAGER = shutil.which("prometheus-alertmanager")

# In `make test`, not behind `slow` (about a minute): issue 13 asks the default suite to run it.
pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        PROMETHEUS is None or ALERTMANAGER is None,
        reason="prometheus and prometheus-alertmanager (Debian packages) are not installed",
    ),
]


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 120.0, every: float = 0.5) -> T:
    """``probe()``'s first non-None answer, polling for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last is not None:
            return last
        time.sleep(every)
    raise AssertionError(f"{what}: nothing after {timeout} s")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("prometheus-e2e")
    result = fortress(home, "train", "--models", MODEL, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return home


def create_key(home: Path, name: str, *scopes: str) -> str:
    args = [a for scope in scopes for a in ("--scope", scope)]
    result = fortress(home, "keys", "create", "--name", name, *args, "--json")
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["key"])


def shortened_rules(dest: Path) -> list[str]:
    """The real rule files with every group evaluated each second and every ``for:`` at 2 s."""
    written = []
    for path in sorted(RULES.glob("*.yml")):
        rules = yaml.safe_load(path.read_text())
        for group in rules["groups"]:
            group["interval"] = "1s"
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = "2s"
        (dest / path.name).write_text(yaml.safe_dump(rules))
        written.append(path.name)
    return written


@contextmanager
def alertmanager(work: Path, gateway: str, admin_key: str) -> Iterator[str]:
    port = free_port()
    config = {
        "route": {
            "receiver": "fortress", "group_by": ["alertname", "model"],
            "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h",
        },
        "receivers": [{
            "name": "fortress",
            "webhook_configs": [{
                "url": f"{gateway}/api/v1/alerts", "send_resolved": True,
                "http_config": {"authorization": {"type": "Bearer", "credentials": admin_key}},
            }],
        }],
    }  # fmt: skip
    (work / "alertmanager.yml").write_text(yaml.safe_dump(config))
    (work / "am-data").mkdir()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        str(ALERTMANAGER), f"--config.file={work / 'alertmanager.yml'}",
        f"--storage.path={work / 'am-data'}", f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]  # fmt: skip
    with running(cmd, f"{url}/-/ready", timeout=60, log=work / "alertmanager.log"):
        wait_for("alertmanager ready", lambda: _ok(f"{url}/-/ready"), 60)
        yield url


@contextmanager
def prometheus(work: Path, up: Up, alertmanager_url: str) -> Iterator[str]:
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": shortened_rules(work),
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager_url.split("//")[1]]}]}]},
        "scrape_configs": [
            {"job_name": "fortress-gateway", "static_configs": [{"targets": [up.url.split("//")[1]]}]}
        ],
    }
    (work / "prometheus.yml").write_text(yaml.safe_dump(config))
    url = f"http://127.0.0.1:{port}"
    cmd = [
        str(PROMETHEUS), f"--config.file={work / 'prometheus.yml'}",
        f"--storage.tsdb.path={work / 'prom-data'}", f"--web.listen-address=127.0.0.1:{port}",
    ]  # fmt: skip
    with running(cmd, f"{url}/-/ready", timeout=60, log=work / "prometheus.log"):
        wait_for("prometheus ready", lambda: _ok(f"{url}/-/ready"), 60)
        yield url


def _ok(url: str) -> bool | None:
    try:
        return True if httpx.get(url, timeout=2).status_code == 200 else None
    except httpx.HTTPError:
        return None


def query(prom: str, expr: str, at: float | None = None) -> list[dict[str, Any]]:
    """An instant query's result (now, or at ``at``); fails on a PromQL error."""
    params = {"query": expr} | ({"time": str(at)} if at is not None else {})
    response = httpx.get(f"{prom}/api/v1/query", params=params, timeout=10)
    body = response.json()
    assert response.status_code == 200, (expr, body)
    assert body["status"] == "success", (expr, body)
    return list(body["data"]["result"])


def scalar(prom: str, expr: str, at: float | None = None) -> float | None:
    result = query(prom, expr, at)
    return float(result[0]["value"][1]) if result else None


def records(n: int, seed: int, drifted: bool) -> list[dict[str, Any]]:
    """``n`` rows of the model's simulated data; drifted: every number far beyond the training range."""
    from fortress.datasets.simulator import simulate_records

    spec = get_spec(MODEL)
    frame = simulate_records(MODEL, n, seed).X
    rows = []
    for i in range(n):
        row = {}
        for field in spec.fields:
            value = frame[field.name].iloc[i]
            value = value.item() if hasattr(value, "item") else value
            if drifted and field.kind is FieldKind.NUMBER:
                value = 1e6 + float(value) * 1000
            row[field.name] = value
        rows.append(row)
    return rows


def send(up: Up, key: str, rows: list[dict[str, Any]], prefix: str, pause_s: float = 0.0) -> None:
    """Batches of ``BATCH``, each on a new connection (so that every worker gets some: a worker counts
    a version's rows into drift bins from its first drift tick after it served the version)."""
    group = get_spec(MODEL).feature_group
    investigations = [
        {"investigation_id": f"{prefix}-{i}", "features": {group: row}, "cache_enabled": False}
        for i, row in enumerate(rows)
    ]
    for start in range(0, len(investigations), BATCH):
        chunk = investigations[start : start + BATCH]
        response = httpx.post(
            f"{up.url}/api/v1/inference/batch", json={"investigations": chunk},
            headers={"X-API-Key": key, "Connection": "close"}, timeout=30,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        for result in response.json()["results"]:
            assert MODEL in result["predictions"], result
        time.sleep(pause_s)


def exported_samples(up: Up) -> set[str]:
    text = httpx.get(f"{up.url}/metrics", timeout=10).text
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def test_prometheus_scrapes_alerts_reach_the_gateway_and_every_query_evaluates(
    home: Path, tmp_path: Path
) -> None:
    admin = create_key(home, "alertmanager", "admin")
    analyst = create_key(home, "analyst", "inference")
    env = {
        "FORTRESS_MONITORING__DRIFT__MIN_ROWS": str(MIN_ROWS),
        "FORTRESS_MONITORING__DRIFT__TICK_S": "1",
        "FORTRESS_GATEWAY__RATE_LIMIT__ENABLED": "false",
    }
    with (
        fortress_up(home, "--no-train", "--workers", str(WORKERS), env=env) as up,
        alertmanager(tmp_path, up.url, admin) as am,
        prometheus(tmp_path, up, am) as prom,
    ):
        wait_for("the gateway scraped", lambda: scalar(prom, 'up{job="fortress-gateway"} == 1'), 60)
        total = f'sum(ml_inference_total{{model="{MODEL}"}})'
        # One request first, scraped: Prometheus sees the counter's series before the K requests, so
        # increase() and rate() count all of them (a series' first sample is no increase).
        send(up, analyst, records(1, 0, drifted=False), "first")
        wait_for(f"{total} == 1", lambda: scalar(prom, f"{total} == 1"), 60)
        send(up, analyst, records(NORMAL, 1, drifted=False), "normal")
        wait_for(f"{total} == {1 + NORMAL}", lambda: scalar(prom, f"{total} == {1 + NORMAL}"), 60)
        time.sleep(10)  # ten more scrapes, every one of them exactly the requests sent
        end = time.time()
        ranged = httpx.get(
            f"{prom}/api/v1/query_range",
            params={"query": total, "start": end - 9, "end": end, "step": 1},
            timeout=10,
        ).json()
        values = [float(v) for _, v in ranged["data"]["result"][0]["values"]]
        assert values == [1 + NORMAL] * 10, values
        window = f'ml_inference_total{{model="{MODEL}"}}[1m]'
        increase = scalar(prom, f"sum(increase({window}))", end)
        rate = scalar(prom, f"sum(rate({window}))", end)
        assert increase is not None
        assert rate is not None
        # Prometheus extrapolates a little past the first and last samples (half a scrape each side).
        assert NORMAL <= increase <= 1.2 * NORMAL, increase
        assert rate == pytest.approx(increase / 60)

        send(up, analyst, records(DRIFTED, 2, drifted=True), "drifted", pause_s=0.5)
        firing = wait_for(
            "FeatureDriftDetected firing in Prometheus",
            lambda: [
                a for a in httpx.get(f"{prom}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
                if a["labels"]["alertname"] == "FeatureDriftDetected" and a["state"] == "firing"
            ] or None,
        )  # fmt: skip
        assert {a["labels"]["model"] for a in firing} == {MODEL}
        wait_for(
            "the alert in Alertmanager",
            lambda: [
                a for a in httpx.get(f"{am}/api/v2/alerts", timeout=10).json()
                if a["labels"]["alertname"] == "FeatureDriftDetected"
            ] or None,
        )  # fmt: skip
        admin_headers = {"Authorization": f"Bearer {admin}"}

        def recorded() -> list[dict[str, Any]] | None:
            answer = httpx.get(f"{up.url}/api/v1/alerts", headers=admin_headers, timeout=10)
            assert answer.status_code == 200, answer.text
            found = [a for a in answer.json()["alerts"] if a["alertname"] == "FeatureDriftDetected"]
            return found or None

        got = wait_for("the gateway recorded the alert", recorded)
        assert got[0]["labels"]["model"] == MODEL
        assert got[0]["status"] == "firing"
        assert got[0]["receiver"] == "fortress"
        assert got[0]["labels"]["feature"] in {f.name for f in get_spec(MODEL).fields}
        assert httpx.get(f"{up.url}/api/v1/alerts", timeout=10).status_code == 401

        check_every_query(prom, exported_samples(up))
        # the runbook's commands (docs/MONITORING.md): promtool's instant query and the gateway's /health
        promtool = shutil.which("promtool")
        if promtool is not None:
            drifting = "max by (model, feature) (ml_feature_drift_score) > 0.3"
            shown = subprocess.run(
                [promtool, "query", "instant", prom, drifting],
                capture_output=True, text=True, timeout=60, check=True,
            ).stdout  # fmt: skip
            assert f'model="{MODEL}"' in shown, shown
        health = httpx.get(f"{up.url}/health", timeout=10).json()
        assert health["models"][MODEL]["available"] is True, health
        assert up.stop() == 0, up.output()[-3000:]


def check_every_query(prom: str, exported: set[str]) -> None:
    """Every dashboard query and rule expression parses and evaluates; those reading only metrics the
    gateway exports (or recording rules) return series; among the alerts, FeatureDriftDetected fires."""
    groups = [g for path in sorted(RULES.glob("*.yml")) for g in yaml.safe_load(path.read_text())["groups"]]
    recorded = recorded_names(groups)
    present = exported | recorded
    wait_for("the recording rules", lambda: query(prom, "fortress:drift_psi:1h") or None, 60)
    checked = []
    for expr in queries():
        expr = expr.replace("$model", ".*")
        result = query(prom, expr)
        if names_in(expr) <= present:
            assert result, f"no series for panel query {expr}"
            checked.append(expr)
    for group in groups:
        for rule in group["rules"]:
            result = query(prom, rule["expr"])
            if "record" in rule:
                assert result, f"no series for recording rule {rule['record']}"
            elif rule["alert"] == "FeatureDriftDetected":
                assert result, "FeatureDriftDetected's expression has no series"
    assert len(checked) >= 15, checked
    psi = query(prom, f'fortress:drift_psi:1h{{model="{MODEL}"}}')
    assert max(float(s["value"][1]) for s in psi) > 1.0  # far beyond the training range
    assert not any(math.isnan(float(s["value"][1])) for s in psi)
