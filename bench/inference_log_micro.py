"""`python -m bench.inference_log_micro`: what the inference log costs on the request path, per
investigation (every catalog model answering one record), and what its writer costs off the path.

The request-path figure runs the gateway's own code, ``EnsembleService._log`` (one sampling draw,
one comparison per answer, a ``LoggedRow`` and a queue append per logged answer), over synthetic
records of each catalog model: at the default ``sample_rate`` (0.05; confident answers, so only the
draw decides), with every investigation sampled, and with the log off (the ``is None`` test the
service does). The writer figure is a flush of 2,000 rows per model (200 images) into real Parquet files (in a
temporary folder), the rows carrying the call's encoded feeds as the gateway's do: the background
thread's CPU per row (``time.thread_time``, median of ``REPEATS`` flushes), and their sum, what one
logged investigation (a row of every model) costs the writer. Bounded: about 0.3 s per figure.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from prometheus_client import CollectorRegistry

from fortress.catalog import get_spec, model_names
from fortress.catalog.encode import encode_records
from fortress.catalog.spec import FieldKind, ModelSpec
from fortress.gateway.outcome import Outcome
from fortress.gateway.service import EnsembleService
from fortress.monitoring.inference_log.log import InferenceLog
from fortress.monitoring.inference_log.metrics import InferenceLogMetrics
from fortress.monitoring.inference_log.settings import InferenceLogSettings
from fortress.monitoring.inference_log.writer import ParquetSink

BUDGET_S = 0.3
WRITER_ROWS = 2000
REPEATS = 3
"""Flushes per model; the median is shown (the machine is shared)."""


def _record(spec: ModelSpec, rng: np.random.Generator) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in spec.fields:
        if f.kind is FieldKind.NUMBER:
            out[f.name] = float(rng.normal())
        elif f.kind is FieldKind.CATEGORY:
            out[f.name] = str(rng.choice(["tcp", "udp", "SF"]))
        elif f.kind is FieldKind.TEXT:
            out[f.name] = "x" * int(rng.integers(5, 80))
        else:
            out[f.name] = rng.random(f.shape).tolist()
    return out


def _investigation(specs: list[ModelSpec], rng: np.random.Generator) -> tuple[Any, Any, list[Outcome]]:
    records = {s.feature_group: [_record(s, rng)] for s in specs}
    outcomes = []
    served = {}
    for spec in specs:
        labels = max(2, len(spec.labels))
        probs = np.full((1, labels), 0.05 / (labels - 1), dtype=np.float32)
        probs[0, 0] = 0.95  # confident: only the sampling draw logs it
        prediction = {"model": spec.name, "version": 1, "route": "champion", "fallback_for": None}
        outcomes.append(Outcome(spec.name, prediction, "", 0.05, 0.95, probs))
        served[spec.name] = SimpleNamespace(model=SimpleNamespace(spec=spec))
    plan = SimpleNamespace(records=records, request=SimpleNamespace(investigation_id="inv-1"))
    return SimpleNamespace(_seen=served), plan, outcomes


def _per_investigation_us(
    log: InferenceLog | None, sink: ParquetSink, args: tuple[Any, Any, list[Outcome]]
) -> float:
    service, plan, outcomes = args
    queue, step = sink._queue, EnsembleService._log
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < BUDGET_S:
        for _ in range(256):
            if log is not None:  # what EnsembleService.execute does
                step(service, log, plan, outcomes, False)  # type: ignore[arg-type]
        queue.clear()
        n += 256
    return (time.perf_counter() - started) / n * 1e6


def _labelled(spec: ModelSpec) -> ModelSpec:
    """writing_style's labels come from its training data (one per author): give it a few."""
    if spec.labels:
        return spec
    return dataclasses.replace(spec, labels=tuple(f"author_{i}" for i in range(8)))


def main() -> int:
    rng = np.random.default_rng(0)
    specs = [_labelled(get_spec(name)) for name in model_names()]
    args = _investigation(specs, rng)
    with tempfile.TemporaryDirectory() as tmp:
        settings = InferenceLogSettings(queue_max_rows=10_000_000)
        sink = ParquetSink(Path(tmp), settings, InferenceLogMetrics(CollectorRegistry()))
        print(f"request path, one investigation of {len(specs)} models (1 record each):")
        for label, rate in (
            ("log off", None),
            ("default sample_rate 0.05", 0.05),
            ("sample_rate 1 (all)", 1.0),
        ):
            log = (
                None
                if rate is None
                else InferenceLog(settings.model_copy(update={"sample_rate": rate}), sink)
            )
            print(f"  {label:<28} {_per_investigation_us(log, sink, args):>8.2f} µs")
        log = InferenceLog(settings, sink)
        print(
            f"writer (off the request path), one flush of {WRITER_ROWS:,} distinct rows per model "
            "(images: 200):"
        )
        outcomes = args[2]
        total = 0.0
        for spec, outcome in zip(specs, outcomes, strict=True):
            n = WRITER_ROWS // 10 if spec.inputs[0].name == "image" else WRITER_ROWS
            rows = [_record(spec, rng) for _ in range(n)]  # distinct rows: honest file sizes
            probs = np.repeat(outcome.probabilities, n, axis=0)
            feeds = encode_records(spec, rows)  # what the gateway hands the model (and the log)
            spent = []
            for _ in range(REPEATS):
                log.log(
                    "inv-1",
                    spec.name,
                    1,
                    "champion",
                    spec,
                    rows,
                    probs,
                    sampled=True,
                    degraded=False,
                    feeds=feeds,
                )
                started = time.thread_time()  # the writer thread's CPU, not the wall clock
                sink.flush()
                spent.append((time.thread_time() - started) / n * 1e6)
            us = statistics.median(spent)
            total += us
            size = (
                sum(p.stat().st_size for p in Path(tmp).rglob(f"model={spec.name}/*.parquet")) / n / REPEATS
            )
            print(f"  {spec.name:<22} {len(spec.fields):>5} fields {us:>8.2f} µs/row {size:>9.1f} bytes/row")
        print(f"  {'one row of each model':<34} {total:>8.2f} µs per logged investigation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
