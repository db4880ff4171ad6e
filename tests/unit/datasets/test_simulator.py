"""The simulator's contract: every model covered, spec-shaped frames, labels, groups, determinism."""

from __future__ import annotations

import time
from functools import cache

import numpy as np
import pandas as pd
import pytest

from fortress.catalog import FieldKind, get_spec, model_names
from fortress.catalog.fields import IMAGE_SHAPE
from fortress.datasets.simulator import (
    DEFAULT_ROWS,
    simulate_records,
    simulate_task,
    simulated_task_names,
    task_labels,
)
from fortress.datasets.simulator.authors import AUTHORS
from fortress.datasets.simulator.web import DGA_FAMILIES
from fortress.datasets.task import SourceKind, TaskData
from fortress.errors import InvalidInput, UnknownModel

SEED = 7
MODELS = simulated_task_names()


@cache
def task(model: str, seed: int = SEED) -> TaskData:
    return simulate_task(model, seed)


def assert_same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    for name in a.columns:
        if isinstance(a[name].iloc[0], np.ndarray):
            np.testing.assert_array_equal(np.stack(list(a[name])), np.stack(list(b[name])))
        else:
            pd.testing.assert_series_equal(a[name], b[name])


def test_covers_all_twelve_models_in_catalog_order() -> None:
    assert simulated_task_names() == tuple(model_names())
    assert len(MODELS) == 12


@pytest.mark.parametrize("model", MODELS)
def test_frames_follow_the_spec(model: str) -> None:
    spec = get_spec(model)
    data = task(model)
    assert (len(data.X_train), len(data.X_test)) == DEFAULT_ROWS[model]
    for X in (data.X_train, data.X_test):
        assert tuple(X.columns) == spec.field_names
        assert list(X.index) == list(range(len(X)))
        for field in spec.fields:
            column = X[field.name]
            if field.kind is FieldKind.NUMBER:
                assert column.dtype == np.float64, field.name
                assert np.isfinite(column.to_numpy()).all(), field.name
            elif field.kind is FieldKind.TENSOR:
                pixels = np.stack(list(column))
                assert pixels.dtype == np.float32
                assert pixels.shape[1:] == field.shape == IMAGE_SHAPE
                assert pixels.min() >= 0.0
                assert pixels.max() <= 1.0
            else:
                assert all(type(v) is str for v in column), field.name
                assert column.str.len().min() > 0, field.name


@pytest.mark.parametrize("model", MODELS)
def test_labels_index_the_task_labels(model: str) -> None:
    data = task(model)
    spec = get_spec(model)
    assert data.labels == task_labels(model)
    assert data.labels == (AUTHORS if model == "writing_style" else spec.labels)
    for y in (data.y_train, data.y_test):
        assert y.dtype == np.int64
        assert set(np.unique(y)) <= set(range(len(data.labels)))
    assert set(np.unique(data.y_train)) == set(range(len(data.labels)))  # every class is present


@pytest.mark.parametrize("model", MODELS)
def test_source_names_the_simulator_and_seed(model: str) -> None:
    source = task(model).source
    assert source.kind is SourceKind.SIMULATED
    assert source.name == f"simulator:{model}"
    assert source.seed == SEED
    assert source.as_tags()["data.seed"] == str(SEED)


def test_writing_style_has_twelve_synthetic_authors() -> None:
    assert task("writing_style").labels == tuple(f"author_{i:02d}" for i in range(12))
    assert get_spec("writing_style").labels == ()


def test_dga_rows_carry_their_generator_family_as_group() -> None:
    data = task("dga_detector")
    assert data.groups_train is not None
    assert data.groups_test is not None
    assert len(data.groups_train) == len(data.y_train)
    assert len(data.groups_test) == len(data.y_test)
    assert set(data.groups_train) == {"benign", *DGA_FAMILIES}
    benign = data.groups_train == "benign"
    assert np.mean(data.y_train[benign] == 0) > 0.99  # all but the flipped labels
    assert np.mean(data.y_train[~benign] == 1) > 0.99
    assert task("phishing_url").groups_train is None


