"""CLI behaviour that needs no trained models: help, lazy imports, clear errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import fortress, one_error_line

HEAVY = ("mlflow", "onnxruntime", "torch", "sklearn", "lightgbm", "pandas", "skl2onnx")


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from fortress.cli.main import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["train", "--help"],
        ["models", "--help"],
        ["datasets", "--help"],
        ["docs", "--help"],
        ["up", "--help"],
        ["models", "list", "--help"],
        ["datasets", "fetch", "--help"],
    ],
)
def test_every_command_has_help(tmp_path: Path, args: list[str]) -> None:
    result = fortress(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_unknown_model_is_one_clear_line(tmp_path: Path) -> None:
    line = one_error_line(fortress(tmp_path, "train", "--models", "dga_detector,nope"))
    assert line.startswith("error: unknown model 'nope'; known models: behavior_analyzer")


def test_missing_datasets_dir_is_one_clear_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    line = one_error_line(
        fortress(tmp_path, "train", "--models", "dga_detector", "--datasets-dir", str(missing))
    )
    assert line == f"error: datasets directory not found: {missing}"
    line = one_error_line(fortress(tmp_path, "datasets", "list", "--datasets-dir", str(missing)))
    assert line == f"error: datasets directory not found: {missing}"


def test_corrupt_dataset_file_is_named(tmp_path: Path, shared_datasets: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(shared_datasets / "clamp", data / "clamp")
    target = data / "clamp" / "ClaMP_Raw-5184.csv"
    target.chmod(0o644)
    raw = bytearray(target.read_bytes())
    raw[5000] = ord("9") if raw[5000] != ord("9") else ord("8")
    target.write_bytes(bytes(raw))
    line = one_error_line(
        fortress(tmp_path, "train", "--models", "malware_classifier", "--datasets-dir", str(data))
    )
    assert "ClaMP_Raw-5184.csv" in line
    assert "sha256" in line
    listing = fortress(tmp_path, "datasets", "list", "--datasets-dir", str(data))
    assert listing.returncode == 1
    assert "clamp                INVALID" in listing.stdout
    assert "ClaMP_Raw-5184.csv" in listing.stdout


def test_unknown_dataset_and_models_on_empty_registry(tmp_path: Path) -> None:
    line = one_error_line(fortress(tmp_path, "datasets", "fetch", "nope", "--to", str(tmp_path / "d")))
    assert line.startswith("error: unknown dataset 'nope'; known datasets: nsl-kdd")
    empty = fortress(tmp_path, "models", "list")
    assert empty.returncode == 0
    assert "no models registered yet" in empty.stdout
    line = one_error_line(fortress(tmp_path, "models", "fetch", "dga_detector"))
    assert "dga_detector" in line
