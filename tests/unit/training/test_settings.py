"""Where the quality gates come from when ``FORTRESS_TRAINING__THRESHOLDS_FILE`` is not set: found at
use time (working directory, then the checkout), never a path fixed when the module was imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.errors import NotFound
from fortress.training.gates import load_gates
from fortress.training.settings import THRESHOLDS_FILE, TrainingSettings, default_thresholds_locations

REPO = Path(__file__).resolve().parents[3]


def _thresholds(folder: Path) -> Path:
    path = folder / "configs" / "performance_thresholds.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("version: 'local'\nmodels:\n  m: {metric: roc_auc, threshold: 0.5}\n")
    return path


def test_the_default_is_unset_and_found_in_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no configs/ here: the checkout's file is used
    settings = TrainingSettings()
    assert settings.thresholds_file is None
    assert settings.thresholds_path() == REPO / THRESHOLDS_FILE
    assert load_gates(settings.thresholds_path()).gates["dga_detector"].threshold == 0.97


def test_a_file_in_the_working_directory_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = _thresholds(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert default_thresholds_locations() == [local, REPO / THRESHOLDS_FILE]
    assert load_gates(TrainingSettings().thresholds_path()).version == "local"


def test_a_configured_file_is_used_as_given(tmp_path: Path) -> None:
    given = tmp_path / "gates.yaml"
    assert TrainingSettings(thresholds_file=given).thresholds_path([]) == given


def test_none_found_names_the_setting_and_where_it_looked(tmp_path: Path) -> None:
    missing = [tmp_path / "a" / THRESHOLDS_FILE, tmp_path / "b" / THRESHOLDS_FILE]
    with pytest.raises(NotFound) as caught:
        TrainingSettings().thresholds_path(missing)
    message = str(caught.value)
    assert "set FORTRESS_TRAINING__THRESHOLDS_FILE to its path" in message
    assert all(str(path) in message for path in missing)
