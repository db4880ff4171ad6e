"""What a gateway did over a window, read from its own ``/metrics`` (two scrapes, the difference).

Counters are cumulative since the gateway started; scraping twice, ``window`` apart, gives exact counts
for the window without a Prometheus. From the gateway's metrics: investigations (one verdict each),
inferences per model (``ml_inference_total``, success and fallback), the cache's hits and misses; from
the runtime's: compute seconds per model (``fortress_batch_compute_seconds``), batches and rows per batch.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fortress.ops.errors import OpsFailed

Totals = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass(frozen=True, slots=True)
class Usage:
    window_s: float
    investigations: float
    inferences: dict[str, float] = field(default_factory=dict)
    compute_s: dict[str, float] = field(default_factory=dict)
    batches: dict[str, float] = field(default_factory=dict)
    rows: dict[str, float] = field(default_factory=dict)
    cache_hits: float = 0.0
    cache_misses: float = 0.0

    @property
    def cache_hit_rate(self) -> float | None:
        looked = self.cache_hits + self.cache_misses
        return self.cache_hits / looked if looked else None

    @property
    def average_batch(self) -> float | None:
        batches = sum(self.batches.values())
        return sum(self.rows.values()) / batches if batches else None


def parse(text: str) -> Totals:
    from prometheus_client.parser import text_string_to_metric_families

    totals: Totals = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[(sample.name, tuple(sorted(sample.labels.items())))] = float(sample.value)
    return totals


def _by(totals: Totals, name: str, key: str, where: Mapping[str, set[str]] | None = None) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for (metric, labels), value in totals.items():
        if metric != name:
            continue
        found = dict(labels)
        if where and any(found.get(k) not in allowed for k, allowed in where.items()):
            continue
        out[found.get(key, "")] += value
    return dict(out)


def usage(before: Totals, after: Totals, window_s: float) -> Usage:
    delta: Totals = {k: v - before.get(k, 0.0) for k, v in after.items()}
    cache = _by(delta, "fortress_gateway_cache_total", "outcome")
    return Usage(
        window_s=window_s,
        investigations=sum(_by(delta, "fortress_gateway_verdicts_total", "verdict").values()),
        inferences=_by(delta, "ml_inference_total", "model", {"status": {"success", "fallback"}}),
        compute_s=_by(delta, "fortress_batch_compute_seconds_sum", "model"),
        batches=_by(delta, "fortress_batch_rows_count", "model"),
        rows=_by(delta, "fortress_batch_rows_sum", "model"),
        cache_hits=cache.get("hit", 0.0),
        cache_misses=cache.get("miss", 0.0),
    )


def scrape(url: str, headers: Mapping[str, str] | None = None) -> Totals:
    import httpx

    try:
        response = httpx.get(url, headers=dict(headers or {}), timeout=10.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise OpsFailed(f"cannot read metrics at {url}: {exc}") from None
    return parse(response.text)


def measure(
    url: str,
    window_s: float,
    headers: Mapping[str, str] | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> Usage:
    """Scrape, wait ``window_s``, scrape again: the usage in between (the window as measured)."""
    before = scrape(url, headers)
    started = time.monotonic()
    say(f"first scrape taken; measuring for {window_s:g} s")
    time.sleep(window_s)
    after = scrape(url, headers)
    return usage(before, after, time.monotonic() - started)
