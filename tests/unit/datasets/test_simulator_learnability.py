"""Every simulated task is learnable above its quality gate, and the simulator-only ones are not trivial.

Baselines, fitted on the default train split and scored on the test split (seed 7, as `fortress train`):
numbers + ordinal-encoded categories -> HistGradientBoostingClassifier; text -> character 2-4-gram
TF-IDF + LogisticRegression; images -> LogisticRegression on 8x8 average-pooled pixels (the CNN is
trained elsewhere; a linear model on pooled pixels must learn the task, but not perfectly).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from fortress.catalog import Family, FieldKind, get_spec
from fortress.datasets.simulator import simulate_task
from fortress.datasets.task import TaskData
from fortress.training.evaluate import evaluate

SEED = 7
THRESHOLDS = Path(__file__).resolve().parents[3] / "configs" / "performance_thresholds.yaml"
GATES: dict[str, dict[str, object]] = yaml.safe_load(THRESHOLDS.read_text())["models"]

# The gate each stand-in must clear here (at least the configured gate).
FLOORS = {
    "threat_classifier": 0.85,
    "bot_detector": 0.90,
    "identity_correlator": 0.93,
    "behavior_analyzer": 0.93,
    "writing_style": 0.70,
    "image_analyzer": 0.92,
    "network_analyzer": 0.97,
    "phishing_url": 0.97,
    "dga_detector": 0.98,
    "malware_classifier": 0.98,
    "login_anomaly": 0.93,
    "message_scam": 0.98,
}
# Tasks only the simulator covers must not be trivially separable.
CEILINGS = {
    "identity_correlator": 0.995,
    "behavior_analyzer": 0.995,
    "login_anomaly": 0.995,
    "image_analyzer": 0.99,
}


def tabular_scores(data: TaskData) -> np.ndarray:
    spec = get_spec(data.model)
    categorical = list(spec.fields_of(FieldKind.CATEGORY))
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, dtype=np.float64)

    def matrix(fit: bool) -> np.ndarray:
        X = data.X_train if fit else data.X_test
        out = X.copy()
        if categorical:
            out[categorical] = (
                encoder.fit_transform(X[categorical]) if fit else encoder.transform(X[categorical])
            )
        return np.asarray(out.to_numpy(np.float64))

    mask = [name in categorical for name in spec.field_names]
    model = HistGradientBoostingClassifier(random_state=0, categorical_features=mask if any(mask) else None)
    model.fit(matrix(fit=True), data.y_train)
    return np.asarray(model.predict_proba(matrix(fit=False)))


def text_scores(data: TaskData) -> np.ndarray:
    column = data.X_train.columns[0]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 4), min_df=2)
    model = LogisticRegression(C=10.0, max_iter=3000)
    model.fit(vectorizer.fit_transform(data.X_train[column]), data.y_train)
    return np.asarray(model.predict_proba(vectorizer.transform(data.X_test[column])))


def pooled(column: pd.Series) -> np.ndarray:
    """3x32x32 images -> 3x8x8 averages of 4x4 blocks, flattened."""
    pixels = np.stack(list(column))
    n = pixels.shape[0]
    return np.asarray(pixels.reshape(n, 3, 8, 4, 8, 4).mean(axis=(3, 5)).reshape(n, -1))


def image_scores(data: TaskData) -> np.ndarray:
    scaler = StandardScaler().fit(pooled(data.X_train["pixels"]))
    model = LogisticRegression(max_iter=3000)
    model.fit(scaler.transform(pooled(data.X_train["pixels"])), data.y_train)
    return np.asarray(model.predict_proba(scaler.transform(pooled(data.X_test["pixels"]))))


def gate_metric(data: TaskData) -> float:
    """The model's gate metric (configs/performance_thresholds.yaml), computed as `fortress train` does."""
    spec = get_spec(data.model)
    scorer = {Family.GBDT: tabular_scores, Family.TEXT: text_scores, Family.CNN: image_scores}[spec.family]
    with threadpool_limits(limits=1):  # OpenMP threads crawl when the CPUs are shared
        proba = scorer(data)
    return evaluate(spec, proba, data.y_test)[str(GATES[data.model]["metric"])]


def test_floors_cover_every_model_at_or_above_its_configured_gate() -> None:
    assert set(FLOORS) == set(GATES)
    for model, floor in FLOORS.items():
        assert floor >= float(str(GATES[model]["threshold"])), model


@pytest.mark.parametrize("model", list(FLOORS))
def test_task_is_learnable_but_not_trivial(model: str) -> None:
    value = gate_metric(simulate_task(model, SEED))
    print(f"{model}: {GATES[model]['metric']} = {value:.4f}")
    assert value >= FLOORS[model]
    assert value < CEILINGS.get(model, 1.0)
