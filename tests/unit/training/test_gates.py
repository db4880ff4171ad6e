from __future__ import annotations

from pathlib import Path

import pytest

from fortress.catalog import model_names
from fortress.errors import GateFailed, InvalidInput
from fortress.training.gates import load_gates

REPO = Path(__file__).resolve().parents[3]


def test_repository_thresholds_cover_every_model() -> None:
    book = load_gates(REPO / "configs" / "performance_thresholds.yaml")
    assert set(book.gates) == set(model_names())
    assert book.gates["threat_classifier"].metric == "binary_accuracy"
    assert book.gates["dga_detector"].threshold == 0.97


def test_failed_gate_names_model_metric_value_and_threshold(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("version: '1'\nmodels:\n  m: {metric: roc_auc, threshold: 0.9}\n")
    book = load_gates(path)
    assert book.check("m", {"roc_auc": 0.95}).threshold == 0.9
    with pytest.raises(GateFailed, match=r"quality gate failed for m: roc_auc = 0\.8000 < threshold 0\.9000"):
        book.check("m", {"roc_auc": 0.8})


@pytest.mark.parametrize("content", ["models: [1, 2", "just text", "models:\n  m: {metric: auc}\n"])
def test_bad_thresholds_files_are_clear_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(content)
    with pytest.raises(InvalidInput, match="thresholds file"):
        load_gates(path)
    with pytest.raises(InvalidInput, match="not found"):
        load_gates(tmp_path / "missing.yaml")
