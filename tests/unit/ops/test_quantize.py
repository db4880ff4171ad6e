"""``fortress models quantize`` on a real registry: a small image_analyzer CNN (the catalog's one model
with Conv/Gemm) quantized, measured on the simulator's held-out split, registered as staging and served
by the runtime; a tree model refused as not applicable; a stricter gate that is not met registers
nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import numpy as np
import pytest

from fortress.aliases import CHAMPION, STAGING
from fortress.catalog import get_spec
from fortress.catalog.encode import encode_frame
from fortress.datasets.simulator import simulate_task
from fortress.registry.base import Candidate
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.runtime.manager import ModelRuntime
from fortress.runtime.session import SessionOptions, load_session
from fortress.runtime.settings import RuntimeSettings
from fortress.settings import Settings
from fortress.training.baseline import baseline_stats
from fortress.training.evaluate import evaluate
from fortress.training.trainers import train
from support.candidates import tiny_candidate
from support.cli import fortress, one_error_line

SEED = 7  # TrainingSettings' default: the command rebuilds the same split from the version's data.seed
TRAIN_ROWS = 600


def _cnn_candidate() -> tuple[Candidate, float]:
    """image_analyzer trained on the first rows of the simulator's split; its held-out accuracy."""
    task = simulate_task("image_analyzer", SEED)
    spec = get_spec("image_analyzer")
    if not spec.labels:
        spec = dataclasses.replace(spec, labels=task.labels)
    frame, y = task.X_train.iloc[:TRAIN_ROWS], task.y_train[:TRAIN_ROWS]
    inputs = encode_frame(spec, frame)
    result = train(spec, inputs, y, SEED, 1)
    test_in = encode_frame(spec, task.X_test)
    accuracy = evaluate(spec, result.model.predict_proba(test_in), task.y_test)["accuracy"]
    candidate = Candidate(
        spec=spec,
        onnx=result.model.to_onnx(),
        metrics={"accuracy": accuracy},
        params=result.params,
        tags=task.source.as_tags(),
        baseline=baseline_stats(spec, frame),
        input_example={k: v[:2] for k, v in inputs.items()},
        output_example=result.model.predict_proba(inputs)[:2].astype(np.float32),
        headline_metric="accuracy",
    )
    return candidate, accuracy


@pytest.fixture(scope="module")
def cnn() -> tuple[Candidate, float]:
    return _cnn_candidate()


def _registry(settings: Settings) -> MlflowRegistry:
    return MlflowRegistry(settings.registry, settings.home)


@pytest.mark.slow
def test_cnn_is_quantized_registered_as_staging_and_served(
    settings: Settings, cnn: tuple[Candidate, float]
) -> None:
    candidate, accuracy = cnn
    registry = _registry(settings)
    registry.set_alias("image_analyzer", CHAMPION, registry.register(candidate).version)

    result = fortress(settings.home, "models", "quantize", "image_analyzer", "--runs", "5", "--json")

    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["registered"] is True
    assert body["version"] == 2
    assert body["alias"] == STAGING
    assert body["source_version"] == 1
    assert body["held_out_rows"] == 800
    assert body["before"]["metrics"]["accuracy"] == pytest.approx(accuracy, abs=1e-9)
    assert body["drop_points"] <= 0.5
    assert body["after"]["size_bytes"] < body["before"]["size_bytes"] / 2  # int8 weights
    assert set(body["after"]["latency_ms"]) == {"1", "64"}
    assert registry.get_alias("image_analyzer", CHAMPION).version == 1
    staged = registry.fetch("image_analyzer", STAGING)
    assert staged.info.version == 2
    assert staged.info.tags["fortress.quantized_from"] == "1"
    recorded = registry.versions("image_analyzer")[-1].metrics
    assert recorded["accuracy"] == pytest.approx(body["after"]["metrics"]["accuracy"])
    assert len(staged.onnx_bytes()) == body["after"]["size_bytes"]

    feeds = {k: v[:8] for k, v in candidate.input_example.items()}
    feeds = {k: np.concatenate([v] * 4) for k, v in feeds.items()}
    want = load_session(staged.onnx_bytes(), SessionOptions()).run(["probabilities"], feeds)[0]

    async def served() -> np.ndarray:
        runtime = ModelRuntime(registry, RuntimeSettings(aliases=[CHAMPION, STAGING]))
        try:
            await runtime.refresh()
            version = runtime.resolve("image_analyzer", label=STAGING)
            assert version.model.version == 2
            submitted = runtime.submit(version, feeds)
            return await submitted.future
        finally:
            await runtime.aclose()

    np.testing.assert_allclose(asyncio.run(served()), want, atol=1e-6)


@pytest.mark.slow
def test_a_drop_over_the_gate_is_reported_and_not_registered(
    settings: Settings, cnn: tuple[Candidate, float]
) -> None:
    candidate, _ = cnn
    registry = _registry(settings)
    registry.set_alias("image_analyzer", CHAMPION, registry.register(candidate).version)

    # a gate no model meets (quality must rise by 100 points): measured, reported, not registered
    result = fortress(
        settings.home, "models", "quantize", "image_analyzer", "--runs", "3", "--max-drop", "-100"
    )

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("image_analyzer v1 -> int8 (held-out: 800 rows")
    assert lines[2].startswith("before (float32)")
    assert lines[3].startswith("after (int8)")
    assert lines[-1].startswith("not registered: accuracy drops")
    assert "(> -100)" in lines[-1]
    assert [v.version for v in registry.versions("image_analyzer", with_metrics=False)] == [1]


def test_a_tree_model_is_not_applicable(settings: Settings) -> None:
    candidate, _, _ = tiny_candidate()
    registry = _registry(settings)
    registry.set_alias("tiny_detector", CHAMPION, registry.register(candidate).version)
    thresholds = settings.home / "gates.yaml"
    thresholds.write_text("models:\n  tiny_detector: {metric: roc_auc, threshold: 0.5}\n")

    result = fortress(
        settings.home,
        "models",
        "quantize",
        "tiny_detector",
        env={"FORTRESS_TRAINING__THRESHOLDS_FILE": str(thresholds)},
    )

    assert result.returncode == 2
    line = one_error_line(result)
    assert "tiny_detector v1: quantization does not apply" in line
    assert "TreeEnsemble" in line
    assert [v.version for v in registry.versions("tiny_detector", with_metrics=False)] == [1]
