"""Lock-free Prometheus metrics for the hot path, exposed through a collector on an injected registry.

``prometheus_client``'s own metrics take a lock and a label lookup on every update (~5 µs); a gateway
request updates dozens of them. These keep plain numbers per label set, updated from the event-loop
thread only, and turn them into metric families when Prometheus scrapes. Same names, types and text
format as ``prometheus_client``'s ``Counter``, ``Gauge`` and ``Histogram``.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector


class CounterChild:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount


class GaugeChild:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def set(self, value: float) -> None:
        self.value = float(value)

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount


class HistogramChild:
    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value


C = TypeVar("C", CounterChild, GaugeChild, HistogramChild)
F = TypeVar("F", "FastCounter", "FastGauge", "FastHistogram")


class _Family(Generic[C]):
    def __init__(self, name: str, documentation: str, labelnames: Sequence[str]) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self.children: dict[tuple[str, ...], C] = {}

    def labels(self, *values: str) -> C:
        child = self.children.get(values)
        if child is None:
            if len(values) != len(self.labelnames):
                raise ValueError(f"{self.name}: expected labels {self.labelnames}, got {values}")
            child = self.children[values] = self._new()
        return child

    def _new(self) -> C:
        raise NotImplementedError


class FastCounter(_Family[CounterChild]):
    def _new(self) -> CounterChild:
        return CounterChild()

    def collect(self) -> Metric:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for values, child in self.children.items():
            family.add_metric(values, child.value)
        return family


class FastGauge(_Family[GaugeChild]):
    def _new(self) -> GaugeChild:
        return GaugeChild()

    def collect(self) -> Metric:
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for values, child in self.children.items():
            family.add_metric(values, child.value)
        return family


class FastHistogram(_Family[HistogramChild]):
    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], buckets: Sequence[float]
    ) -> None:
        super().__init__(name, documentation, labelnames)
        self.bounds = tuple(sorted(float(b) for b in buckets if not math.isinf(b)))

    def _new(self) -> HistogramChild:
        return HistogramChild(self.bounds)

    def collect(self) -> Metric:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for values, child in self.children.items():
            counts = list(child.counts)  # one snapshot
            cumulative, running = [], 0
            for bound, count in zip((*map(_le, self.bounds), "+Inf"), counts, strict=True):
                running += count
                cumulative.append((bound, float(running)))
            family.add_metric(values, cumulative, child.sum)
        return family


def _le(bound: float) -> str:
    return repr(bound) if bound != int(bound) else f"{bound:.1f}"


FastFamily = FastCounter | FastGauge | FastHistogram


class FastCollector(Collector):
    """Registers on the injected registry; ``add`` the families, Prometheus collects them at scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.families: list[FastFamily] = []
        registry.register(self)

    def add(self, family: F) -> F:
        self.families.append(family)
        return family

    def collect(self) -> Iterator[Metric]:
        for family in self.families:
            yield family.collect()

    def describe(self) -> Iterator[Metric]:
        return iter(())
