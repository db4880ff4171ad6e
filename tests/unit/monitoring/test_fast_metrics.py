"""The hot path's lock-free metrics, read back as Prometheus scrapes them: the text of each histogram's
``_bucket``, ``_count`` and ``_sum`` lines (cumulative, ``le`` as prometheus_client writes it), counters
and gauges, and the same exposition as prometheus_client's own metrics fed the same values."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from fortress.monitoring.fast_metrics import FastCollector, FastCounter, FastGauge, FastHistogram

BUCKETS = (0.1, 0.5, 1, 2.5, float("inf"))
OBSERVED = (0.05, 0.1, 0.3, 0.7, 0.7, 3.0)


def samples(registry: CollectorRegistry, prefix: str) -> dict[str, float]:
    """``name{labels}`` -> value, for the lines of one metric (``_created`` lines left out)."""
    text = generate_latest(registry).decode()
    found = {}
    for line in text.splitlines():
        if line.startswith(prefix) and "_created" not in line:
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


def test_a_histogram_scrapes_as_cumulative_buckets_with_count_and_sum() -> None:
    registry = CollectorRegistry()
    latency = FastCollector(registry).add(
        FastHistogram("fortress_t_latency_seconds", "Latency.", ["model"], BUCKETS)
    )
    for value in OBSERVED:
        latency.labels("a").observe(value)
    latency.labels("b").observe(0.2)

    got = samples(registry, "fortress_t_latency_seconds")
    # Hand-counted: <= 0.1: 0.05 and 0.1 (a bound is inclusive); <= 0.5: + 0.3; <= 1: + 0.7 x2; +Inf: + 3.0.
    assert got == {
        'fortress_t_latency_seconds_bucket{le="0.1",model="a"}': 2.0,
        'fortress_t_latency_seconds_bucket{le="0.5",model="a"}': 3.0,
        'fortress_t_latency_seconds_bucket{le="1.0",model="a"}': 5.0,
        'fortress_t_latency_seconds_bucket{le="2.5",model="a"}': 5.0,
        'fortress_t_latency_seconds_bucket{le="+Inf",model="a"}': 6.0,
        'fortress_t_latency_seconds_count{model="a"}': 6.0,
        'fortress_t_latency_seconds_sum{model="a"}': pytest.approx(4.85),
        'fortress_t_latency_seconds_bucket{le="0.1",model="b"}': 0.0,
        'fortress_t_latency_seconds_bucket{le="0.5",model="b"}': 1.0,
        'fortress_t_latency_seconds_bucket{le="1.0",model="b"}': 1.0,
        'fortress_t_latency_seconds_bucket{le="2.5",model="b"}': 1.0,
        'fortress_t_latency_seconds_bucket{le="+Inf",model="b"}': 1.0,
        'fortress_t_latency_seconds_count{model="b"}': 1.0,
        'fortress_t_latency_seconds_sum{model="b"}': 0.2,
    }
    text = generate_latest(registry).decode()
    assert "# TYPE fortress_t_latency_seconds histogram" in text
    assert "# HELP fortress_t_latency_seconds Latency." in text


def test_the_exposition_is_prometheus_clients_own() -> None:
    fast, reference = CollectorRegistry(), CollectorRegistry()
    collector = FastCollector(fast)
    histogram = collector.add(FastHistogram("fortress_t_rows", "Rows.", ["model"], BUCKETS))
    counter = collector.add(FastCounter("fortress_t_calls_total", "Calls.", ["model", "status"]))
    gauge = collector.add(FastGauge("fortress_t_depth", "Depth.", ["model"]))
    ref_histogram = Histogram("fortress_t_rows", "Rows.", ["model"], buckets=BUCKETS, registry=reference)
    ref_counter = Counter("fortress_t_calls", "Calls.", ["model", "status"], registry=reference)
    ref_gauge = Gauge("fortress_t_depth", "Depth.", ["model"], registry=reference)
    for value in OBSERVED:
        histogram.labels("a").observe(value)
        ref_histogram.labels("a").observe(value)
    for metric in (counter, ref_counter):
        metric.labels("a", "ok").inc()
        metric.labels("a", "ok").inc(2)
        metric.labels("a", "error").inc()
    for metric in (gauge, ref_gauge):
        metric.labels("a").set(7)
        metric.labels("a").inc(-2)

    def lines(registry: CollectorRegistry) -> list[str]:
        text = generate_latest(registry).decode()
        return [line for line in text.splitlines() if "_created" not in line]

    assert lines(fast) == lines(reference)
    assert samples(fast, "fortress_t_calls_total") == {
        'fortress_t_calls_total{model="a",status="ok"}': 3.0,
        'fortress_t_calls_total{model="a",status="error"}': 1.0,
    }
    assert samples(fast, "fortress_t_depth") == {'fortress_t_depth{model="a"}': 5.0}


def test_a_wrong_number_of_labels_is_refused_with_the_names() -> None:
    family = FastHistogram("fortress_t_h", "H.", ["model", "version"], BUCKETS)
    with pytest.raises(
        ValueError, match=re.escape("fortress_t_h: expected labels ('model', 'version'), got ('a',)")
    ):
        family.labels("a")
    assert family.children == {}
