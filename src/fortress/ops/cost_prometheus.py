"""What a gateway did over a window, read from a Prometheus that scraped it (``/api/v1/query``).

Not ``increase(counter[window])``: Prometheus extrapolates it to the window's edges, and it cannot see
the first value of a series born inside the window (a counter that is already 20 at its first scrape
adds nothing), so it neither equals what was sent nor survives a restarted gateway. Instead, per
counter, the raw samples of the window (the range vector ``counter[window]``, an instant query at the
window's end) and each series' last value before the window (an instant query at its start; absent:
0) are summed as Prometheus's own reset rule does: each rise counts, and a fall is a reset, after which
the new value counts whole. Without a reset that is exactly the difference of two scrapes. A counter
that did reset is listed under ``resets``: what it counted between its last scrape and the restart is
lost, as it is for Prometheus.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from fortress.ops.cost_usage import Totals, Usage, usage
from fortress.ops.errors import OpsFailed

COUNTERS: dict[str, tuple[str, ...]] = {
    "fortress_gateway_verdicts_total": ("verdict",),
    "ml_inference_total": ("model", "status"),
    "fortress_batch_compute_seconds_sum": ("model",),
    "fortress_batch_rows_count": ("model",),
    "fortress_batch_rows_sum": ("model",),
    "fortress_gateway_cache_total": ("outcome",),
}
"""The counters the report reads (as ``cost_usage.usage`` names them) and the labels it groups by."""


def query(base: str, promql: str, at: float, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An instant query's ``data`` (``OpsFailed`` when Prometheus cannot be read or refuses it)."""
    import httpx

    url = f"{base.rstrip('/')}/api/v1/query"
    params = {"query": promql, "time": f"{at:.3f}"}
    try:
        response = httpx.get(url, params=params, headers=dict(headers or {}), timeout=60.0)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OpsFailed(f"cannot query Prometheus at {base}: {exc}") from None
    if response.status_code != 200 or body.get("status") != "success":
        raise OpsFailed(f"Prometheus at {base} refused {promql!r}: {body.get('error', response.status_code)}")
    return dict(body["data"])


def window_text(window_s: float) -> str:
    """A PromQL range in whole milliseconds (``90000ms``): any window, no rounding to units."""
    return f"{round(window_s * 1000)}ms"


def _key(metric: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(metric.items()))


def counted(values: list[float], before: float) -> tuple[float, bool]:
    """What a counter counted from ``before`` through ``values``, and whether it reset."""
    total, previous, reset = 0.0, before, False
    for value in values:
        if value >= previous:
            total += value - previous
        else:  # a reset: the process started again from 0
            total += value
            reset = True
        previous = value
    return total, reset


def from_prometheus(
    base: str, window_s: float, headers: Mapping[str, str] | None = None, end: float | None = None
) -> tuple[Usage, list[str]]:
    """The usage over the ``window_s`` seconds before ``end`` (default: now), and the counters that
    reset inside it."""
    end = time.time() if end is None else end
    start, span = end - window_s, window_text(window_s)
    totals: Totals = {}
    resets = []
    for name, labels in COUNTERS.items():
        first = {_key(r["metric"]): float(r["value"][1]) for r in query(base, name, start, headers)["result"]}
        data = query(base, f"{name}[{span}]", end, headers)
        if data["resultType"] != "matrix":
            raise OpsFailed(f"Prometheus at {base}: {name}[{span}] gave a {data['resultType']}, not a matrix")
        reset_here = False
        for series in data["result"]:
            metric = series["metric"]
            values = [float(v) for _, v in series["values"]]
            amount, reset = counted(values, first.get(_key(metric), 0.0))
            reset_here |= reset
            key = (name, tuple(sorted((k, metric.get(k, "")) for k in labels)))
            totals[key] = totals.get(key, 0.0) + amount
        if reset_here:
            resets.append(name)
    return usage({}, totals, window_s), resets
