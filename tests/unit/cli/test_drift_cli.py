"""``fortress drift compare`` over a real registry: table, JSON and HTML; bad files and versions
without a reference are one error line, exit 2."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fortress.catalog.encode import encode_frame
from fortress.cli.main import app
from fortress.errors import InvalidInput
from fortress.monitoring.drift.reference import build_reference
from fortress.registry.base import CHAMPION
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.registry.settings import RegistrySettings
from support.candidates import SPEC, tiny_candidate, tiny_frame
from support.cli import fortress, one_error_line


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """tiny_detector version 1 without a drift reference (an old version), version 2 with one."""
    home = tmp_path_factory.mktemp("drift-cli") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    registry = MlflowRegistry(RegistrySettings(), home)
    old, _, _ = tiny_candidate()
    registry.register(old)
    frame, _ = tiny_frame(n=3000, seed=2)
    drift = build_reference(SPEC, encode_frame(SPEC, frame)).to_dict()
    info = registry.register(dataclasses.replace(old, baseline={**old.baseline, "drift": drift}))
    registry.set_alias(SPEC.name, CHAMPION, info.version)
    return home


def _invoke(home: Path, *args: str) -> str:
    result = CliRunner().invoke(
        app, ["drift", "compare", *args], env={"FORTRESS_HOME": str(home)}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _shifted(tmp_path: Path, suffix: str) -> Path:
    frame, _ = tiny_frame(n=1500, seed=8)
    frame["x"] += 1.0
    path = tmp_path / f"current{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_names_the_drifted_feature(home: Path, tmp_path: Path, suffix: str) -> None:
    out = _invoke(home, "--model", SPEC.name, "--current", str(_shifted(tmp_path, suffix)))
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:5]}
    assert out.startswith("tiny_detector version 2: 1,500 rows")
    assert rows["x"][0] == "psi"
    assert float(rows["x"][1]) > 0.3
    assert rows["x"][3] == "yes"
    assert rows["y"][3] == "no"
    assert rows["proto"][0] == "js"
    assert out.splitlines()[-1] == "1 of 3 features drifted: x"


def test_json_and_html_report(home: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    path = _shifted(tmp_path, ".csv")
    body = json.loads(
        _invoke(home, "--model", f"{SPEC.name}@2", "--current", str(path), "--json", "--html", str(report))
    )
    assert body["version"] == 2
    assert body["rows"] == 1500
    assert body["drifted"] == ["x"]
    x = next(f for f in body["features"] if f["feature"] == "x")
    assert x["threshold"] == {"warn": 0.1, "alert": 0.3}
    assert x["level"] == "alert"
    assert sum(b["current"] for b in x["bins"]) == pytest.approx(1.0)
    html = report.read_text()
    assert html.count("<svg") == 3
    assert "<script" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "1 of 3 features drifted" in html


def test_thresholds_come_from_settings(home: Path, tmp_path: Path) -> None:
    env = {
        "FORTRESS_HOME": str(home),
        "FORTRESS_MONITORING__DRIFT__MODELS": '{"tiny_detector": {"x": {"warn": 5, "alert": 9}}}',
    }
    args = ["drift", "compare", "--model", SPEC.name, "--current", str(_shifted(tmp_path, ".csv")), "--json"]
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert json.loads(result.stdout)["drifted"] == []


def test_a_file_with_missing_extra_and_mistyped_columns_is_one_error_line(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame({"x": ["a", "b"], "proto": ["tcp", "udp"], "label": [0, 1]}).to_csv(path, index=False)
    result = fortress(home, "drift", "compare", "--model", SPEC.name, "--current", str(path))
    assert result.returncode == 2
    assert one_error_line(result) == (
        f"error: {path}: missing columns y; extra columns label; mistyped columns x (expected numbers, got "
        "object) (model tiny_detector reads 3 fields)"
    )


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"x": [1.0], "y": [2.0]}, "missing columns proto"),
        ({"x": [1.0], "y": [2.0], "proto": ["tcp"], "extra": [1]}, "extra columns extra"),
        ({"x": [True], "y": [2.0], "proto": ["tcp"]}, "mistyped columns x (expected numbers, got bool)"),
        ({"x": [1.0], "y": [2.0], "proto": [6]}, "mistyped columns proto (expected strings, got int64)"),
        ({"x": [np.inf], "y": [2.0], "proto": ["tcp"]}, "non-finite numbers"),
    ],
)
def test_bad_parquet_files(
    home: Path, tmp_path: Path, columns: dict[str, list[object]], expected: str
) -> None:
    path = tmp_path / "bad.parquet"
    pd.DataFrame(columns).to_parquet(path)
    with pytest.raises(InvalidInput, match=expected.replace("(", r"\(").replace(")", r"\)")):
        _invoke(home, "--model", SPEC.name, "--current", str(path))


def test_versions_without_a_reference_and_bad_paths(home: Path, tmp_path: Path) -> None:
    csv = _shifted(tmp_path, ".csv")
    with pytest.raises(InvalidInput, match="version 1 has no drift reference"):
        _invoke(home, "--model", f"{SPEC.name}@1", "--current", str(csv))
    with pytest.raises(InvalidInput, match=r"expected a \.parquet or \.csv file"):
        _invoke(home, "--model", SPEC.name, "--current", str(tmp_path / "data.json"))
    with pytest.raises(InvalidInput, match="no such file"):
        _invoke(home, "--model", SPEC.name, "--current", str(tmp_path / "none.csv"))
