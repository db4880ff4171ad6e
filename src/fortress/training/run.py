"""Train -> evaluate -> export -> parity -> gate -> register, for each selected model."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fortress.catalog.encode import encode_frame
from fortress.catalog.spec import ModelSpec
from fortress.datasets.task import TaskData
from fortress.errors import GateFailed, ParityError
from fortress.features.settings import FeatureSettings
from fortress.monitoring.drift.reference import build_reference
from fortress.registry.base import CHAMPION, STAGING, Candidate, ModelRegistry
from fortress.training.baseline import baseline_stats
from fortress.training.evaluate import evaluate
from fortress.training.gates import GateBook
from fortress.training.parity import check_parity
from fortress.training.settings import TrainingSettings
from fortress.training.trainers import train

Progress = Callable[[str], None]
EXAMPLE_ROWS = 2


@dataclass(frozen=True, slots=True)
class DataSources:
    """Where training data comes from: the feature store's history when events were ingested, else
    the real datasets folder, else the simulator."""

    datasets_dir: Path | None
    features: FeatureSettings
    home: Path
    """``FORTRESS_HOME``: the default feature repository lives under it."""


@dataclass(frozen=True, slots=True)
class ModelReport:
    name: str
    version: int
    alias: str
    metrics: dict[str, float]
    gate_metric: str
    gate_threshold: float
    parity: float
    data_kind: str
    data_name: str
    seconds: float


def _select(inputs: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in inputs.items()}


def group_holdout_metrics(
    spec: ModelSpec,
    task: TaskData,
    train_in: dict[str, np.ndarray],
    test_in: dict[str, np.ndarray],
    seed: int,
    threads: int,
) -> dict[str, float]:
    """Retrain without a third of the malicious groups (e.g. DGA families); score only unseen ones."""
    if task.groups_train is None or task.groups_test is None:
        return {}
    benign = {label for label in spec.labels if label not in spec.malicious_labels}
    groups = sorted(set(task.groups_train.tolist()) - benign)
    held = set(groups[::3])
    train_mask = ~np.isin(task.groups_train, list(held))
    test_mask = np.isin(task.groups_test, [*held, *benign])
    result = train(spec, _select(train_in, train_mask), task.y_train[train_mask], seed, threads)
    proba = result.model.predict_proba(_select(test_in, test_mask))
    held_metrics = evaluate(spec, proba, task.y_test[test_mask])
    return {f"group_holdout_{k}": v for k, v in held_metrics.items() if k in {"roc_auc", "accuracy"}}


def build_candidate(
    spec: ModelSpec, task: TaskData, settings: TrainingSettings, gates: GateBook, progress: Progress
) -> tuple[Candidate, float]:
    """Train and check one model; raises GateFailed / ParityError before anything is registered."""
    seed, threads = settings.seed, settings.threads
    if not spec.labels:
        spec = dataclasses.replace(spec, labels=task.labels)
    train_in, test_in = encode_frame(spec, task.X_train), encode_frame(spec, task.X_test)
    progress(f"  train: {len(task.y_train):,} rows, test: {len(task.y_test):,} rows ({task.source.name})")
    result = train(spec, train_in, task.y_train, seed, threads)
    proba = result.model.predict_proba(test_in)
    metrics = evaluate(spec, proba, task.y_test)
    metrics.update(group_holdout_metrics(spec, task, train_in, test_in, seed, threads))
    onnx_bytes = result.model.to_onnx()
    parity = check_parity(spec.name, onnx_bytes, test_in, proba, settings.parity_tolerance)
    metrics["onnx_parity_max_abs_diff"] = parity
    gate = gates.check(spec.name, metrics)
    example = {k: v[:EXAMPLE_ROWS] for k, v in test_in.items()}
    candidate = Candidate(
        spec=spec,
        onnx=onnx_bytes,
        metrics=metrics,
        params=result.params,
        tags={**task.source.as_tags(), "fortress.gates_version": gates.version, **task.notes},
        baseline={
            **baseline_stats(spec, task.X_train),
            "drift": build_reference(spec, train_in, proba).to_dict(),
        },
        input_example=example,
        output_example=proba[:EXAMPLE_ROWS].astype(np.float32),
        headline_metric=gate.metric,
    )
    return candidate, parity


@dataclass(frozen=True, slots=True)
class TrainingSummary:
    reports: list[ModelReport]
    failures: dict[str, str]


def train_one(
    spec: ModelSpec,
    task: TaskData,
    settings: TrainingSettings,
    registry: ModelRegistry,
    gates: GateBook,
    progress: Progress,
    started: float,
) -> ModelReport:
    """``started``: perf_counter() when work on this model began (data loading included)."""
    candidate, parity = build_candidate(spec, task, settings, gates, progress)
    gate = gates.gate_for(spec.name)
    info = registry.register(candidate)
    has_champion = any(CHAMPION in v.aliases for v in registry.versions(spec.name, with_metrics=False))
    alias = STAGING if has_champion else CHAMPION
    registry.set_alias(spec.name, alias, info.version)
    seconds = time.perf_counter() - started
    value = candidate.metrics[gate.metric]
    progress(
        f"  {gate.metric} = {value:.4f} (gate {gate.threshold}), parity {parity:.1e}, "
        f"registered version {info.version} as {alias} in {seconds:.1f} s"
    )
    return ModelReport(
        spec.name,
        info.version,
        alias,
        candidate.metrics,
        gate.metric,
        gate.threshold,
        parity,
        task.source.kind.value,
        task.source.name,
        seconds,
    )


def train_and_register(
    specs: list[ModelSpec],
    settings: TrainingSettings,
    sources: DataSources,
    registry: ModelRegistry,
    gates: GateBook,
    progress: Progress,
) -> TrainingSummary:
    """Train every selected model; a model that fails its gate, parity or data-quality check is
    reported, not registered."""
    from fortress.features.errors import DataQualityFailed

    reports: list[ModelReport] = []
    failures: dict[str, str] = {}
    for i, spec in enumerate(specs, 1):
        progress(f"[{i}/{len(specs)}] {spec.name}")
        started = time.perf_counter()
        try:
            task = training_data(spec.name, sources, settings.seed)
            reports.append(train_one(spec, task, settings, registry, gates, progress, started))
        except (GateFailed, ParityError, DataQualityFailed) as exc:
            progress(f"  FAILED: {exc}")
            failures[spec.name] = str(exc)
    return TrainingSummary(reports, failures)


def training_data(model: str, sources: DataSources, seed: int) -> TaskData:
    """Models that read the feature store train from its point-in-time history when events were
    ingested (``fortress features ingest``); every model else from the real dataset or the simulator."""
    from fortress.datasets.tasks import build_task
    from fortress.features.training import has_training_data, training_task

    if has_training_data(model, sources.features, sources.home):
        return training_task(model, sources.features, sources.home)
    return build_task(model, sources.datasets_dir, seed)
