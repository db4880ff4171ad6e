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


def big_candidate(seed: int = 0, trees: int = 600) -> Candidate:
    """The tiny model's task with many deep trees: a multi-megabyte ONNX graph for memory tests."""
    import lightgbm as lgb

    from fortress.training.gbdt import GbdtModel

    frame, _ = tiny_frame(n=6000, seed=seed)
    y = np.random.default_rng(seed).integers(0, 2, size=len(frame))  # noise: every tree grows full
    inputs = encode_frame(SPEC, frame)
    booster = lgb.LGBMClassifier(
        n_estimators=trees,
        num_leaves=63,
        min_child_samples=2,
        learning_rate=0.01,
        random_state=seed,
        verbose=-1,
    )
    model = GbdtModel(SPEC, booster, [["tcp", "udp"]], 2)
    booster.fit(model._matrix(inputs), y)
    proba = model.predict_proba(inputs)
    small, _, _ = tiny_candidate(seed)
    return Candidate(
        spec=SPEC,
        onnx=model.to_onnx(),
        metrics=small.metrics,
        params={"trees": trees},
        tags=small.tags,
        baseline=small.baseline,
        input_example=small.input_example,
        output_example=proba[:2].astype(np.float32),
        headline_metric="roc_auc",
    )
