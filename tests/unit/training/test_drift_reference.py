"""Training stores a drift reference with each candidate's baseline: bins of the encoded training
inputs and the held-out predictions' label and confidence distribution."""

from __future__ import annotations

import numpy as np
import pytest

from fortress.catalog import get_spec
from fortress.monitoring.drift.reference import reference_from_baseline
from fortress.settings import Settings
from fortress.training.gates import load_gates
from fortress.training.run import DataSources, build_candidate, training_data


@pytest.mark.slow  # trains a model (about 30 s on a loaded 2-core machine)
def test_a_candidate_carries_its_drift_reference(settings: Settings) -> None:
    spec = get_spec("login_anomaly")
    task = training_data(
        spec.name, DataSources(None, settings.features, settings.home), settings.training.seed
    )
    gates = load_gates(settings.training.thresholds_path())
    candidate, _ = build_candidate(spec, task, settings.training, gates, lambda _: None)
    reference = reference_from_baseline(candidate.baseline)
    assert reference is not None
    assert reference.rows == len(task.X_train)
    assert [f.name for f in reference.features] == list(spec.field_names)
    assert "fields" in candidate.baseline  # the existing baseline statistics are kept beside it
    label, confidence = reference.prediction
    assert label.labels[: len(spec.labels)] == spec.labels
    held_out = np.bincount(task.y_test, minlength=len(spec.labels)) / len(task.y_test)
    # a model that passed its gate predicts roughly the held-out label mix
    assert label.share[: len(spec.labels)] == pytest.approx(held_out, abs=0.1)
    assert confidence.edges is not None
    assert 0.0 < confidence.edges[0] <= 1.0
