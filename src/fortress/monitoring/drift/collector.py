"""The drift metrics, read from the monitor's last tick at scrape time (nothing computed here).

- ``ml_feature_drift_score{model,feature}``: PSI (JS distance for categories) of the model's current
  version over the window; absent below ``min_rows`` rows.
- ``ml_prediction_drift_score{model}``: the larger PSI of the predicted label and of the confidence.
- ``fortress_drift_bin_total{model,version,feature,bin}``: rows counted into each reference bin
  (cumulative; predictions as ``prediction:label`` / ``prediction:confidence``), and
  ``fortress_drift_reference_share{...}`` the reference share of each bin: together they let
  Prometheus compute PSI over every replica (docs/MONITORING.md, "Drift").
- ``fortress_drift_reference_available{model,version}``: 1 when the version has a readable reference.
- ``fortress_drift_threshold{model,feature,level}``: the warn and alert thresholds of each scored
  feature (and ``prediction``) from the settings, so alert rules honour per-feature overrides.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from fortress.monitoring.drift.monitor import DriftMonitor

PREDICTION_PREFIX = "prediction:"
Family = GaugeMetricFamily


class DriftCollector(Collector):
    def __init__(self, monitor: DriftMonitor, registry: CollectorRegistry) -> None:
        self.monitor = monitor
        self._cached: tuple[tuple[object, object, int], tuple[Metric, ...]] | None = None
        registry.register(self)

    def describe(self) -> Iterator[Metric]:
        return iter(self._families())

    def _families(self) -> tuple[Family, Family, CounterMetricFamily, Family, Family, Family]:
        return (
            GaugeMetricFamily(
                "ml_feature_drift_score", "Drift of a feature over the window (PSI; JS for categories)",
                labels=("model", "feature"),
            ),
            GaugeMetricFamily(
                "ml_prediction_drift_score", "PSI of the predicted label or confidence (the larger)",
                labels=("model",),
            ),
            CounterMetricFamily(
                "fortress_drift_bin", "Served rows counted into each reference bin",
                labels=("model", "version", "feature", "bin"),
            ),
            GaugeMetricFamily(
                "fortress_drift_reference_share", "Share of the training rows in each reference bin",
                labels=("model", "version", "feature", "bin"),
            ),
            GaugeMetricFamily(
                "fortress_drift_reference_available", "1 if the version has a readable drift reference",
                labels=("model", "version"),
            ),
            GaugeMetricFamily(
                "fortress_drift_threshold", "Warn and alert thresholds of each feature's drift score",
                labels=("model", "feature", "level"),
            ),
        )  # fmt: skip

    def collect(self) -> Iterator[Metric]:
        """The families of the monitor's last tick, built once per tick (they change only then; a
        multi-worker server writes them every ``flush_interval_s``: ``monitoring/worker_files.py``)."""
        monitor = self.monitor
        state = (monitor.views, monitor.current, len(monitor.unavailable))
        cached = self._cached
        if (
            cached is None
            or any(a is not b for a, b in zip(cached[0][:2], state[:2], strict=True))
            or (cached[0][2] != state[2])
        ):
            cached = self._cached = (state, tuple(self._build()))
        return iter(cached[1])

    def _build(self) -> Iterator[Metric]:
        monitor = self.monitor
        features, prediction, bins, shares, available, thresholds = self._families()
        settings = monitor.settings
        for model, view in sorted(monitor.current.items()):
            scored = [(s.bins.name, s.bins.statistic) for s in view.counter.features]
            if view.counter.predictions:
                scored.append(("prediction", "psi"))
            for feature, statistic in scored:
                threshold = settings.threshold(model, feature, statistic)
                thresholds.add_metric((model, feature, "warn"), threshold.warn)
                thresholds.add_metric((model, feature, "alert"), threshold.alert)
            for feature, value in view.feature_scores.items():
                features.add_metric((model, feature), value)
            if view.prediction_score is not None:
                prediction.add_metric((model,), view.prediction_score)
        for view in monitor.views:
            version = str(view.version)
            available.add_metric((view.model, version), 1.0)
            segments = [(s, s.bins.name) for s in view.counter.features]
            segments += [(s, PREDICTION_PREFIX + s.bins.name) for s in view.counter.predictions]
            for seg, name in segments:
                for i, label in enumerate(seg.bins.labels):
                    key = (view.model, version, name, label)
                    bins.add_metric(key, float(view.cumulative[seg.start + i]))
                    shares.add_metric(key, float(seg.bins.share[i]))
        for model, number in sorted(monitor.unavailable):
            available.add_metric((model, str(number)), 0.0)
        yield from (features, prediction, bins, shares, available, thresholds)
