"""Monitoring's cost on the request path: (b) with its defaults (drift counting and the inference log
on) against (b) with both off, both servers up at once and loaded in turn at c=16, the order reversed
every round. Each round gives a ratio of req/s; the median ratio is the figure (issue 13's budget:
monitoring costs at most 5 % of req/s). A best-of-rounds row cannot show a 5 % cost on this noisy
machine; pairs measured seconds apart can."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bench.gateway.ensemble import Ensemble
from bench.gateway.targets import LOCAL, gateway
from bench.serving.measure import Live, LoadPlan, Point, Progress, run_rounds
from bench.serving.targets import Target

MONITORING_OFF = {
    "FORTRESS_MONITORING__DRIFT_ENABLED": "false",
    "FORTRESS_MONITORING__INFERENCE_LOG__ENABLED": "false",
}
BUDGET = 0.05
"""Most share of (b)'s req/s that monitoring may cost."""
CONCURRENCY = 16
ON, OFF = "local", "local-monitoring-off"


def monitoring_off(
    ensemble: Ensemble, port: int, work: Path, settings: Mapping[str, str] | None = None
) -> Target:
    """(b) with drift counting and the inference log off (or ``settings``, to find which part costs
    what): monitoring's cost is (b) against this."""
    off = MONITORING_OFF if settings is None else settings
    label = f"{LOCAL}, monitoring off ({', '.join(f'{k}={v}' for k, v in off.items())})"
    return gateway(ensemble, port, work, key=OFF, label=label, settings=off)


@dataclass(frozen=True, slots=True)
class AbRound:
    on: Point
    off: Point

    @property
    def ratio(self) -> float:
        return self.on.good_per_s / self.off.good_per_s if self.off.good_per_s else 0.0


def interleaved(live: Sequence[Live], rounds: int, plan: LoadPlan, progress: Progress) -> list[AbRound]:
    """``rounds`` pairs of (b) on / off at c=16, alternating which goes first; failed points are left
    out (``run_rounds`` reports them)."""
    # at c=16 only, whatever concurrencies the main rounds gave the jobs
    by_key = {
        e.job.target.key: Live(replace(e.job, concurrencies=(CONCURRENCY,)), e.server, e.script) for e in live
    }
    if ON not in by_key or OFF not in by_key:
        return []
    one = LoadPlan((CONCURRENCY,), plan.warmup_s, plan.duration_s, 1, plan.timeout_s)
    found: list[AbRound] = []
    for number in range(rounds):
        order = [by_key[ON], by_key[OFF]] if number % 2 == 0 else [by_key[OFF], by_key[ON]]
        progress(f"monitoring A/B, pair {number + 1}/{rounds}")
        points = {p.key: p for p in run_rounds(order, one, progress, [])}
        if ON in points and OFF in points:
            found.append(AbRound(points[ON], points[OFF]))
    return found


def report(rounds: Sequence[AbRound]) -> list[str]:
    """The docs lines: a row per pair, then the median and the verdict."""
    if not rounds:
        return ["Not measured: (b) or its monitoring-off twin did not run."]
    lines = [
        "| pair | (b) defaults req/s | (b) monitoring off req/s | ratio | p95 ms on / off |",
        "|---:|---:|---:|---:|---:|",
    ]
    for number, pair in enumerate(rounds, 1):
        lines.append(
            f"| {number} | {pair.on.good_per_s:,.0f} | {pair.off.good_per_s:,.0f} | {pair.ratio:.3f} "
            f"| {pair.on.p95_ms:.1f} / {pair.off.p95_ms:.1f} |"
        )
    median = statistics.median(p.ratio for p in rounds)
    cost = 1.0 - median
    verdict = "met" if cost <= BUDGET else "NOT met"
    lines += [
        "",
        f"Median ratio {median:.3f}: monitoring costs {cost:+.1%} of req/s at c={CONCURRENCY} "
        f"(budget ≤ {BUDGET:.0%}: **{verdict}**; ratios ranged {min(p.ratio for p in rounds):.3f}–"
        f"{max(p.ratio for p in rounds):.3f}).",
    ]
    return lines
