"""DriftMonitor and its collector: windowed scores, the minimum count, versions without a reference."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from fortress.catalog.encode import encode_frame
from fortress.catalog.spec import ModelSpec
from fortress.monitoring.drift.collector import DriftCollector
from fortress.monitoring.drift.monitor import DriftMonitor
from fortress.monitoring.drift.reference import build_reference
from fortress.monitoring.drift.settings import DriftSettings, Threshold
from support.candidates import SPEC, tiny_frame

T0 = 1_800_000_000.0


def _baseline(seed: int = 0) -> dict[str, Any]:
    frame, _ = tiny_frame(n=3000, seed=seed)
    proba = np.random.default_rng(seed).dirichlet([1, 1], size=3000)
    return {"rows": 3000, "drift": build_reference(SPEC, encode_frame(SPEC, frame), proba).to_dict()}


BASELINES: dict[int, Mapping[str, Any]] = {
    1: _baseline(),
    2: {"rows": 1, "fields": {}},
    3: {"drift": {"format": 7}},
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _load(model: str, version: int) -> tuple[ModelSpec, Mapping[str, Any]]:
    if version == 4:
        raise OSError("registry down")
    return SPEC, BASELINES[version]


def _serve(monitor: DriftMonitor, version: int, n: int, shift: float = 0.0, seed: int = 9) -> None:
    frame, _ = tiny_frame(n=n, seed=seed)
    frame["x"] += shift
    feeds = encode_frame(SPEC, frame)
    proba = np.random.default_rng(seed).dirichlet([1, 1], size=n).astype(np.float32)
    for i in range(n):
        monitor.observe("tiny", version, {k: v[i : i + 1] for k, v in feeds.items()}, proba[i : i + 1])


def _metrics(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _monitor(**settings: Any) -> tuple[DriftMonitor, CollectorRegistry]:
    monitor = DriftMonitor(DriftSettings(**settings), _load, clock=lambda: T0)
    registry = CollectorRegistry()
    DriftCollector(monitor, registry)
    for version in (1, 2, 3, 4):
        monitor.observe("tiny", version, {}, None)  # unknown yet: asks for its reference
    monitor.load_wanted()
    return monitor, registry


def test_same_distribution_scores_low_shifted_scores_high() -> None:
    monitor, registry = _monitor(min_rows=500)
    _serve(monitor, 1, 2000)
    monitor.tick(T0)
    scores = monitor.current["tiny"].feature_scores
    assert set(scores) == {"x", "y", "proto"}
    assert max(scores.values()) < 0.05
    _serve(monitor, 1, 2000, shift=1.5, seed=10)
    monitor.tick(T0 + 1)
    shifted = monitor.current["tiny"].feature_scores
    assert shifted["x"] > 0.3
    assert shifted["y"] < 0.05
    metrics = _metrics(registry)
    assert metrics[("ml_feature_drift_score", (("feature", "x"), ("model", "tiny")))] == pytest.approx(
        shifted["x"]
    )
    assert ("ml_prediction_drift_score", (("model", "tiny"),)) in metrics
    bins = {
        k: v for k, v in metrics.items() if k[0] == "fortress_drift_bin_total" and ("feature", "x") in k[1]
    }
    assert sum(bins.values()) == 4000
    assert len(bins) == 10
    shares = [
        v for k, v in metrics.items() if k[0] == "fortress_drift_reference_share" and ("feature", "x") in k[1]
    ]
    assert sum(shares) == pytest.approx(1.0)


def test_below_the_minimum_count_nothing_is_reported() -> None:
    monitor, registry = _monitor(min_rows=500)
    _serve(monitor, 1, 499, shift=5.0)
    monitor.tick(T0)
    assert monitor.current["tiny"].feature_scores == {}
    assert monitor.current["tiny"].prediction_score is None
    assert not [k for k in _metrics(registry) if k[0] == "ml_feature_drift_score"]


def test_the_window_forgets_old_minutes() -> None:
    monitor, _ = _monitor(min_rows=500, window_minutes=2)
    monitor.tick(T0)
    _serve(monitor, 1, 1000, shift=3.0)  # drifted traffic in the first minute
    monitor.tick(T0 + 60)
    assert monitor.current["tiny"].feature_scores["x"] > 1.0
    _serve(monitor, 1, 1000, seed=11)  # then normal traffic
    monitor.tick(T0 + 120)
    monitor.tick(T0 + 180)  # the drifted minute left the 2-minute window
    _serve(monitor, 1, 1000, seed=12)
    monitor.tick(T0 + 190)
    assert monitor.current["tiny"].window_rows == 2000
    assert monitor.current["tiny"].feature_scores["x"] < 0.05


def test_versions_without_a_readable_reference_get_no_score_and_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "fortress.monitoring.drift.monitor"):
        monitor, registry = _monitor()
        for _ in range(3):
            for version in (2, 3, 4):
                monitor.observe("tiny", version, {}, None)  # never raises, never asks again
            monitor.load_wanted()
    reasons = monitor.unavailable
    assert set(reasons) == {("tiny", 2), ("tiny", 3), ("tiny", 4)}
    assert "no drift reference" in reasons[("tiny", 2)]
    assert "format 7" in reasons[("tiny", 3)]
    assert "registry down" in reasons[("tiny", 4)]
    assert len(caplog.records) == 3
    monitor.tick(T0)
    metrics = _metrics(registry)
    assert metrics[("fortress_drift_reference_available", (("model", "tiny"), ("version", "2")))] == 0.0
    assert metrics[("fortress_drift_reference_available", (("model", "tiny"), ("version", "1")))] == 1.0


def test_the_model_score_is_its_busiest_version() -> None:
    BASELINES[5] = _baseline(seed=3)
    try:
        monitor = DriftMonitor(DriftSettings(min_rows=100), _load, clock=lambda: T0)
        monitor.observe("tiny", 1, {}, None)
        monitor.observe("tiny", 5, {}, None)
        monitor.load_wanted()
        _serve(monitor, 1, 200)
        _serve(monitor, 5, 400)
        monitor.tick(T0)
        assert monitor.current["tiny"].version == 5
        assert {v.version for v in monitor.views} == {1, 5}
        monitor.tick(T0 + 61 * 60)  # an hour later, with traffic on version 5 only
        _serve(monitor, 5, 200)
        monitor.tick(T0 + 62 * 60)
        assert {v.version for v in monitor.views} == {5}  # version 1 is retired, its series gone
    finally:
        del BASELINES[5]


def test_thresholds_are_exported_with_their_overrides() -> None:
    monitor = DriftMonitor(
        DriftSettings.model_validate({"models": {"tiny": {"x": {"alert": 0.5}}}}), _load, clock=lambda: T0
    )
    registry = CollectorRegistry()
    DriftCollector(monitor, registry)
    monitor.observe("tiny", 1, {}, None)
    monitor.load_wanted()
    monitor.tick(T0)
    got = {k[1]: v for k, v in _metrics(registry).items() if k[0] == "fortress_drift_threshold"}
    assert got[(("feature", "x"), ("level", "alert"), ("model", "tiny"))] == 0.5
    assert got[(("feature", "y"), ("level", "alert"), ("model", "tiny"))] == 0.3
    assert got[(("feature", "prediction"), ("level", "warn"), ("model", "tiny"))] == 0.1
    assert len(got) == 8  # x, y, proto, prediction: warn and alert


def test_thresholds_are_overridable_per_model_and_feature() -> None:
    settings = DriftSettings.model_validate(
        {"models": {"tiny": {"x": {"warn": 0.2, "alert": 0.5}, "*": {"alert": 0.4}}}, "js": {"alert": 0.2}}
    )
    assert settings.threshold("tiny", "x", "psi") == Threshold(warn=0.2, alert=0.5)
    assert settings.threshold("tiny", "y", "psi").alert == 0.4
    assert settings.threshold("other", "proto", "js").alert == 0.2
    assert settings.threshold("other", "y", "psi") == Threshold()
    with pytest.raises(ValueError, match="below warn"):
        Threshold(warn=0.5, alert=0.1)


@pytest.mark.anyio
async def test_run_ticks_in_the_background_until_closed() -> None:
    import asyncio

    monitor = DriftMonitor(DriftSettings(min_rows=100, tick_s=0.01), _load)
    monitor.start()
    monitor.observe("tiny", 1, {}, None)
    for _ in range(500):
        await asyncio.sleep(0.01)
        if monitor.views:
            break
    _serve(monitor, 1, 150)
    for _ in range(500):
        await asyncio.sleep(0.01)
        if monitor.current["tiny"].feature_scores:
            break
    await monitor.aclose()
    assert set(monitor.current["tiny"].feature_scores) == {"x", "y", "proto"}


def test_a_call_that_does_not_fit_the_reference_stops_counting_not_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    monitor = DriftMonitor(DriftSettings(flush_rows=1), _load, clock=lambda: T0)
    monitor.observe("tiny", 1, {}, None)
    monitor.load_wanted()
    with caplog.at_level(logging.WARNING, "fortress.monitoring.drift.monitor"):
        monitor.observe("tiny", 1, {"numeric": np.zeros((1, 2), np.float32)}, None)  # no categorical input
        monitor.observe("tiny", 1, {"numeric": np.zeros((1, 2), np.float32)}, None)
    assert "cannot count served rows: KeyError" in monitor.unavailable[("tiny", 1)]
    assert len(caplog.records) == 1
    monitor.tick(T0)
    assert monitor.views == ()
