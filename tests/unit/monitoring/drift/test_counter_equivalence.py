"""The vectorized BinCounter gives exactly the counts of a plain per-row, per-feature reference
implementation, on random data of every field kind (numbers with point masses, values on the edges
and NaN; categories with unseen values; text lengths; tensor channel means; predictions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fortress.catalog.encode import encode_frame
from fortress.catalog.spec import Family, FieldKind, FieldSpec, ModelSpec
from fortress.monitoring.drift.counter import BinCounter
from fortress.monitoring.drift.reference import (
    PREDICTION_CONFIDENCE,
    PREDICTION_LABEL,
    DriftReference,
    FeatureBins,
    build_reference,
)

WIDE = ModelSpec(
    name="wide",
    description="several columns of each kind",
    feature_group="wide",
    fields=(
        FieldSpec("n0"),
        FieldSpec("n1"),
        FieldSpec("steps"),
        FieldSpec("c0", FieldKind.CATEGORY),
        FieldSpec("c1", FieldKind.CATEGORY),
        FieldSpec("t", FieldKind.TEXT),
    ),
    labels=("a", "b", "c"),
    malicious_labels=frozenset({"c"}),
    family=Family.GBDT,
)
IMAGE = ModelSpec(
    name="img",
    description="a tensor",
    feature_group="img",
    fields=(FieldSpec("image", FieldKind.TENSOR, (3, 5, 4)),),
    labels=("a", "b"),
    malicious_labels=frozenset({"b"}),
    family=Family.CNN,
)


def _frame(rng: np.random.Generator, n: int, unseen: bool) -> pd.DataFrame:
    letters = list("abcdefghijklmnopqrstuvwxyz")
    pool = letters + (["never", "seen"] if unseen else [])
    return pd.DataFrame(
        {
            "n0": rng.normal(size=n) * 3,
            "n1": rng.exponential(size=n),
            "steps": rng.integers(0, 6, n).astype(float),  # point masses: every value is an edge
            "c0": rng.choice(pool, size=n),
            "c1": rng.choice(["tcp", "udp", "icmp"] + (["gre"] if unseen else []), size=n),
            "t": ["x" * int(k) for k in rng.integers(0, 60, n)],
        }
    )


def _bin(bins: FeatureBins, value: object) -> int:
    """One value's bin, the plain way."""
    if bins.edges is None:
        categories = list(bins.categories)
        return categories.index(value) if value in categories else len(categories)
    return sum(1 for e in bins.edges.tolist() if float(value) >= e)  # type: ignore[arg-type]


def _plain_counts(
    counter: BinCounter, spec: ModelSpec, inputs: dict[str, np.ndarray], proba: np.ndarray
) -> np.ndarray:
    counts = np.zeros(counter.size, dtype=np.int64)
    segments = iter(counter.features)
    for tensor in spec.inputs:
        arr = inputs[tensor.name]
        kind = spec.kind_of(tensor.fields[0])
        columns = tensor.shape[0] if kind is FieldKind.TENSOR else len(tensor.fields)
        for j in range(columns):
            seg = next(segments)
            for row in arr:
                if kind is FieldKind.TEXT:
                    value: object = len(row[0])
                elif kind is FieldKind.TENSOR:
                    value = float(np.mean(row[j], dtype=np.float64))
                else:
                    value = row[j]
                counts[seg.start + _bin(seg.bins, value)] += 1
    for seg in counter.predictions:
        for p in proba.tolist():
            if seg.bins.name == PREDICTION_LABEL:
                counts[seg.start + p.index(max(p))] += 1
            elif seg.bins.name == PREDICTION_CONFIDENCE:
                counts[seg.start + _bin(seg.bins, max(p))] += 1
    return counts


def _serve(
    counter: BinCounter, inputs: dict[str, np.ndarray], proba: np.ndarray, rng: np.random.Generator
) -> None:
    """In calls of 1 to 5 rows, as the gateway hands them over."""
    n, start = len(proba), 0
    while start < n:
        stop = min(n, start + int(rng.integers(1, 6)))
        counter.add({k: v[start:stop] for k, v in inputs.items()}, proba[start:stop])
        start = stop


@pytest.mark.parametrize("flush_rows", [1, 7, 256])
def test_numbers_categories_text_and_predictions_count_as_the_plain_loop(flush_rows: int) -> None:
    rng = np.random.default_rng(flush_rows)
    train = encode_frame(WIDE, _frame(rng, 1500, unseen=False))
    reference = build_reference(WIDE, train, rng.dirichlet([1, 1, 1], size=400))
    assert {f.kind for f in reference.features} == {FieldKind.NUMBER, FieldKind.CATEGORY, FieldKind.TEXT}
    counter = BinCounter(WIDE, reference, flush_rows=flush_rows)
    served = encode_frame(WIDE, _frame(rng, 900, unseen=True))
    numeric = served["numeric"]
    n0 = next(f for f in reference.features if f.name == "n0")
    assert n0.edges is not None
    numeric[:40, 0] = rng.choice(n0.edges.astype(np.float32), size=40)  # on (float32) edges
    numeric[40:45, 1] = np.nan
    numeric[45:50, 1] = [np.inf, -np.inf, 1e30, -1e30, 0.0]
    proba = rng.dirichlet([1, 1, 1], size=900).astype(np.float32)
    proba[:20] = [0.4, 0.4, 0.2]  # a tie: the first label, as numpy.argmax
    _serve(counter, served, proba, rng)
    expected = _plain_counts(counter, WIDE, served, proba)
    np.testing.assert_array_equal(counter.snapshot(), expected)
    assert counter.rows == 900
    steps = next(s for s in counter.features if s.bins.name == "steps")
    assert (counter.counts[steps.start : steps.stop] > 0).all()  # every point mass was hit


@pytest.mark.parametrize("flush_rows", [1, 7, 256])
def test_tensor_channel_means_count_as_the_plain_loop(flush_rows: int) -> None:
    rng = np.random.default_rng(10 + flush_rows)
    images = rng.random((800, 3, 5, 4), dtype=np.float32)
    images[:, 2] *= 4.0
    reference = build_reference(IMAGE, {"image": images}, rng.dirichlet([1, 1], size=300))
    counter = BinCounter(IMAGE, reference, flush_rows=flush_rows)
    served = {"image": rng.random((600, 3, 5, 4), dtype=np.float32) * 1.5}
    proba = rng.dirichlet([1, 1], size=600).astype(np.float32)
    _serve(counter, served, proba, rng)
    np.testing.assert_array_equal(counter.snapshot(), _plain_counts(counter, IMAGE, served, proba))
    assert [int(counter.counts[s.start : s.stop].sum()) for s in counter.features] == [600] * 3


def test_calls_without_probabilities_count_inputs_only() -> None:
    rng = np.random.default_rng(3)
    train = encode_frame(WIDE, _frame(rng, 500, unseen=False))
    reference = build_reference(WIDE, train, rng.dirichlet([1, 1, 1], size=100))
    counter = BinCounter(WIDE, reference, flush_rows=3)
    served = encode_frame(WIDE, _frame(rng, 10, unseen=True))
    for i in range(10):
        counter.add({k: v[i : i + 1] for k, v in served.items()}, None)
    counts = counter.snapshot()
    no_predictions = DriftReference(reference.rows, reference.features)
    plain = BinCounter(WIDE, no_predictions, flush_rows=1)
    expected = _plain_counts(plain, WIDE, served, np.zeros((0, 3), np.float32))
    np.testing.assert_array_equal(counts[: plain.size], expected)
    assert counts[plain.size :].sum() == 0
