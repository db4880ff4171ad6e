"""Each model family trains, exports to ONNX and matches itself in ONNX Runtime."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fortress.catalog import get_spec
from fortress.catalog.encode import encode_frame
from fortress.catalog.spec import Family, FieldKind, FieldSpec, ModelSpec
from fortress.training.parity import check_parity, onnx_probabilities
from fortress.training.trainers import train


def _mixed_spec() -> ModelSpec:
    return ModelSpec(
        name="mixed",
        description="test",
        feature_group="g",
        fields=(
            FieldSpec("a"),
            FieldSpec("b"),
            FieldSpec("proto", FieldKind.CATEGORY),
            FieldSpec("svc", FieldKind.CATEGORY),
        ),
        labels=("ok", "bad", "worse"),
        malicious_labels=frozenset({"bad", "worse"}),
        family=Family.GBDT,
    )


def _mixed_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.exponential(size=n),
            "proto": rng.choice(["tcp", "udp", "icmp"], size=n),
            "svc": rng.choice([f"s{i}" for i in range(12)], size=n),
        }
    )
    y = (frame["a"] > 0).astype(int) + (frame["proto"] == "icmp").astype(int)
    return frame, y.to_numpy(dtype=np.int64)


def test_gbdt_with_categories_matches_onnx_and_handles_unseen_values() -> None:
    spec = _mixed_spec()
    frame, y = _mixed_frame(600, 1)
    inputs = encode_frame(spec, frame)
    result = train(spec, inputs, y, seed=1, threads=1)
    onnx_bytes = result.model.to_onnx()
    expected = result.model.predict_proba(inputs)
    assert check_parity("mixed", onnx_bytes, inputs, expected, 1e-5) <= 1e-5
    assert (expected.argmax(1) == y).mean() > 0.9
    unseen = frame.head(3).assign(proto="sctp", svc="never-seen")
    unseen_in = encode_frame(spec, unseen)
    got = onnx_probabilities(onnx_bytes, unseen_in)
    np.testing.assert_allclose(got, result.model.predict_proba(unseen_in), atol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)


def test_text_model_parity_on_normalised_text() -> None:
    spec = get_spec("phishing_url")
    rng = np.random.default_rng(3)
    good = [f"https://www.example{i}.com/news/{rng.integers(1000)}" for i in range(200)]
    bad = [
        f"http://{rng.integers(255)}.{rng.integers(255)}.1.2/paypal-login/verify?id={i}" for i in range(200)
    ]
    frame = pd.DataFrame({"url": good + bad})
    y = np.array([0] * 200 + [1] * 200)
    inputs = encode_frame(spec, frame)
    result = train(spec, inputs, y, seed=3, threads=1)
    expected = result.model.predict_proba(inputs)
    assert check_parity(spec.name, result.model.to_onnx(), inputs, expected, 1e-4) <= 1e-4


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_cnn_parity() -> None:
    spec = get_spec("image_analyzer")
    rng = np.random.default_rng(5)
    n = 64
    images = rng.random((n, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 4, size=n)
    frame = pd.DataFrame({"pixels": list(images)})
    inputs = encode_frame(spec, frame)
    result = train(spec, inputs, y, seed=5, threads=1)
    expected = result.model.predict_proba(inputs)
    assert expected.shape == (n, 4)
    assert check_parity(spec.name, result.model.to_onnx(), inputs, expected, 1e-4) <= 1e-4
