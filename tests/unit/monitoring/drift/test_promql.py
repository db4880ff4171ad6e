"""The PSI recording rules (deploy/prometheus/rules/recording.yml, described in docs/MONITORING.md,
"PSI across replicas in Prometheus") evaluated by ``promtool test rules`` on the counters of two replicas: the
same value as our Python PSI of the summed counts, and nothing below 500 rows."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from fortress.monitoring.drift.stats import psi

ROOT = Path(__file__).resolve().parents[4]
RECORDING = ROOT / "deploy" / "prometheus" / "rules" / "recording.yml"
ALERTS = ROOT / "deploy" / "prometheus" / "rules" / "alerts.yml"
REFERENCE = [0.5, 0.3, 0.2, 0.0]
PER_MINUTE = {"r1": [4, 2, 3, 1], "r2": [3, 2, 2, 0]}  # rows per minute into each bin, per replica
SMALL = {"r1": [1, 1, 0, 0]}  # 120 rows in the hour: below the minimum


def _rules() -> list[dict[str, object]]:
    groups = yaml.safe_load(RECORDING.read_text(encoding="utf-8"))["groups"]
    (drift,) = [g for g in groups if g["name"] == "fortress_drift"]
    return list(drift["rules"])


def _series(model: str, per_minute: dict[str, list[int]]) -> list[dict[str, str]]:
    out = []
    for replica, rates in per_minute.items():
        for b, rate in enumerate(rates):
            labels = f'model="{model}",version="1",feature="f",bin="{b}",instance="{replica}"'
            out.append({"series": f"fortress_drift_bin_total{{{labels}}}", "values": f"0+{rate}x60"})
            if replica == "r1":
                share = f"fortress_drift_reference_share{{{labels}}}"
                out.append({"series": share, "values": f"{REFERENCE[b]}x60"})
    return out


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian's prometheus package)")
def test_recording_rules_give_our_psi(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "drift", "rules": _rules()}]}))
    counts = np.sum([np.array(r) for r in PER_MINUTE.values()], axis=0)
    expected = psi(np.array(REFERENCE), counts)
    assert expected > 0.1  # a case that a wrong formula would not hit by accident
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": _series("m", PER_MINUTE) + _series("small", SMALL),
                "promql_expr_test": [
                    {  # promtool 2.42 compares floats exactly: the closeness is checked in PromQL
                        "expr": f"abs(fortress:drift_psi:1h - {expected!r}) < bool 1e-9",
                        "eval_time": "60m",
                        "exp_samples": [{"labels": '{model="m",version="1",feature="f"}', "value": 1}],
                    },
                    {"expr": 'fortress:drift_psi:1h{model="small"}', "eval_time": "60m", "exp_samples": []},
                ],
            }
        ],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests))
    result = subprocess.run(
        ["promtool", "test", "rules", "tests.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian's prometheus package)")
def test_the_threshold_alert_expression_honours_per_feature_thresholds(tmp_path: Path) -> None:
    groups = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
    (expr,) = [r["expr"] for g in groups for r in g["rules"] if r.get("alert") == "FeatureDriftDetected"]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": []}))
    series = []
    for feature, value, alert in (("f", 0.4, 0.5), ("g", 0.6, 0.5), ("h", 0.35, 0.3)):
        for instance in ("a", "b"):
            labels = f'model="m",feature="{feature}",instance="{instance}"'
            series.append({"series": f"ml_feature_drift_score{{{labels}}}", "values": f"{value}x5"})
            for level, threshold in (("warn", 0.1), ("alert", alert)):
                share = f'fortress_drift_threshold{{{labels},level="{level}"}}'
                series.append({"series": share, "values": f"{threshold}x5"})
    expected = [
        {"labels": f'ml_feature_drift_score{{model="m",feature="{f}",instance="{i}"}}', "value": v}
        for f, v in (("g", 0.6), ("h", 0.35))
        for i in ("a", "b")
    ]
    tests = {
        "rule_files": ["rules.yml"],
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [{"expr": expr, "eval_time": "2m", "exp_samples": expected}],
            }
        ],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests))
    result = subprocess.run(
        ["promtool", "test", "rules", "tests.yml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
