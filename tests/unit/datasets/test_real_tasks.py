"""``build_real_task`` for every model with real data, on the shared reference copies."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from fortress.catalog import FieldKind, get_spec
from fortress.datasets.real.tasks import build_real_task, real_dataset_for
from fortress.datasets.task import SourceKind, TaskData
from fortress.errors import NotFound, UnknownModel

REAL_MODELS = (
    "threat_classifier", "bot_detector", "network_analyzer", "phishing_url", "dga_detector",
    "malware_classifier", "message_scam", "writing_style",
)  # fmt: skip


@cache
def task(datasets: Path, model: str, seed: int = 7) -> TaskData:
    """Built once per (folder, model, seed) for the whole module."""
    return build_real_task(model, datasets, seed)


@pytest.mark.parametrize("model", REAL_MODELS)
def test_builder_matches_the_spec(model: str, shared_datasets: Path) -> None:
    spec = get_spec(model)
    data = task(shared_datasets, model)
    for X in (data.X_train, data.X_test):
        assert tuple(X.columns) == spec.field_names
        assert isinstance(X.index[0], (int, np.integer))
        assert X.index[0] == 0
        for field in spec.fields:
            if field.kind is FieldKind.NUMBER:
                assert X[field.name].dtype == np.float64, field.name
                assert np.isfinite(X[field.name].to_numpy()).all(), field.name
            else:
                assert X[field.name].map(type).eq(str).all(), field.name
    if spec.labels:
        assert data.labels == spec.labels
    for y in (data.y_train, data.y_test):
        assert y.dtype == np.int64
        assert set(np.unique(y)) == set(range(len(data.labels)))
    assert len(data.X_train) > len(data.X_test) > 0
    assert data.source.kind is SourceKind.REAL
    assert data.source.name == real_dataset_for(model) == spec.data
    assert data.source.checksum is not None
    assert len(data.source.checksum) == 64


def test_threat_classifier_trains_on_20_percent_and_tests_on_kddtest_plus(shared_datasets: Path) -> None:
    data = task(shared_datasets, "threat_classifier")
    assert (len(data.X_train), len(data.X_test)) == (25_192, 22_544)
    assert int((data.y_test == 0).sum()) == 9_711  # normal
    assert data.X_train["protocol_type"].iloc[0] == "tcp"


def test_bot_detector_bands(shared_datasets: Path) -> None:
    data = task(shared_datasets, "bot_detector")
    assert set(data.X_train["follower_band"]) == {"1k", "100k", "1M", "10M"}


def test_network_analyzer_protocol_and_classes(shared_datasets: Path) -> None:
    data = task(shared_datasets, "network_analyzer")
    assert set(data.X_train["protocol"]) <= {"0", "1", "6", "17"}
    assert len(data.X_train) + len(data.X_test) == 43_419
    assert abs(data.y_test.mean() - data.y_train.mean()) < 0.01


def test_dga_detector_groups_are_families(shared_datasets: Path) -> None:
    data = task(shared_datasets, "dga_detector")
    assert data.groups_train is not None
    assert data.groups_test is not None
    families = set(data.groups_train)
    assert families == set(data.groups_test)
    assert {"benign", "conficker", "zeus", "others", "new_goz"} <= families
    counts = {f: int((data.groups_train == f).sum() + (data.groups_test == f).sum()) for f in families}
    assert max(v for f, v in counts.items() if f != "benign") <= 4_000
    assert counts["benign"] > 19_000
    is_benign = np.concatenate([data.groups_train, data.groups_test]) == "benign"
    assert (np.concatenate([data.y_train, data.y_test]) == 0).tolist() == is_benign.tolist()
    assert data.X_train["domain"].str.lower().eq(data.X_train["domain"]).all()


def test_phishing_urls_are_unique(shared_datasets: Path) -> None:
    data = task(shared_datasets, "phishing_url")
    urls = [*data.X_train["url"], *data.X_test["url"]]
    assert len(urls) == len(set(urls))


def test_writing_style_labels_are_the_authors(shared_datasets: Path) -> None:
    data = task(shared_datasets, "writing_style")
    assert data.labels == tuple(sorted(data.labels))
    assert len(data.labels) == 39
    assert all("@" in author for author in data.labels)
    assert set(np.unique(data.y_test)) == set(range(39))
    assert not data.X_train["text"].str.contains(r"(?m)^\s*>", regex=True).any()


def test_message_scam_has_no_empty_text(shared_datasets: Path) -> None:
    data = task(shared_datasets, "message_scam")
    assert (data.X_train["text"].str.len() > 0).all()


def test_splits_are_seeded(shared_datasets: Path) -> None:
    first = task(shared_datasets, "malware_classifier", 1)
    again = build_real_task("malware_classifier", shared_datasets, 1)
    other = task(shared_datasets, "malware_classifier", 2)
    assert first.X_train.equals(again.X_train)
    assert (first.y_test == again.y_test).all()
    assert not first.X_train.equals(other.X_train)
    assert first.source.checksum == other.source.checksum


def test_models_without_real_data(tmp_path: Path) -> None:
    assert real_dataset_for("login_anomaly") is None
    with pytest.raises(NotFound, match="no real dataset"):
        build_real_task("login_anomaly", tmp_path, 7)
    with pytest.raises(UnknownModel):
        build_real_task("nope", tmp_path, 7)
