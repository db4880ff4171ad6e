"""docs/DATASETS.md names every real dataset and every model that trains on real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.catalog import model_names
from fortress.datasets.manifest import DATASET_NAMES
from fortress.datasets.real.tasks import real_dataset_for

DOC = Path(__file__).resolve().parents[3] / "docs" / "DATASETS.md"
REAL_MODELS = tuple(name for name in model_names() if real_dataset_for(name) is not None)


@pytest.fixture(scope="module")
def doc_text() -> str:
    assert DOC.is_file(), f"{DOC} is missing"
    return DOC.read_text(encoding="utf-8")


def test_some_models_have_real_data() -> None:
    assert REAL_MODELS, "no model of the catalog has a real dataset"


@pytest.mark.parametrize("dataset", DATASET_NAMES)
def test_every_dataset_is_documented(doc_text: str, dataset: str) -> None:
    assert f"`{dataset}`" in doc_text, f"dataset {dataset!r} is not named in {DOC}"


@pytest.mark.parametrize("model", REAL_MODELS)
def test_every_model_with_real_data_is_documented(doc_text: str, model: str) -> None:
    dataset = real_dataset_for(model)
    assert f"`{model}`" in doc_text, f"model {model!r} (real data: {dataset}) is not named in {DOC}"
