"""docs/DATASETS.md names every real dataset and every model that trains on real data."""

from __future__ import annotations

import re
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


def overview_rows(doc_text: str) -> dict[str, set[str]]:
    """The overview table: dataset folder -> the models named in its row."""
    overview = doc_text.split("## Overview", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w-]+)` \| ([^|]+) \|", overview, re.M)
    return {folder: set(re.findall(r"`(\w+)`", models)) for folder, models in rows}


def test_the_overview_table_maps_each_model_to_its_real_dataset(doc_text: str) -> None:
    rows = overview_rows(doc_text)
    assert set(rows) == set(DATASET_NAMES)
    assert set().union(*rows.values()) == set(REAL_MODELS)
    for model in REAL_MODELS:
        assert model in rows[str(real_dataset_for(model))], (model, real_dataset_for(model))


def test_the_intro_counts_and_names_the_simulator_only_models(doc_text: str) -> None:
    simulator_only = [name for name in model_names() if name not in REAL_MODELS]
    words = {4: "four", 8: "Eight", 12: "twelve"}
    assert f"{words[len(REAL_MODELS)]} of the {words[len(model_names())]} reference models" in doc_text
    intro = doc_text.split("## ", 1)[0]
    assert f"{words[len(simulator_only)]} models" in intro
    for name in simulator_only:
        assert f"`{name}`" in intro, name


@pytest.mark.parametrize("dataset", DATASET_NAMES)
def test_every_dataset_is_documented(doc_text: str, dataset: str) -> None:
    assert f"`{dataset}`" in doc_text, f"dataset {dataset!r} is not named in {DOC}"


@pytest.mark.parametrize("model", REAL_MODELS)
def test_every_model_with_real_data_is_documented(doc_text: str, model: str) -> None:
    dataset = real_dataset_for(model)
    assert f"`{model}`" in doc_text, f"model {model!r} (real data: {dataset}) is not named in {DOC}"
