"""Reference bins: frozen at training time, read back, refused when corrupt."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fortress.catalog.encode import encode_frame
from fortress.catalog.spec import Family, FieldKind, FieldSpec, ModelSpec
from fortress.monitoring.drift.reference import (
    OTHER,
    DriftReferenceInvalid,
    build_reference,
    quantile_edges,
    reference_from_baseline,
)
from support.candidates import SPEC, tiny_frame

MIXED = ModelSpec(
    name="mixed",
    description="every field kind",
    feature_group="mixed",
    fields=(FieldSpec("n"), FieldSpec("c", FieldKind.CATEGORY), FieldSpec("t", FieldKind.TEXT)),
    labels=("a", "b"),
    malicious_labels=frozenset({"b"}),
    family=Family.GBDT,
)
IMAGE = ModelSpec(
    name="img",
    description="a tensor",
    feature_group="img",
    fields=(FieldSpec("image", FieldKind.TENSOR, (3, 4, 4)),),
    labels=("a", "b"),
    malicious_labels=frozenset({"b"}),
    family=Family.CNN,
)


def test_quantile_edges_give_deciles_of_a_continuous_feature() -> None:
    values = np.random.default_rng(0).normal(size=10_000)
    edges = quantile_edges(values)
    share = np.bincount(np.searchsorted(edges, values, side="right")) / len(values)
    assert len(edges) == 9
    np.testing.assert_allclose(share, 0.1, atol=0.002)


def test_a_point_mass_gets_a_bin_of_its_own_and_no_bin_is_empty() -> None:
    values = np.concatenate([np.zeros(6000), np.random.default_rng(1).exponential(size=4000)])
    edges = quantile_edges(values)
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    assert counts[0] == 6000  # exactly the zeros
    assert (counts > 0).all()


def test_few_distinct_values_get_one_bin_each() -> None:
    values = np.array([0.0] * 95 + [1.0] * 5)
    edges = quantile_edges(values)
    assert edges.tolist() == [1.0]  # 0 -> bin 0, 1 -> bin 1: a change in the share of ones shows


def test_every_kind_is_binned_and_survives_json() -> None:
    rng = np.random.default_rng(2)
    frame = {
        "n": rng.normal(size=500),
        "c": rng.choice([f"v{i}" for i in range(30)], size=500),
        "t": ["x" * int(k) for k in rng.integers(1, 60, size=500)],
    }
    import pandas as pd

    inputs = encode_frame(MIXED, pd.DataFrame(frame))
    proba = rng.dirichlet([1, 1], size=200)
    reference = build_reference(MIXED, inputs, proba)
    back = reference_from_baseline(json.loads(json.dumps({"drift": reference.to_dict()})))
    assert back is not None
    kinds = {f.name: (f.kind, f.statistic) for f in back.features}
    assert kinds == {"n": ("number", "psi"), "c": ("category", "js"), "t": ("text", "psi")}
    category = next(f for f in back.features if f.name == "c")
    assert len(category.categories) == 20
    assert category.labels[-1] == OTHER
    assert category.share[-1] > 0  # the 10 least frequent values are "other"
    assert [p.name for p in back.prediction] == ["label", "confidence"]
    assert back.prediction[0].labels[:2] == ("a", "b")
    for f in (*back.features, *back.prediction):
        assert f.share.sum() == pytest.approx(1.0)


def test_tensors_are_binned_by_channel_mean() -> None:
    images = np.random.default_rng(3).random((100, 3, 4, 4)).astype(np.float32)
    reference = build_reference(IMAGE, {"image": images})
    assert [f.name for f in reference.features] == ["image:channel0", "image:channel1", "image:channel2"]
    assert reference.prediction == ()


def test_a_baseline_without_drift_reference_has_none() -> None:
    assert reference_from_baseline({"rows": 3, "fields": {}}) is None


@pytest.mark.parametrize(
    "corrupt",
    [
        {"format": 99, "features": {}},
        {"format": 1, "features": []},
        {"format": 1, "features": {"x": {"kind": "number", "statistic": "psi", "share": [0.5, 0.5]}}},
        {
            "format": 1,
            "features": {"x": {"kind": "number", "statistic": "psi", "share": [0.9, 0.9], "edges": [0]}},
        },
        {
            "format": 1,
            "features": {
                "x": {"kind": "number", "statistic": "psi", "share": [0.5, 0.5], "edges": [2, 1, 3]}
            },
        },
        {"format": 1, "features": {"x": {"kind": "nope", "statistic": "psi", "share": [1.0]}}},
        "not a table",
    ],
)
def test_a_corrupt_reference_is_refused_with_a_reason(corrupt: object) -> None:
    with pytest.raises(DriftReferenceInvalid):
        reference_from_baseline({"drift": corrupt})


def test_reference_of_the_tiny_model_counts_training_rows() -> None:
    frame, _ = tiny_frame(n=400)
    reference = build_reference(SPEC, encode_frame(SPEC, frame))
    assert reference.rows == 400
    assert [f.name for f in reference.features] == ["x", "y", "proto"]
