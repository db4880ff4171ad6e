"""deploy/grafana/: the committed dashboard JSON is the one ``fortress docs dashboards`` builds from
monitoring/dashboards.py's panel list, it has the issue's panels, and the provisioning files point
Grafana at it and at Prometheus."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from fortress.cli.docs import dashboard_text
from fortress.monitoring.dashboards import queries
from fortress.monitoring.grafana import dashboard
from support.cli import fortress, one_error_line

ROOT = Path(__file__).resolve().parents[3]
GRAFANA = ROOT / "deploy" / "grafana"
COMMITTED = GRAFANA / "dashboards" / "fortress.json"


def test_the_committed_dashboard_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == dashboard_text(dashboard()), (
        "deploy/grafana/dashboards/fortress.json is out of date: run `fortress docs dashboards`"
    )


def test_the_dashboard_has_the_blueprints_panels_and_ours() -> None:
    model = json.loads(COMMITTED.read_text(encoding="utf-8"))
    titles = [p["title"] for p in model["panels"] if p["type"] != "row"]
    for wanted in (
        "Inference requests per second", "Inference latency (P50, P95, P99)", "Model availability",
        "Median confidence", "GPU utilization", "Feature store lookups", "Feature drift per feature",
        "Verdict rates", "Result cache", "Rows per batch", "Audit events and spool",
    ):  # fmt: skip
        assert wanted in titles
    ids = [p["id"] for p in model["panels"]]
    assert len(ids) == len(set(ids))
    exprs = [t["expr"] for p in model["panels"] for t in p.get("targets", [])]
    assert exprs == queries()
    for panel in model["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
    assert model["uid"] == "fortress-ml"


def test_provisioning_points_at_prometheus_and_the_dashboards_folder() -> None:
    sources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "fortress.yml").read_text())
    (source,) = sources["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"].endswith(":9090")
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "fortress.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]


def test_fortress_docs_dashboards_writes_the_same_file(tmp_path: Path) -> None:
    out = tmp_path / "d" / "fortress.json"
    result = fortress(tmp_path, "docs", "dashboards", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
    assert f"wrote {out}" in result.stdout
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    bad = fortress(tmp_path, "docs", "dashboards", "--out", str(not_a_dir / "x.json"))
    assert one_error_line(bad).startswith(f"error: cannot write {not_a_dir}")
    assert bad.returncode == 2
