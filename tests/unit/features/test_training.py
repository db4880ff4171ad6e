"""Point-in-time training sets and the data-quality gates in front of training."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fortress.catalog import get_spec
from fortress.errors import InvalidInput
from fortress.features.errors import DataQualityFailed, NoFeatureData
from fortress.features.offline import write_view
from fortress.features.operations import apply_repository
from fortress.features.quality import check_quality
from fortress.features.repo import FeatureRepo
from fortress.features.settings import FeatureSettings, QualityLimits
from fortress.features.training import has_training_data, training_frame, training_task
from fortress.features.views import USER_ACTIVITY
from support.features import END, Filled, relaxed


def test_an_entity_changing_over_time_never_gets_a_future_value(tmp_path: Path) -> None:
    """The user's download volume is 1, then 2, then 3; each label row sees only what was known."""
    settings = relaxed(FeatureSettings())
    apply_repository(settings, tmp_path)
    t1 = pd.Timestamp(END) - timedelta(days=20)
    t2, t3 = t1 + timedelta(days=2), t1 + timedelta(days=4)
    rows = pd.DataFrame({"user_id": "pit", "event_timestamp": [t1, t2, t3]})
    for name in USER_ACTIVITY.field_names:
        rows[name] = 0.0
    rows["data_download_mb"] = [1.0, 2.0, 3.0]
    write_view(FeatureRepo.at(settings, tmp_path), USER_ACTIVITY, rows)
    asked = {
        t1 - timedelta(hours=1): None,  # before anything was known
        t1: 1.0,
        t1 + timedelta(hours=1): 1.0,
        t2 - timedelta(seconds=1): 1.0,  # a second before the change
        t2: 2.0,
        t3 + timedelta(days=1): 3.0,
        t3 + timedelta(days=8): None,  # beyond the view's 7-day TTL
    }
    labels = pd.DataFrame(
        {"user_id": "pit", "event_timestamp": list(asked), "label": np.arange(len(asked)) % 2}
    )
    frame = training_frame("behavior_analyzer", settings, tmp_path, labels=labels)
    got = dict(zip(frame.timestamps, frame.X["data_download_mb"], strict=True))
    assert got == {ts: value for ts, value in asked.items() if value is not None}
    assert frame.dropped == 2
    assert frame.quality.null_ratio == pytest.approx(2 / 7)
    assert list(frame.X.columns) == [f.name for f in get_spec("behavior_analyzer").fields]


@pytest.mark.parametrize("model", ["behavior_analyzer", "login_anomaly"])
def test_training_frames_hold_exactly_the_catalog_fields(filled: Filled, model: str) -> None:
    frame = training_frame(model, filled.settings, filled.home)
    spec = get_spec(model)
    assert list(frame.X.columns) == [f.name for f in spec.fields]
    assert len(frame.X) == len(frame.y) == filled.labels[model] - frame.dropped
    assert set(np.unique(frame.y)) == {0, 1}
    assert frame.timestamps.is_monotonic_increasing
    numeric = [f.name for f in spec.fields if f.name != "auth_method"]
    assert (frame.X[numeric].dtypes == np.float64).all()
    assert frame.X[numeric].notna().all().all()
    if model == "login_anomaly":
        assert set(frame.X["auth_method"]) <= {"password", "sso", "token", "passkey"}


def test_training_task_splits_by_time(filled: Filled) -> None:
    task = training_task("behavior_analyzer", filled.settings, filled.home)
    assert task.labels == ("normal", "anomalous")
    assert len(task.X_test) == pytest.approx((len(task.X_train) + len(task.X_test)) / 4, abs=1)
    assert task.source.name == "feature-store:user_activity"
    split = pd.Timestamp(task.notes["features.split_time"])
    frame = training_frame("behavior_analyzer", filled.settings, filled.home)
    assert (frame.timestamps.iloc[: len(task.X_train)] <= split).all()
    assert (frame.timestamps.iloc[len(task.X_train) :] >= split).all()
    pd.testing.assert_frame_equal(task.X_test, frame.X.iloc[len(task.X_train) :].reset_index(drop=True))


def test_quality_gate_on_row_count_names_view_check_and_numbers(filled: Filled) -> None:
    strict = filled.settings.model_copy(update={"quality": {"user_activity": QualityLimits(min_rows=10**6)}})
    with pytest.raises(DataQualityFailed) as failed:
        training_frame("behavior_analyzer", strict, filled.home)
    rows = filled.labels["behavior_analyzer"]
    assert str(failed.value) == (
        f"data quality gate failed for view 'user_activity': min_rows: {rows} rows < minimum 1000000"
    )


def test_quality_gate_on_nulls_names_view_check_and_numbers(filled: Filled) -> None:
    labels = pd.DataFrame(
        {
            "user_id": ["u0001", "u0002", "ghost", "ghost"],
            "event_timestamp": [pd.Timestamp(END)] * 2 + [pd.Timestamp(END) - timedelta(days=1)] * 2,
            "label": [0, 1, 0, 1],
        }
    )
    strict = filled.settings.model_copy(
        update={"quality": {"user_activity": QualityLimits(min_rows=1, max_null_ratio=0.1)}}
    )
    with pytest.raises(DataQualityFailed, match="max_null_ratio") as failed:
        training_frame("behavior_analyzer", strict, filled.home, labels=labels)
    assert str(failed.value) == (
        "data quality gate failed for view 'user_activity': max_null_ratio: null ratio 0.5000 > "
        "maximum 0.1000 (20 of 40 values null; most in 'sessions_per_day': 2 of 4)"
    )
    assert (failed.value.view, failed.value.check, failed.value.value) == (
        "user_activity",
        "max_null_ratio",
        0.5,
    )


def test_check_quality_passes_within_limits() -> None:
    frame = pd.DataFrame({"a": [1.0, None, 3.0, 4.0], "b": [1.0, 2.0, 3.0, 4.0]})
    report = check_quality("v", frame, ["a", "b"], QualityLimits(min_rows=4, max_null_ratio=0.125))
    assert (report.rows, report.null_ratio) == (4, 0.125)


def test_models_without_store_features_and_empty_repos_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="'dga_detector' does not read the feature store"):
        training_frame("dga_detector", FeatureSettings(), tmp_path)
    with pytest.raises(NoFeatureData, match="no label rows for login_anomaly"):
        training_frame("login_anomaly", FeatureSettings(), tmp_path)


def test_has_training_data(filled: Filled, tmp_path: Path) -> None:
    assert has_training_data("behavior_analyzer", filled.settings, filled.home)
    assert not has_training_data("behavior_analyzer", FeatureSettings(), tmp_path)
    assert not has_training_data("dga_detector", filled.settings, filled.home)
