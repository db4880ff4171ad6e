"""Held-out metrics for a model's class probabilities."""

from __future__ import annotations

import numpy as np

from fortress.catalog.spec import ModelSpec


def risk_scores(spec: ModelSpec, proba: np.ndarray) -> np.ndarray:
    """Risk in [0, 1]: the probability mass on the spec's malicious labels."""
    mask = np.asarray(spec.malicious_mask, dtype=np.float64)
    return np.clip(proba @ mask, 0.0, 1.0) if mask.any() else np.zeros(len(proba))


def evaluate(spec: ModelSpec, proba: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score, roc_auc_score, top_k_accuracy_score

    predicted = proba.argmax(axis=1)
    n_labels = proba.shape[1]
    metrics: dict[str, float] = {
        "accuracy": float((predicted == y).mean()),
        "macro_f1": float(f1_score(y, predicted, average="macro", labels=list(range(n_labels)))),
        "n_test": float(len(y)),
    }
    if any(spec.malicious_mask):
        is_bad = np.asarray(spec.malicious_mask)[y]
        risk = risk_scores(spec, proba)
        metrics["binary_accuracy"] = float(((risk >= 0.5) == is_bad).mean())
        if 0 < is_bad.sum() < len(is_bad):
            metrics["roc_auc"] = float(roc_auc_score(is_bad, risk))
    if n_labels > 2:
        metrics["top1_accuracy"] = metrics["accuracy"]
        metrics["top3_accuracy"] = float(
            top_k_accuracy_score(y, proba, k=min(3, n_labels - 1), labels=list(range(n_labels)))
        )
    return metrics
