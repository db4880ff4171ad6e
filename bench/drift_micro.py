"""`python -m bench.drift_micro`: what drift counting costs on the request path, per model and per
investigation (every catalog model answering one record), and what a tick costs off the path.

Synthetic inputs of each catalog model's input tensors (the cost depends on the tensor shapes, not
on the values); a 2,000-row reference; one-record calls, as the gateway serves them. ``observe`` is
timed with its share of the batched binning (every ``flush_rows`` calls), so the figure is the whole
cost. Bounded: about 0.3 s per model.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from fortress.catalog import get_spec, model_names
from fortress.catalog.spec import FieldKind, ModelSpec
from fortress.monitoring.drift.monitor import DriftMonitor
from fortress.monitoring.drift.reference import build_reference
from fortress.monitoring.drift.settings import DriftSettings

BUDGET_S = 0.3
ROWS = 2000


def _inputs(spec: ModelSpec, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for tensor in spec.inputs:
        kind = spec.kind_of(tensor.fields[0])
        if kind is FieldKind.NUMBER:
            out[tensor.name] = rng.normal(size=(n, len(tensor.fields))).astype(np.float32)
        elif kind is FieldKind.CATEGORY:
            out[tensor.name] = rng.choice(
                ["tcp", "udp", "icmp", "http", "SF"], size=(n, len(tensor.fields))
            ).astype(object)
        elif kind is FieldKind.TEXT:
            out[tensor.name] = np.array([["x" * int(k)] for k in rng.integers(5, 80, n)], dtype=object)
        else:
            out[tensor.name] = rng.random((n, *tensor.shape), dtype=np.float32)
    return out


def _observe_us(spec: ModelSpec, monitor: DriftMonitor, rng: np.random.Generator) -> float:
    calls = _inputs(spec, 512, rng)
    labels = max(2, len(spec.labels))
    proba = rng.dirichlet(np.ones(labels), size=512).astype(np.float32)
    feeds = [{k: v[i : i + 1] for k, v in calls.items()} for i in range(512)]
    probs = [proba[i : i + 1] for i in range(512)]
    observe, name = monitor.observe, spec.name
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < BUDGET_S:
        for i in range(512):
            observe(name, 1, feeds[i], probs[i])
        n += 512
    return (time.perf_counter() - started) / n * 1e6


def main() -> int:
    rng = np.random.default_rng(0)
    specs = [get_spec(name) for name in model_names()]
    baselines = {}
    for spec in specs:
        labels = max(2, len(spec.labels))
        proba = rng.dirichlet(np.ones(labels), size=500)
        baselines[spec.name] = {"drift": build_reference(spec, _inputs(spec, ROWS, rng), proba).to_dict()}
    by_name = {s.name: s for s in specs}
    monitor = DriftMonitor(DriftSettings(), lambda m, v: (by_name[m], baselines[m]))
    for spec in specs:
        monitor.observe(spec.name, 1, {}, None)
    monitor.load_wanted()
    print(f"{'model':<22} {'inputs':<34} {'µs per call':>12}")
    total = 0.0
    for spec in specs:
        us = _observe_us(spec, monitor, rng)
        total += us
        shapes = ", ".join(f"{t.name}{list(t.shape)}" for t in spec.inputs)
        print(f"{spec.name:<22} {shapes[:34]:<34} {us:>12.2f}")
    print(f"{'one investigation':<22} {f'{len(specs)} models, 1 record each':<34} {total:>12.2f}")
    started = time.perf_counter()
    ticks = 20
    for _ in range(ticks):
        monitor.tick()
    print(
        f"tick (off the request path, {len(specs)} models): "
        f"{(time.perf_counter() - started) / ticks * 1e3:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
