"""Workers' metric files merged into one scrape (``monitoring/worker_files.py``): counters and histograms
summed, never counted twice however often a worker flushes; gauges by their mode; a dead worker's
counters kept and its gauges dropped; a pid reused by a new worker does not make counters go back."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from fortress.monitoring.fast_metrics import FastCollector, FastCounter, FastGauge, FastHistogram
from fortress.monitoring.worker_files import GAUGE_MODES, WorkerFiles, alive, merged_registry

BUCKETS = (0.1, 0.5, 1.0)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Worker:
    """One worker's metrics, of both kinds the servers use (lock-free and prometheus_client's)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        fast = FastCollector(self.registry)
        self.inference = fast.add(FastCounter("ml_inference_total", "inferences", ("model", "status")))
        self.latency = fast.add(FastHistogram("ml_inference_latency_seconds", "latency", ("model",), BUCKETS))
        self.queue = fast.add(FastGauge("fortress_batch_queue_rows", "queued", ("model", "version")))
        self.available = fast.add(FastGauge("ml_model_availability", "up", ("model",)))
        self.drift = fast.add(FastGauge("ml_feature_drift_score", "drift", ("model", "feature")))
        self.other = fast.add(FastGauge("test_unlisted_gauge", "a gauge not in GAUGE_MODES", ()))
        self.events = Counter("fortress_audit_events", "events", ("sink",), registry=self.registry)
        self.fsync = Histogram(
            "fortress_audit_fsync_seconds", "fsync", buckets=BUCKETS, registry=self.registry
        )

    def traffic(self, calls: int, seconds: float) -> None:
        for _ in range(calls):
            self.inference.labels("m", "success").inc()
            self.latency.labels("m").observe(seconds)
            self.events.labels("file").inc()
            self.fsync.observe(seconds)


def samples(registry: CollectorRegistry) -> Samples:
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.name.endswith("_created")
    }


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A real process that can die: a worker's pid."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_counters_and_histograms_add_up_and_are_never_counted_twice(tmp_path: Path) -> None:
    a, b, everything = Worker(), Worker(), Worker()
    files_a = WorkerFiles(a.registry, tmp_path, pid=1001)
    files_b = WorkerFiles(b.registry, tmp_path, pid=1002)
    for worker, calls, seconds in ((a, 3, 0.05), (b, 5, 0.7), (a, 2, 3.0)):
        worker.traffic(calls, seconds)
        everything.traffic(calls, seconds)
        for _ in range(3):  # flushed often: values are set, not added
            files_a.flush()
            files_b.flush()
    merged = samples(merged_registry(tmp_path))
    assert merged[("ml_inference_total", (("model", "m"), ("status", "success")))] == 10
    assert merged[("fortress_audit_events_total", (("sink", "file"),))] == 10
    one_process = samples(everything.registry)
    for name in ("ml_inference_latency_seconds", "fortress_audit_fsync_seconds"):
        mine = {k: v for k, v in one_process.items() if k[0].startswith(name)}
        assert len(mine) == len(BUCKETS) + 3  # buckets, +Inf, _count, _sum
        assert {k: merged[k] for k in mine} == pytest.approx(mine)
    assert merged[("ml_inference_latency_seconds_bucket", (("le", "0.5"), ("model", "m")))] == 3


