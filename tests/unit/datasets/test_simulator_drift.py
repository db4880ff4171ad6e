"""The drift knob: requested shifts, scales and class priors show up, and nothing else moves."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fortress.datasets.simulator import Drift, simulate_records, simulate_task
from fortress.errors import InvalidInput

SEED = 5


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("model", "field", "shift"),
    [
        ("behavior_analyzer", "sessions_per_day", 2.0),
        ("behavior_analyzer", "data_download_mb", -0.5),
        ("login_anomaly", "ip_reputation", -1.0),
        ("network_analyzer", "flow_duration", 0.75),
        ("malware_classifier", "SizeOfCode", 1.5),
    ],
)
def test_shift_moves_the_test_mean_by_that_many_training_stds(model: str, field: str, shift: float) -> None:
    plain = simulate_task(model, SEED)
    drifted = simulate_task(model, SEED, drift=Drift(shifts={field: shift}))
    std, mean = plain.X_train[field].std(), plain.X_train[field].mean()
    # exactly the requested move on the same rows ...
    moved = drifted.X_test[field] - plain.X_test[field]
    np.testing.assert_allclose(moved.to_numpy(), shift * std, rtol=1e-9)
    # ... which, against the training data, reads as a shift of ≈ `shift` stds (sampling noise aside)
    observed = (drifted.X_test[field].mean() - mean) / std
    assert observed == pytest.approx(shift, abs=0.15)
    # the training split, the labels and every other field are untouched
    assert_same(drifted.X_train, plain.X_train)
    np.testing.assert_array_equal(drifted.y_test, plain.y_test)
    assert_same(drifted.X_test.drop(columns=[field]), plain.X_test.drop(columns=[field]))
    assert "shifts" in drifted.source.detail
    assert plain.source.detail == ""


def test_no_drift_and_empty_drift_leave_the_data_unchanged() -> None:
    plain = simulate_task("login_anomaly", SEED)
    for other in (
        simulate_task("login_anomaly", SEED, drift=None),
        simulate_task("login_anomaly", SEED, drift=Drift()),
    ):
        assert_same(other.X_train, plain.X_train)
        assert_same(other.X_test, plain.X_test)
        np.testing.assert_array_equal(other.y_test, plain.y_test)


def test_scale_stretches_the_spread_around_the_training_mean() -> None:
    plain = simulate_task("identity_correlator", SEED)
    drifted = simulate_task("identity_correlator", SEED, drift=Drift(scale={"writing_style_similarity": 2.0}))
    ratio = drifted.X_test["writing_style_similarity"].std() / plain.X_test["writing_style_similarity"].std()
    assert ratio == pytest.approx(2.0, rel=1e-9)
    assert drifted.X_test["writing_style_similarity"].mean() == pytest.approx(
        plain.X_test["writing_style_similarity"].mean(), abs=0.02
    )


def test_label_prior_sets_the_class_shares_of_the_test_split() -> None:
    plain = simulate_task("login_anomaly", SEED)
    drifted = simulate_task("login_anomaly", SEED, drift=Drift(label_prior={"takeover": 0.3}))
    assert len(drifted.y_test) == len(plain.y_test)
    assert drifted.y_test.mean() == pytest.approx(0.3, abs=1 / len(drifted.y_test))
    assert plain.y_test.mean() < 0.1
    assert_same(drifted.X_train, plain.X_train)
    # shares of classes not named keep their natural proportions
    multi = simulate_task("image_analyzer", SEED, n_test=400, drift=Drift(label_prior={"benign": 0.1}))
    shares = np.bincount(multi.y_test, minlength=4) / 400
    assert shares[0] == pytest.approx(0.1, abs=0.01)
    assert shares[1:] == pytest.approx([0.3, 0.3, 0.3], abs=0.05)


def test_label_prior_and_shift_together_are_deterministic() -> None:
    drift = Drift(shifts={"failed_attempts_1h": 1.0}, label_prior={"takeover": 0.5})
    a = simulate_task("login_anomaly", SEED, n_test=300, drift=drift)
    b = simulate_task("login_anomaly", SEED, n_test=300, drift=drift)
    assert_same(a.X_test, b.X_test)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert a.y_test.mean() == pytest.approx(0.5, abs=0.01)


def test_serving_records_drift_against_the_default_training_split() -> None:
    train = simulate_task("behavior_analyzer", SEED).X_train
    plain = simulate_records("behavior_analyzer", 3000, SEED)
    drifted = simulate_records("behavior_analyzer", 3000, SEED, Drift(shifts={"api_calls_per_hour": 1.0}))
    std = train["api_calls_per_hour"].std()
    moved = drifted.X["api_calls_per_hour"] - plain.X["api_calls_per_hour"]
    np.testing.assert_allclose(moved.to_numpy(), std, rtol=1e-9)
    observed = (drifted.X["api_calls_per_hour"].mean() - train["api_calls_per_hour"].mean()) / std
    assert observed == pytest.approx(1.0, abs=0.15)
    np.testing.assert_array_equal(drifted.y, plain.y)
    prior = simulate_records("bot_detector", 1000, SEED, Drift(label_prior={"bot": 0.9}))
    assert prior.y.mean() == pytest.approx(0.9, abs=0.001)


@pytest.mark.parametrize(
    ("model", "drift", "match"),
    [
        ("login_anomaly", Drift(shifts={"auth_method": 1.0}), "not numeric fields"),
        ("login_anomaly", Drift(scale={"no_such_field": 2.0}), "not numeric fields"),
        ("phishing_url", Drift(shifts={"url": 1.0}), "numeric fields: \\(none\\)"),
        ("login_anomaly", Drift(label_prior={"fraud": 0.2}), "unknown labels"),
    ],
)
def test_drift_naming_what_the_task_lacks_is_rejected(model: str, drift: Drift, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        simulate_task(model, SEED, drift=drift)
    with pytest.raises(InvalidInput, match=match):
        simulate_records(model, 10, SEED, drift)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shifts": {"x": math.nan}}, "finite"),
        ({"scale": {"x": 0.0}}, "> 0"),
        ({"label_prior": {"a": 1.5}}, "\\[0, 1\\]"),
        ({"label_prior": {"a": 0.7, "b": 0.6}}, "more than 1"),
    ],
)
def test_invalid_drift_values_are_rejected(kwargs: dict[str, dict[str, float]], match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        Drift(**kwargs)
