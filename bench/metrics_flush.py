"""`python -m bench.metrics_flush`: the series a gateway serving the twelve catalog models exports, and
what a worker pays, off the request path, to write them for the other workers' scrapes
(``monitoring/worker_files.py``) and to answer a merged scrape.

The registry is built with the gateway's own metric constructors (``GatewayMetrics``,
``RuntimeMetrics``, ``EventMetrics``, ``DriftMonitor`` + ``DriftCollector``, as ``build_platform``
wires them; ``build_platform`` itself needs the trained ensemble) and the traffic is recorded through
the calls ``FanOut``, the runtime and the request middleware make: every model answers every
investigation, champion route, one version each. Drift references are synthetic, as in
``bench.drift_micro`` (10 bins per number: at least as many series as the real references). Bounded:
a few seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bench.drift_micro import _inputs
from fortress.catalog import get_spec, model_names
from fortress.catalog.spec import ModelSpec
from fortress.gateway.events.metrics import EventMetrics
from fortress.monitoring.drift.collector import DriftCollector
from fortress.monitoring.drift.monitor import DriftMonitor
from fortress.monitoring.drift.reference import build_reference
from fortress.monitoring.drift.settings import DriftSettings
from fortress.monitoring.gateway_metrics import GatewayMetrics
from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.monitoring.worker_files import WorkerFiles, merged_registry

ENDPOINT = "/api/v1/inference"


def _with_labels(spec: ModelSpec) -> ModelSpec:
    """``writing_style``'s labels come from its training data: the simulator's twelve authors."""
    if spec.labels:
        return spec
    from fortress.datasets.simulator.authors import AUTHORS

    return dataclasses.replace(spec, labels=tuple(AUTHORS))


class Gateway:
    """The gateway's metrics for the catalog's models, and the calls that record one investigation."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.registry = CollectorRegistry(auto_describe=True)
        self.specs = [_with_labels(get_spec(name)) for name in model_names()]
        self.metrics = GatewayMetrics(self.registry)
        self.runtime = RuntimeMetrics(self.registry)
        self.events = EventMetrics(self.registry)
        self.events.watch_buffer("file", lambda: 0)
        baselines = {}
        self.feeds = {}
        for spec in self.specs:
            proba = rng.dirichlet(np.ones(len(spec.labels)), size=500)
            baselines[spec.name] = {"drift": build_reference(spec, _inputs(spec, 2000, rng), proba).to_dict()}
            self.feeds[spec.name] = _inputs(spec, 1, rng)
        by_name = {s.name: s for s in self.specs}
        self.drift = DriftMonitor(DriftSettings(), lambda m, v: (by_name[m], baselines[m]))
        DriftCollector(self.drift, self.registry)
        for spec in self.specs:
            self.drift.observe(spec.name, 1, {}, None)
        self.drift.load_wanted()

    def investigation(self) -> None:
        rng, m = self.rng, self.metrics
        for spec in self.specs:
            served = m.served(spec.name, 1, "champion")
            served.latency.observe(float(rng.exponential(0.002)))
            served.success.inc()
            served.availability.set(1)
            proba = rng.dirichlet(np.ones(len(spec.labels)), size=1).astype(np.float32)
            served.confidence.observe(float(proba.max()))
            served.predicted(spec.labels[int(proba.argmax())], len(spec.labels)).inc()
            self.drift.observe(spec.name, 1, self.feeds[spec.name], proba)
            version = (spec.name, "1")
            self.runtime.queue_seconds.labels(*version).observe(float(rng.exponential(0.0005)))
            self.runtime.batch_rows.labels(*version).observe(1)
            self.runtime.compute_seconds.labels(*version).observe(float(rng.exponential(0.0003)))
            self.runtime.queue_depth.labels(*version).set(0)
            self.runtime.loaded.labels(*version).set(1)
        m.cache_miss.inc()
        m.verdicts.labels("benign").inc()
        m.requests.labels(ENDPOINT, "200").inc()
        m.request_seconds.labels(ENDPOINT).observe(float(rng.exponential(0.003)))
        self.events.count("file", "written")
        self.events.fsync_seconds.labels("file").observe(0.0004)


def series(text: str) -> dict[str, int]:
    """Series per metric family in one scrape's text (``_created`` samples left out)."""
    counts = {
        f.name: sum(1 for s in f.samples if not s.name.endswith("_created"))
        for f in text_string_to_metric_families(text)
    }
    return {name: n for name, n in counts.items() if n}


def _timed_us(fn: object, rounds: int, between: object = None) -> list[float]:
    assert callable(fn)
    out = []
    for _ in range(rounds):
        if callable(between):
            between()
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1e6)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics_flush")
    parser.add_argument("--investigations", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)
    gateway = Gateway(np.random.default_rng(0))
    for _ in range(args.investigations):
        gateway.investigation()
    gateway.drift.tick()
    counts = series(generate_latest(gateway.registry).decode())
    models = len(gateway.specs)
    print(f"series in one scrape, {models} models, one version each, champion route:")
    for name, n in sorted(counts.items()):
        print(f"  {name:<40} {n:>6}")
    drift = sum(n for name, n in counts.items() if name.startswith(("fortress_drift", "ml_feature_drift")))
    print(
        f"  {'all':<40} {sum(counts.values()):>6}  (drift: {drift}, the rest: {sum(counts.values()) - drift})"
    )

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        files = WorkerFiles(gateway.registry, directory)
        first = _timed_us(files.flush, 1)[0]
        steady = _timed_us(files.flush, args.rounds, lambda: [gateway.investigation() for _ in range(10)])
        other = WorkerFiles(gateway.registry, directory, pid=files.pid + 1_000_000)  # a second worker
        other.flush()
        merged = merged_registry(directory)
        scrape = _timed_us(lambda: generate_latest(merged), 20)
        local = _timed_us(lambda: generate_latest(gateway.registry), 20)
        size = sum(p.stat().st_size for p in directory.glob("*.db"))
        files.close()
        other.close()
    print(
        f"first flush (creates the files): {first / 1e3:.1f} ms; files of one worker: {size // 2 >> 10} KiB"
    )
    print(
        f"flush after 10 more investigations: median {statistics.median(steady):.0f} µs, "
        f"p90 {sorted(steady)[int(len(steady) * 0.9)]:.0f} µs ({args.rounds} rounds)"
    )
    print(
        f"scrape of 2 workers' files (merge + text): median {statistics.median(scrape) / 1e3:.1f} ms; "
        f"one process's own registry: {statistics.median(local) / 1e3:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