def test_gauges_merge_by_their_mode_over_live_workers(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    assert GAUGE_MODES["fortress_batch_queue_rows"] == "livesum"
    assert GAUGE_MODES["ml_model_availability"] == "livemin"
    assert GAUGE_MODES["ml_feature_drift_score"] == "livemax"
    a, b = Worker(), Worker()
    files_a, files_b = WorkerFiles(a.registry, tmp_path), WorkerFiles(b.registry, tmp_path, pid=sleeper.pid)
    for worker, queued, up, drift, other in ((a, 3, 1, 0.05, 7), (b, 4, 0, 0.4, 9)):
        worker.queue.labels("m", "1").set(queued)
        worker.available.labels("m").set(up)
        worker.drift.labels("m", "x").set(drift)
        worker.other.labels().set(other)
    files_a.flush()
    files_b.flush()
    merged = samples(merged_registry(tmp_path))
    assert merged[("fortress_batch_queue_rows", (("model", "m"), ("version", "1")))] == 7
    assert merged[("ml_model_availability", (("model", "m"),))] == 0
    assert merged[("ml_feature_drift_score", (("feature", "x"), ("model", "m")))] == 0.4
    own = str(files_a.pid)
    assert merged[("test_unlisted_gauge", (("pid", own),))] == 7
    assert merged[("test_unlisted_gauge", (("pid", str(sleeper.pid)),))] == 9

    sleeper.kill()
    sleeper.wait()
    assert not alive(sleeper.pid)
    merged = samples(merged_registry(tmp_path))  # the dead worker's gauges are gone
    assert merged[("fortress_batch_queue_rows", (("model", "m"), ("version", "1")))] == 3
    assert merged[("ml_model_availability", (("model", "m"),))] == 1
    assert merged[("ml_feature_drift_score", (("feature", "x"), ("model", "m")))] == 0.05
    assert ("test_unlisted_gauge", (("pid", str(sleeper.pid)),)) not in merged


def test_a_dead_workers_counters_still_count_and_a_reused_pid_never_makes_them_go_back(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    a, b = Worker(), Worker()
    files_a, files_b = WorkerFiles(a.registry, tmp_path), WorkerFiles(b.registry, tmp_path, pid=sleeper.pid)
    a.traffic(4, 0.2)
    b.traffic(6, 0.2)
    files_a.flush()
    files_b.flush()
    key = ("ml_inference_total", (("model", "m"), ("status", "success")))
    assert samples(merged_registry(tmp_path))[key] == 10
    sleeper.kill()
    sleeper.wait()
    files_b.close()
    assert samples(merged_registry(tmp_path))[key] == 10
    restarted = Worker()  # a new worker that got the dead one's pid starts from zero
    files_r = WorkerFiles(restarted.registry, tmp_path, pid=sleeper.pid)
    restarted.traffic(1, 0.2)
    files_r.flush()
    merged = samples(merged_registry(tmp_path))
    assert merged[key] == 11
    assert merged[("ml_inference_latency_seconds_count", (("model", "m"),))] == 11


def test_a_gauge_series_a_worker_stops_exporting_leaves_the_scrape(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    fast = FastCollector(registry)
    drift = fast.add(FastGauge("ml_feature_drift_score", "drift", ("model", "feature")))
    drift.labels("m", "x").set(0.2)
    drift.labels("m", "y").set(0.3)
    files = WorkerFiles(registry, tmp_path)
    files.flush()
    assert len(samples(merged_registry(tmp_path))) == 2
    del drift.children[("m", "y")]  # a retired version's series
    drift.labels("m", "x").set(0.25)
    files.flush()
    kept = ("ml_feature_drift_score", (("feature", "x"), ("model", "m")))
    assert samples(merged_registry(tmp_path)) == {kept: 0.25}


class Cached(Collector):
    """A collector that returns the same family until it changes (as the drift collector between ticks)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.family = GaugeMetricFamily("ml_prediction_drift_score", "drift", labels=("model",))
        self.family.add_metric(("m",), 0.2)
        registry.register(self)

    def collect(self) -> Iterator[Metric]:
        return iter((self.family,))


def test_a_family_a_collector_returns_again_is_kept_without_being_rewritten(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    cached = Cached(registry)
    files = WorkerFiles(registry, tmp_path)
    key = ("ml_prediction_drift_score", (("model", "m"),))
    for _ in range(3):
        files.flush()
        assert samples(merged_registry(tmp_path)) == {key: 0.2}
    cached.family = GaugeMetricFamily("ml_prediction_drift_score", "drift", labels=("model",))
    cached.family.add_metric(("m",), 0.5)
    files.flush()
    assert samples(merged_registry(tmp_path)) == {key: 0.5}
