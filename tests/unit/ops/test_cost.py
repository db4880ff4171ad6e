"""The cost report's arithmetic and recommendations, from two real exposition texts."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from fortress.monitoring.gateway_metrics import GatewayMetrics
from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.ops.cost import Allocation, PriceBook, report
from fortress.ops.cost_prometheus import counted
from fortress.ops.cost_usage import parse, usage


def test_usage_is_the_difference_of_two_scrapes_and_is_priced_by_hand() -> None:
    registry = CollectorRegistry()
    gateway, runtime = GatewayMetrics(registry), RuntimeMetrics(registry)
    gateway.served("a", 1, "local").success.inc(5)  # before the window: not counted
    before = parse(generate_latest(registry).decode())
    for _ in range(30):
        gateway.verdicts.labels("benign").inc()
    gateway.cache_hit.inc(20)
    gateway.cache_miss.inc(10)
    gateway.served("a", 1, "local").success.inc(10)
    gateway.served("b", 2, "local").success.inc(9)
    gateway.served("b", 2, "local").fallback.inc(1)
    gateway.served("b", 2, "local").error.inc(4)  # an error is no inference
    rows, compute = runtime.batch_rows, runtime.compute_seconds
    for _ in range(10):
        rows.labels("a", "1").observe(1)
        compute.labels("a", "1").observe(0.003)
    rows.labels("b", "2").observe(10)
    compute.labels("b", "2").observe(0.001)
    after = parse(generate_latest(registry).decode())
    used = usage(before, after, 3600.0)
    assert used.investigations == 30
    assert used.inferences == {"a": 10, "b": 10}
    assert used.cache_hit_rate == pytest.approx(20 / 30)
    assert used.average_batch == pytest.approx(20 / 11)
    body = report(used, PriceBook(cpu_per_vcpu_hour=0.04, ram_per_gib_hour=0.005), Allocation(2, 8))
    total = 2 * 0.04 + 8 * 0.005
    assert body["cost"]["total"] == pytest.approx(total)
    assert body["cost_per_1k_investigations"] == pytest.approx(total / 30 * 1000)
    assert body["members"]["a"]["compute_share"] == pytest.approx(0.03 / 0.031)
    assert body["members"]["a"]["average_batch"] == pytest.approx(1.0)
    text = "\n".join(body["recommendations"])
    assert "increase batching: the average batch is 1.82 rows" in text
    assert "improve caching" not in text  # 0.67 >= 0.5
    assert "quantize a: it takes 97% of the compute" in text
    assert "quantize b" not in text
    assert "consolidate replicas: model compute used 0.0% of the allocated 2 vCPUs" in text


def test_default_price_book_is_opencosts() -> None:
    book = PriceBook.load(None)
    assert (book.cpu_per_vcpu_hour, book.ram_per_gib_hour) == (0.031611, 0.004237)
    assert "OpenCost" in book.source


def test_counted_follows_prometheus_reset_rule() -> None:
    assert counted([3.0, 5.0, 5.0, 9.0], 2.0) == (7.0, False)  # the difference of the ends
    assert counted([4.0, 1.0, 6.0], 0.0) == (10.0, True)  # 4, then a restart: 1 and 5 more
    assert counted([], 7.0) == (0.0, False)
