"""`fortress train` takes behavior_analyzer and login_anomaly from the feature store's point-in-time
history once events were ingested there, and keeps the simulator for them otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.catalog import get_spec
from fortress.features.settings import FeatureSettings
from fortress.registry.base import CHAMPION
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings
from fortress.training.gates import load_gates
from fortress.training.run import DataSources, train_and_register
from support.features import fill, relaxed


@pytest.mark.parametrize("model", ["behavior_analyzer", "login_anomaly"])
def test_store_models_train_from_the_store_once_it_has_history(settings: Settings, model: str) -> None:
    features = relaxed(FeatureSettings())
    settings = settings.model_copy(update={"features": features})
    registry = MlflowRegistry(settings.registry, settings.home)
    gates = load_gates(settings.training.thresholds_path())
    sources = DataSources(None, features, settings.home)
    lines: list[str] = []

    before = train_and_register([get_spec(model)], settings.training, sources, registry, gates, lines.append)
    assert not before.failures
    assert any(f"simulator:{model}" in line for line in lines), lines

    fill(settings.home, features, users=120, days=14)
    lines.clear()
    after = train_and_register([get_spec(model)], settings.training, sources, registry, gates, lines.append)
    assert not after.failures, after.failures
    assert any("feature-store:" in line for line in lines), lines
    info = registry.resolve(model, 2)
    assert info.tags["data.name"].startswith("feature-store:")
    assert registry.get_alias(model, CHAMPION).version == 1  # a retrain is staged, not promoted


def test_models_outside_the_store_ignore_it(settings: Settings, tmp_path: Path) -> None:
    from fortress.training.run import training_data

    sources = DataSources(None, settings.features, settings.home)
    task = training_data("dga_detector", sources, settings.training.seed)
    assert task.source.name == "simulator:dga_detector"
