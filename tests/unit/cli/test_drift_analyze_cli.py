"""``fortress drift analyze`` over a real registry and a real Parquet inference log (written by the
gateway's writer): the drift compare table of the window's sampled rows, JSON and HTML, the version
picked, and the errors (no log, no rows in the window, a bad window, the Kafka sink) as one line, exit 2."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from fortress.catalog.encode import encode_frame
from fortress.cli.main import app
from fortress.monitoring.drift.reference import build_reference
from fortress.monitoring.inference_log.log import InferenceLog
from fortress.monitoring.inference_log.metrics import InferenceLogMetrics
from fortress.monitoring.inference_log.settings import InferenceLogSettings
from fortress.monitoring.inference_log.writer import ParquetSink
from fortress.registry.base import CHAMPION
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.registry.settings import RegistrySettings
from support.candidates import SPEC, tiny_candidate, tiny_frame
from support.cli import fortress, one_error_line

HOUR = 3600.0


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """tiny_detector version 1 without a drift reference, version 2 (champion) with one, predictions
    included."""
    home = tmp_path_factory.mktemp("drift-analyze") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    registry = MlflowRegistry(RegistrySettings(), home)
    old, _, _ = tiny_candidate()
    registry.register(old)
    frame, _ = tiny_frame(n=3000, seed=2)
    proba = np.random.default_rng(2).dirichlet([4, 1], size=3000)
    drift = build_reference(SPEC, encode_frame(SPEC, frame), proba).to_dict()
    info = registry.register(dataclasses.replace(old, baseline={**old.baseline, "drift": drift}))
    registry.set_alias(SPEC.name, CHAMPION, info.version)
    return home


@pytest.fixture
def home(registered: Path) -> Path:
    shutil.rmtree(registered / "features", ignore_errors=True)
    return registered


def _write_log(
    home: Path,
    frame: pd.DataFrame,
    proba: np.ndarray,
    *,
    version: int = 2,
    age_s: float = HOUR,
    sampled: bool = True,
) -> None:
    """Rows as the gateway logs them, through the same writer, ``age_s`` ago."""
    settings = InferenceLogSettings()
    sink = ParquetSink(
        home / "features" / "offline" / "inference_log", settings, InferenceLogMetrics(CollectorRegistry())
    )
    log = InferenceLog(settings, sink)
    now = time.time() - age_s
    for i, record in enumerate(frame.to_dict("records")):
        log.log(
            f"inv-{version}-{i}",
            SPEC.name,
            version,
            "champion",
            SPEC,
            [record],
            proba[i : i + 1],
            sampled=sampled,
            degraded=False,
            now=now,
        )
    assert sink.flush() == len(frame)


def _traffic(shift: float, n: int = 1500, seed: int = 8) -> tuple[pd.DataFrame, np.ndarray]:
    frame, _ = tiny_frame(n=n, seed=seed)
    frame["x"] += shift
    return frame, np.random.default_rng(seed).dirichlet([4, 1], size=n)


def _invoke(home: Path, *args: str) -> str:
    result = CliRunner().invoke(
        app, ["drift", "analyze", *args], env={"FORTRESS_HOME": str(home)}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_drifted_log_names_the_drifted_feature(home: Path) -> None:
    _write_log(home, *_traffic(shift=1.0))
    out = _invoke(home, "--model", SPEC.name)
    lines = out.splitlines()
    assert lines[0].startswith("tiny_detector version 2: 1,500 rows of the inference log (")
    assert lines[0].endswith("last 24h) against 3,000 reference rows")
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:7]}
    assert rows["x"][0] == "psi"
    assert float(rows["x"][1]) > 0.3
    assert rows["x"][3] == "yes"
    assert rows["y"][3] == "no"
    assert rows["proto"][0] == "js"
    assert rows["prediction:label"][3] == "no"
    assert rows["prediction:confidence"][3] == "no"
    assert lines[-1] == "1 of 5 features drifted: x"
    assert _invoke(home, "--model", SPEC.name, "--window", "24h") == out  # 24h is the default


def test_an_undrifted_log_json_and_html(home: Path, tmp_path: Path) -> None:
    _write_log(home, *_traffic(shift=0.0, seed=3))
    report = tmp_path / "report.html"
    body = json.loads(_invoke(home, "--model", SPEC.name, "--window", "2h", "--json", "--html", str(report)))
    assert body["version"] == 2
    assert body["rows"] == 1500
    assert body["drifted"] == []
    features = {f["feature"] for f in body["features"]}
    assert features == {"x", "y", "proto", "prediction:label", "prediction:confidence"}
    assert all(f["level"] == "ok" for f in body["features"])
    html = report.read_text()
    assert html.count("<svg") == 5
    assert "<script" not in html
    assert "Drift of the last 2h against tiny_detector version 2" in html


def test_the_window_the_version_and_unsampled_rows(home: Path) -> None:
    _write_log(home, *_traffic(shift=1.0), age_s=3 * HOUR)  # outside a 2h window
    _write_log(home, *_traffic(shift=0.0, n=600, seed=5))
    _write_log(home, *_traffic(shift=0.0, n=300, seed=6), version=1)
    _write_log(home, *_traffic(shift=5.0, n=900, seed=7), sampled=False)  # low-confidence rows: not scored
    body = json.loads(_invoke(home, "--model", SPEC.name, "--window", "2h", "--json"))
    assert (body["version"], body["rows"], body["drifted"]) == (2, 600, [])
    body = json.loads(_invoke(home, "--model", SPEC.name, "--window", "4h", "--json"))
    assert (body["version"], body["rows"], body["drifted"]) == (2, 2100, ["x"])
    result = fortress(home, "drift", "analyze", "--model", f"{SPEC.name}@1", "--window", "2h")
    assert result.returncode == 2
    assert (
        one_error_line(result)
        == "error: tiny_detector version 1 has no drift reference (trained before drift references)"
    )


def test_errors_are_one_line_exit_2(home: Path) -> None:
    root = home / "features" / "offline" / "inference_log"
    result = fortress(home, "drift", "analyze", "--model", SPEC.name)
    assert result.returncode == 2
    assert one_error_line(result).startswith(f"error: no inference log at {root}")
    _write_log(home, *_traffic(shift=0.0, n=50), age_s=2 * HOUR)
    result = fortress(home, "drift", "analyze", "--model", SPEC.name, "--window", "30m")
    assert result.returncode == 2
    assert (
        one_error_line(result)
        == f"error: no rows of tiny_detector in the inference log at {root} in the last 30m"
    )
    result = fortress(home, "drift", "analyze", "--model", SPEC.name, "--window", "yesterday")
    assert result.returncode == 2
    assert "expected a positive number and a unit s, m, h or d" in one_error_line(result)
    result = fortress(home, "drift", "analyze", "--model", f"{SPEC.name}@3", "--window", "3h")
    assert (
        one_error_line(result)
        == "error: no sampled rows of tiny_detector version 3 in the last 3h (versions: 2)"
    )
    env = {
        "FORTRESS_MONITORING__INFERENCE_LOG__SINK": "kafka",
        "FORTRESS_MONITORING__INFERENCE_LOG__KAFKA_BOOTSTRAP": "127.0.0.1:9",
    }
    result = fortress(home, "drift", "analyze", "--model", SPEC.name, env=env)
    assert result.returncode == 2
    assert "the inference log goes to Kafka topic fortress.inference" in one_error_line(result)


def test_only_unsampled_rows_is_an_error(home: Path) -> None:
    _write_log(home, *_traffic(shift=0.0, n=20), sampled=False)
    result = fortress(home, "drift", "analyze", "--model", SPEC.name)
    assert result.returncode == 2
    assert "20 rows of tiny_detector in the last 24h, none of them sampled" in one_error_line(result)