@pytest.mark.parametrize("model", MODELS)
def test_same_seed_gives_identical_data(model: str) -> None:
    a, b = task(model), simulate_task(model, SEED)
    assert_same_frames(a.X_train, b.X_train)
    assert_same_frames(a.X_test, b.X_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)


@pytest.mark.parametrize("model", MODELS)
def test_different_seed_gives_different_data(model: str) -> None:
    a, b = simulate_task(model, 1, n_train=200, n_test=50), simulate_task(model, 2, n_train=200, n_test=50)
    first = a.X_train.columns[0]
    assert not a.X_train[first].equals(b.X_train[first]) or not np.array_equal(a.y_train, b.y_train)
    assert repr(a.X_train.iloc[:5].to_dict()) != repr(b.X_train.iloc[:5].to_dict())


def test_row_counts_are_honoured_and_splits_are_independent_streams() -> None:
    small = simulate_task("login_anomaly", 3, n_train=50, n_test=20)
    large = simulate_task("login_anomaly", 3, n_train=500, n_test=20)
    assert (len(small.X_train), len(small.X_test)) == (50, 20)
    assert len(large.X_train) == 500
    assert_same_frames(small.X_test, large.X_test)  # the test split does not depend on n_train


def test_serving_records_are_a_separate_stream() -> None:
    records = simulate_records("bot_detector", 300, SEED)
    assert tuple(records.X.columns) == get_spec("bot_detector").field_names
    assert records.y.dtype == np.int64
    assert len(records.X) == len(records.y) == 300
    again = simulate_records("bot_detector", 300, SEED)
    assert_same_frames(records.X, again.X)
    assert not records.X.equals(task("bot_detector").X_test.iloc[:300])


@pytest.mark.parametrize(
    ("model", "low", "high"),
    [("behavior_analyzer", 0.05, 0.10), ("login_anomaly", 0.03, 0.08), ("identity_correlator", 0.1, 0.2)],
)
def test_simulator_only_tasks_have_a_realistic_positive_rate(model: str, low: float, high: float) -> None:
    assert low <= task(model).y_train.mean() <= high


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("behavior_analyzer", "data_download_mb"),
        ("behavior_analyzer", "api_calls_per_hour"),
        ("login_anomaly", "geo_distance_km"),
        ("identity_correlator", "creation_gap_days"),
        ("network_analyzer", "flow_bytes_s"),
    ],
)
def test_marginals_are_heavy_tailed(model: str, field: str) -> None:
    values = task(model).X_train[field].to_numpy()
    assert np.quantile(values, 0.99) > 8 * np.median(values)
    assert pd.Series(values).skew() > 2.0


def test_categories_use_the_documented_values() -> None:
    assert set(task("login_anomaly").X_train["auth_method"]) == {"password", "sso", "token", "passkey"}
    assert set(task("bot_detector").X_train["follower_band"]) == {"1k", "100k", "1M", "10M"}
    assert set(task("network_analyzer").X_train["protocol"]) == {"6", "17", "0"}
    assert set(task("threat_classifier").X_train["protocol_type"]) == {"tcp", "udp", "icmp"}


SIMULATE_ALL_SAFETY_S = 60.0
"""A safety limit, not a benchmark: the twelve take ~3 s on this 2-core machine under load; 20x that
catches an accidental blow-up (a quadratic loop, a per-row Python path), not a slow machine."""


def test_all_twelve_generate_within_a_generous_safety_limit() -> None:
    start = time.perf_counter()
    for model in MODELS:
        simulate_task(model, 11)
    assert time.perf_counter() - start < SIMULATE_ALL_SAFETY_S


def test_rejects_unknown_models_negative_seeds_and_empty_splits() -> None:
    with pytest.raises(UnknownModel):
        simulate_task("no_such_model", 1)
    with pytest.raises(InvalidInput, match="seed"):
        simulate_task("bot_detector", -1)
    with pytest.raises(InvalidInput, match="n_train"):
        simulate_task("bot_detector", 1, n_train=0)
    with pytest.raises(InvalidInput, match="n_test"):
        simulate_task("bot_detector", 1, n_test=0)
    with pytest.raises(InvalidInput):
        simulate_records("bot_detector", 0, 1)
