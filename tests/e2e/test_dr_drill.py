"""``fortress dr drill`` on a home trained by ``fortress train`` on the simulator, through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fortress.ops.manifest import MANIFEST
from support.cli import fortress, one_error_line
from support.ops import TRAINED

pytestmark = pytest.mark.slow
PHASES = ["restore", "registry_resolve", "gateway_ready", "first_correct_answer"]


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("drill-home")
    result = fortress(home, "train", "--models", ",".join(TRAINED))
    assert result.returncode == 0, result.stderr[-3000:]
    return home


def test_drill_on_a_fresh_home_gives_identical_answers(trained_home: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = fortress(trained_home, "dr", "drill", "--report", str(report))
    assert result.returncode == 0, result.stderr[-3000:]
    body = json.loads(report.read_text())
    assert body["passed"] is True
    assert body["problems"] == []
    assert body["fingerprint"]["identical"] is True
    assert body["fingerprint"]["expected"] == body["fingerprint"]["actual"]
    assert body["champions"]["expected"] == body["champions"]["restored"] == dict.fromkeys(sorted(TRAINED), 1)
    assert list(body["phases_s"]) == PHASES
    assert all(v > 0 for v in body["phases_s"].values())
    assert body["rto_s"] == pytest.approx(sum(body["phases_s"].values()), abs=0.01)
    assert body["rto_s"] < 60
    assert 0 < body["rpo_s"] < 120
    for phase in [*PHASES, "RTO", "RPO"]:
        assert phase in result.stdout
    assert "drill passed" in result.stdout


def test_drill_from_a_backup_needs_nothing_of_the_old_home(trained_home: Path, tmp_path: Path) -> None:
    made = fortress(trained_home, "backup", "create", "--to", str(tmp_path / "b"), "--json")
    assert made.returncode == 0, made.stderr[-3000:]
    backup = tmp_path / "b" / json.loads(made.stdout)["backup_id"]
    gone = tmp_path / "lost-home"  # the disaster: the home is gone, the drill starts elsewhere
    gone.mkdir()
    result = fortress(gone, "dr", "drill", "--from", str(backup), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((tmp_path / "r.json").read_text())["passed"] is True

    # A backup whose fingerprint does not match what its champions answer: the drill fails (exit 1).
    altered = tmp_path / "altered"
    shutil.copytree(backup, altered)
    manifest = json.loads((altered / MANIFEST).read_text())
    manifest["fingerprint"]["answers"][0] = "0" * 64
    manifest["fingerprint"]["digest"] = "f" * 64
    (altered / MANIFEST).write_text(json.dumps(manifest))
    failed = fortress(gone, "dr", "drill", "--from", str(altered), "--report", str(tmp_path / "bad.json"))
    assert failed.returncode == 1, failed.stderr[-3000:]
    assert "Traceback" not in failed.stderr
    assert "drill FAILED" in failed.stderr
    bad = json.loads((tmp_path / "bad.json").read_text())
    assert bad["passed"] is False
    assert bad["fingerprint"]["identical"] is False
    assert any("fingerprint-000" in p and "differs" in p for p in bad["problems"]), bad["problems"]


def test_drill_refuses_a_damaged_backup_as_bad_input(trained_home: Path, tmp_path: Path) -> None:
    made = fortress(trained_home, "backup", "create", "--to", str(tmp_path / "b"), "--json", "--no-audit")
    backup = tmp_path / "b" / json.loads(made.stdout)["backup_id"]
    onnx = next(backup.rglob("model.onnx"))
    onnx.write_bytes(onnx.read_bytes()[:-10])
    result = fortress(trained_home, "dr", "drill", "--from", str(backup))
    assert result.returncode == 2
    assert onnx.relative_to(backup).as_posix() in one_error_line(result)
