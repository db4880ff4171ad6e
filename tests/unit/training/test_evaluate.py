"""Held-out metrics on inputs small enough to count by hand (each expected value is worked out in the
comments), for a binary spec, a five-class spec and a spec without malicious labels."""

from __future__ import annotations

import numpy as np
import pytest

from fortress.catalog import get_spec
from fortress.training.evaluate import evaluate, risk_scores


def test_binary_metrics_by_hand() -> None:
    spec = get_spec("phishing_url")  # benign, phishing
    y = np.array([0, 1, 1, 0])
    proba = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4], [0.6, 0.4]])
    # predicted 0, 1, 0, 0: right, right, wrong, right.
    # benign: TP 2, FP 1, FN 0 -> F1 = 2*2/(2*2+1) = 0.8; phishing: TP 1, FP 0, FN 1 -> F1 = 2/3.
    # risk = P(phishing) = 0.1, 0.7, 0.4, 0.4; >= 0.5 -> F, T, F, F against F, T, T, F: 3 of 4.
    # AUC: positives {0.7, 0.4} against negatives {0.1, 0.4}: 1 + 1 + 1 + 0.5 (tie) = 3.5 of 4 pairs.
    assert evaluate(spec, proba, y) == {
        "accuracy": 0.75,
        "macro_f1": pytest.approx((0.8 + 2 / 3) / 2),
        "n_test": 4.0,
        "binary_accuracy": 0.75,
        "roc_auc": 0.875,
    }
    np.testing.assert_allclose(risk_scores(spec, proba), [0.1, 0.7, 0.4, 0.4])


def test_five_class_metrics_by_hand() -> None:
    spec = get_spec("threat_classifier")  # normal, dos, probe, r2l, u2r; all but normal are malicious
    y = np.array([0, 2, 4, 3])
    proba = np.array(
        [
            [0.4, 0.3, 0.15, 0.1, 0.05],  # predicted normal: right; top 3 {0, 1, 2} holds 0
            [0.1, 0.4, 0.3, 0.15, 0.05],  # predicted dos, is probe: wrong; top 3 {1, 2, 3} holds 2
            [0.45, 0.15, 0.25, 0.1, 0.05],  # predicted normal, is u2r: wrong; top 3 {0, 2, 1} lacks 4
            [0.05, 0.05, 0.1, 0.7, 0.1],  # predicted r2l: right
        ]
    )
    # F1 per class: normal TP 1 FP 1 -> 2/3; dos FP 1 -> 0; probe FN 1 -> 0; r2l TP 1 -> 1; u2r FN 1 -> 0.
    # risk = 1 - P(normal) = 0.6, 0.9, 0.55, 0.95; >= 0.5 -> all T, against F, T, T, T: 3 of 4.
    # AUC: positives {0.9, 0.55, 0.95} against the negative {0.6}: 1 + 0 + 1 = 2 of 3.
    got = evaluate(spec, proba, y)
    assert got == {
        "accuracy": 0.5,
        "macro_f1": pytest.approx((2 / 3 + 1) / 5),
        "n_test": 4.0,
        "binary_accuracy": 0.75,
        "roc_auc": pytest.approx(2 / 3),
        "top1_accuracy": 0.5,
        "top3_accuracy": 0.75,
    }
    np.testing.assert_allclose(risk_scores(spec, proba), [0.6, 0.9, 0.55, 0.95])


def test_no_auc_when_the_test_set_holds_one_class_only() -> None:
    spec = get_spec("phishing_url")
    got = evaluate(spec, np.array([[0.2, 0.8], [0.7, 0.3]]), np.array([1, 1]))
    assert got == {"accuracy": 0.5, "macro_f1": pytest.approx(1 / 3), "n_test": 2.0, "binary_accuracy": 0.5}
    # macro over both labels: benign TP 0 FP 1 -> 0; phishing TP 1 FN 1 -> 2/3.


def test_a_spec_without_malicious_labels_has_no_risk_metrics() -> None:
    spec = get_spec("writing_style")  # authors: no label is malicious
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    got = evaluate(spec, proba, np.array([0, 1]))
    assert set(got) == {"accuracy", "macro_f1", "n_test", "top1_accuracy", "top3_accuracy"}
    assert got["accuracy"] == 0.5
    assert got["top3_accuracy"] == 1.0  # k = min(3, 3 - 1) = 2: {0, 1} and {2, 1} hold the truth
    np.testing.assert_array_equal(risk_scores(spec, proba), [0.0, 0.0])
