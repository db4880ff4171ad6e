"""The whole reference ensemble on the real datasets, through the real command line.

One registry is trained once per session (``fortress up`` with FORTRESS_DATASETS_DIR set trains what
is missing, i.e. all twelve) and then inspected by the other commands.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from fortress.catalog import model_names
from support.cli import fortress, one_error_line


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory: pytest.TempPathFactory, shared_datasets: Path) -> Path:
    home = tmp_path_factory.mktemp("ensemble")
    result = fortress(home, "up", env={"FORTRESS_DATASETS_DIR": str(shared_datasets)}, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "training 12 on" in result.stderr
    for name in model_names():
        assert re.search(rf"^\[\d+/12\] {name}$", result.stderr, re.M), name
    assert "total:" not in result.stdout  # `up` prints the models table, not the train summary
    return home


def test_all_twelve_registered_as_champions_on_real_or_simulated_data(trained_home: Path) -> None:
    listing = fortress(trained_home, "models", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    models = {m["name"]: m for m in json.loads(listing.stdout)}
    assert set(models) == set(model_names())
    simulated_only = {"identity_correlator", "behavior_analyzer", "image_analyzer", "login_anomaly"}
    for name, entry in models.items():
        assert entry["aliases"] == {"champion": 1}, name
        assert entry["headline_value"] is not None
        assert entry["data_kind"] == ("simulated" if name in simulated_only else "real"), name
        metrics = entry["versions"][0]["metrics"]
        assert metrics["onnx_parity_max_abs_diff"] <= 1e-4
    assert models["threat_classifier"]["data_name"] == "nsl-kdd"
    assert models["threat_classifier"]["headline_metric"] == "binary_accuracy"
    assert models["dga_detector"]["versions"][0]["metrics"]["group_holdout_roc_auc"] > 0.5


def test_second_up_reuses_the_registry(trained_home: Path) -> None:
    result = fortress(trained_home, "up")
    assert result.returncode == 0, result.stderr
    assert "reusing it" in result.stderr
    assert "threat_classifier" in result.stdout


def test_retraining_registers_staging_then_alias_and_fetch(
    trained_home: Path, shared_datasets: Path, tmp_path: Path
) -> None:
    result = fortress(
        trained_home, "train", "--models", "malware_classifier", "--datasets-dir", str(shared_datasets)
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"malware_classifier\s+v2\s+staging", result.stdout)
    assert "total:" in result.stdout

    promoted = fortress(trained_home, "models", "alias", "malware_classifier", "champion", "2")
    assert promoted.stdout.strip() == "malware_classifier@champion -> version 2"
    shown = fortress(trained_home, "models", "alias", "malware_classifier", "champion")
    assert shown.stdout.strip() == "malware_classifier@champion -> version 2"
    deleted = fortress(trained_home, "models", "alias", "malware_classifier", "staging", "--delete")
    assert deleted.returncode == 0
    assert "not in the registry" in one_error_line(
        fortress(trained_home, "models", "alias", "malware_classifier", "staging")
    )
    assert "not in the registry" in one_error_line(
        fortress(trained_home, "models", "alias", "malware_classifier", "champion", "9")
    )

    target = tmp_path / "malware.onnx"
    fetched = fortress(
        trained_home, "models", "fetch", "malware_classifier", "--ref", "champion", "--to", str(target)
    )
    assert fetched.returncode == 0, fetched.stderr
    info = json.loads(fetched.stdout)
    assert info["version"] == 2
    assert info["inputs"] == ["numeric"]

    import onnxruntime as ort

    session = ort.InferenceSession(target.read_bytes())
    proba = session.run(["probabilities"], {"numeric": np.zeros((3, 53), dtype=np.float32)})[0]
    assert proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_docs_models_is_generated_from_the_registry(trained_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "MODELS.md"
    result = fortress(trained_home, "docs", "models", "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    for name in model_names():
        assert f"### {name}" in text
    assert "Tavallaee" in text
    assert "**Fortress threat_classifier**" in text
