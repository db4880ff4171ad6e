"""What a gateway did over a window, read from a Prometheus that scraped it (``/api/v1/query``).

For each counter two instant queries, at the window's end and at its start, ``sum by (label) (metric)``:
their difference is exact, like two scrapes of the gateway (a series absent at the start counts from 0).
A counter that reset inside the window (a restarted gateway) makes that difference wrong; for such a
counter (``resets(metric[window]) > 0``) the report uses ``increase(metric[window])`` instead, which
Prometheus extrapolates to the window's edges, and lists the counter under ``estimated``.
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


def query(
    base: str, promql: str, at: float, headers: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """An instant query's vector (``OpsFailed`` when Prometheus cannot be read or refuses it)."""
    import httpx

    url = f"{base.rstrip('/')}/api/v1/query"
    try:
        response = httpx.get(
            url, params={"query": promql, "time": f"{at:.3f}"}, headers=dict(headers or {}), timeout=30.0
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OpsFailed(f"cannot query Prometheus at {base}: {exc}") from None
    if response.status_code != 200 or body.get("status") != "success":
        raise OpsFailed(f"Prometheus at {base} refused {promql!r}: {body.get('error', response.status_code)}")
    if body["data"]["resultType"] != "vector":
        raise OpsFailed(f"Prometheus at {base}: {promql!r} gave a {body['data']['resultType']}, not a vector")
    return list(body["data"]["result"])


def _totals(name: str, result: list[dict[str, Any]]) -> Totals:
    return {(name, tuple(sorted(r["metric"].items()))): float(r["value"][1]) for r in result}


def window_text(window_s: float) -> str:
    """A PromQL range in whole milliseconds (``90000ms``): any window, no rounding to units."""
    return f"{round(window_s * 1000)}ms"


def from_prometheus(
    base: str, window_s: float, headers: Mapping[str, str] | None = None, end: float | None = None
) -> tuple[Usage, list[str]]:
    """The usage over the ``window_s`` seconds before ``end`` (default: now) and the counters whose
    figures are ``increase()`` estimates (they reset inside the window)."""
    end = time.time() if end is None else end
    start, span = end - window_s, window_text(window_s)
    before: Totals = {}
    after: Totals = {}
    estimated = []
    for name, labels in COUNTERS.items():
        by = ", ".join(labels)
        resets = query(base, f"sum(resets({name}[{span}]))", end, headers)
        if resets and float(resets[0]["value"][1]) > 0:
            after.update(
                _totals(name, query(base, f"sum by ({by}) (increase({name}[{span}]))", end, headers))
            )
            estimated.append(name)
            continue
        after.update(_totals(name, query(base, f"sum by ({by}) ({name})", end, headers)))
        before.update(_totals(name, query(base, f"sum by ({by}) ({name})", start, headers)))
    return usage(before, after, window_s), estimated
