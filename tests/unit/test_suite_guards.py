"""The suite's own guards (tests/conftest.py), run as a child pytest: FORTRESS_TEST_DATASETS_DIR is
honoured, missing datasets end the run with one line saying how many tests skipped and how to point at
the data, and with CI set a run in which anything skipped fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATASET_TESTS = [
    "tests/unit/datasets/test_real_manifest.py::test_file_hash_is_the_recorded_one",
    "tests/unit/datasets/test_real_manifest.py::test_mac_line_endings_count_as_rows",
]


def child_pytest(datasets: Path, *, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["FORTRESS_TEST_DATASETS_DIR"] = str(datasets)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *DATASET_TESTS],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_missing_datasets_skip_with_one_line_naming_the_count_and_the_variable(tmp_path: Path) -> None:
    absent = tmp_path / "no-datasets"
    result = child_pytest(absent, ci=False)
    assert result.returncode == 0, result.stdout[-3000:]
    lines = [line for line in result.stdout.splitlines() if "dataset tests skipped" in line]
    assert lines == [
        f"2 dataset tests skipped: no datasets at {absent.resolve()}; "
        "set FORTRESS_TEST_DATASETS_DIR=/path/to/datasets to run them"
    ], result.stdout[-3000:]


def test_the_variable_points_the_suite_at_the_data(tmp_path: Path, shared_datasets: Path) -> None:
    """The datasets in another folder are found through the variable alone."""
    (tmp_path / "elsewhere").symlink_to(shared_datasets, target_is_directory=True)
    result = child_pytest(tmp_path / "elsewhere", ci=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout, result.stdout[-3000:]
    assert "skipped" not in result.stdout, result.stdout[-3000:]


def test_in_ci_a_skipped_test_fails_the_run(tmp_path: Path) -> None:
    result = child_pytest(tmp_path / "no-datasets", ci=True)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "CI is set and 2 tests skipped: failing the run" in result.stdout, result.stdout[-3000:]
