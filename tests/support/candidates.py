"""Small real candidates for registry tests (a trained GBDT with a categorical input)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fortress.catalog.encode import encode_frame
from fortress.catalog.spec import Family, FieldKind, FieldSpec, ModelSpec
from fortress.registry.base import Candidate
from fortress.training.baseline import baseline_stats
from fortress.training.trainers import train

SPEC = ModelSpec(
    name="tiny_detector",
    description="test model",
    feature_group="tiny",
    fields=(FieldSpec("x"), FieldSpec("y"), FieldSpec("proto", FieldKind.CATEGORY)),
    labels=("benign", "malicious"),
    malicious_labels=frozenset({"malicious"}),
    family=Family.GBDT,
)


def tiny_frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x": rng.normal(size=n), "y": rng.normal(size=n), "proto": rng.choice(["tcp", "udp"], size=n)}
    )
    return frame, (frame["x"] + 0.5 * (frame["proto"] == "udp") > 0.2).to_numpy(dtype=np.int64)


def tiny_candidate(seed: int = 0) -> tuple[Candidate, dict[str, np.ndarray], np.ndarray]:
    frame, y = tiny_frame(seed=seed)
    inputs = encode_frame(SPEC, frame)
    result = train(SPEC, inputs, y, seed=seed, threads=1)
    proba = result.model.predict_proba(inputs)
    candidate = Candidate(
        spec=SPEC,
        onnx=result.model.to_onnx(),
        metrics={"roc_auc": 0.99, "accuracy": float((proba.argmax(1) == y).mean())},
        params=result.params,
        tags={"data.kind": "simulated", "data.name": "test", "data.seed": str(seed)},
        baseline=baseline_stats(SPEC, frame),
        input_example={k: v[:2] for k, v in inputs.items()},
        output_example=proba[:2].astype(np.float32),
        headline_metric="roc_auc",
    )
    return candidate, inputs, proba
