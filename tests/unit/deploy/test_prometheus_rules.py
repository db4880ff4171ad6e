"""deploy/prometheus/: the scrape config and rule files pass ``promtool check``, every alert fires and
stays silent where its ``promtool test rules`` cases say (deploy/prometheus/tests/alerts_test.yml), and
every metric a rule or a dashboard panel reads is one the code exports (or an allow-listed external
name: DCGM, the rollout work's check gauge)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from fortress.docs.metric_names import EXTERNAL, exported_metric_names, names_in, recorded_names
from fortress.monitoring.dashboards import queries

ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
BLUEPRINT = {
    "HighInferenceLatency", "ModelUnavailable", "HighModelErrorRate", "LowConfidencePredictions",
    "FeatureDriftDetected", "GPUMemoryPressure",
}  # fmt: skip
OURS = {"PredictionDrift", "AuditSpoolBacklog", "CacheUnavailable", "FeatureStoreStale", "CanaryFailing"}
needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus package) is not installed"
)


def rules() -> list[dict[str, Any]]:
    return [r for path in RULE_FILES for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]]


def groups() -> list[dict[str, Any]]:
    return [g for path in RULE_FILES for g in yaml.safe_load(path.read_text())["groups"]]


def promtool(*args: str, cwd: Path = ROOT) -> str:
    result = subprocess.run(
        ["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_the_blueprints_six_alerts_and_ours_are_defined_once() -> None:
    alerts = [r["alert"] for r in rules() if "alert" in r]
    assert sorted(alerts) == sorted(BLUEPRINT | OURS)
    for rule in rules():
        if "alert" in rule:
            assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
            assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


@needs_promtool
def test_promtool_checks_the_config_and_the_rules() -> None:
    out = promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert "SUCCESS: 2 rule files found" in out
    out = promtool("check", "rules", *map(str, RULE_FILES))
    assert out.count("SUCCESS") == len(RULE_FILES)


@needs_promtool
def test_every_alert_fires_and_stays_silent_in_its_promtool_cases() -> None:
    tests = yaml.safe_load((PROMETHEUS / "tests" / "alerts_test.yml").read_text())
    cases = [c for t in tests["tests"] for c in t["alert_rule_test"]]
    tested = {c["alertname"] for c in cases}
    assert tested == BLUEPRINT | OURS
    for name in tested:  # each alert has a case where it fires and one where it does not
        assert any(c["alertname"] == name and c["exp_alerts"] for c in cases), name
        assert any(c["alertname"] == name and not c["exp_alerts"] for c in cases), name
    assert "SUCCESS" in promtool("test", "rules", "alerts_test.yml", cwd=PROMETHEUS / "tests")


@needs_promtool
def test_a_broken_expectation_fails_promtool(tmp_path: Path) -> None:
    """The promtool cases can fail: expecting a silent HighInferenceLatency when it fires is caught."""
    tests = yaml.safe_load((PROMETHEUS / "tests" / "alerts_test.yml").read_text())
    (case,) = [t for t in tests["tests"] if t["name"] == "HighInferenceLatency"]
    case["alert_rule_test"][-1]["exp_alerts"] = []
    tests["tests"] = [case]
    tests["rule_files"] = [str(PROMETHEUS / "rules" / "alerts.yml")]
    (tmp_path / "t.yml").write_text(yaml.safe_dump(tests))
    result = subprocess.run(
        ["promtool", "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "HighInferenceLatency" in result.stdout + result.stderr


def test_rules_and_panels_read_only_metrics_the_code_exports() -> None:
    exported = exported_metric_names()
    assert {"ml_inference_total", "ml_feature_drift_score", "fortress_audit_spool_events"} <= exported
    recorded = recorded_names(groups())
    known = exported | recorded | set(EXTERNAL)
    read = {name: names_in(r["expr"]) for r in rules() for name in [r.get("alert") or r["record"]]}
    read |= {f"panel query {q}": names_in(q) for q in queries()}
    unknown = {where: sorted(names - known) for where, names in read.items() if names - known}
    assert not unknown, unknown
    used = set().union(*read.values())
    assert set(EXTERNAL) <= used, set(EXTERNAL) - used  # the allow-list holds nothing unused


def test_names_in_reads_metric_names_only() -> None:
    expr = (
        'sum by (model, le) (rate(a_total{model=~"$model",status="error"}[5m])) / on (model) group_left'
        " max without (x) (b:rec:1h) > bool 0.5 and c offset 5m or histogram_quantile(0.9, d_bucket)"
    )
    assert names_in(expr) == {"a_total", "b:rec:1h", "c", "d_bucket"}


def test_the_scrape_config_names_the_rule_files_and_the_three_jobs() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert [Path(f) for f in config["rule_files"]] == [
        p.relative_to(PROMETHEUS) for p in reversed(RULE_FILES)
    ]
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert jobs == ["fortress-gateway", "fortress-model-server", "dcgm-exporter"]
    json.dumps(config)
