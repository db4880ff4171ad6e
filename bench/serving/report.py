"""Turn the measured points into the Markdown section of docs/BENCHMARKS.md and say which targets hold."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.lifecycle import replace_section
from bench.serving.cpu import QUIET_CORES
from bench.serving.measure import LoadPlan, Point

BEGIN = "<!-- serving-benchmark:begin (written by `make bench`) -->"
END = "<!-- serving-benchmark:end -->"
COMMAND = (
    "`make bench` (= `.venv/bin/python -m bench.run`; the serving part alone: "
    "`.venv/bin/python -m bench.run serving`)"
)


@dataclass(frozen=True, slots=True)
class Goal:
    text: str
    concurrency: int
    ratio_to: str
    """``floor`` or ``mlserver``."""
    minimum: float


GOALS = (
    Goal("c=64, batching on (defaults): (b) ≥ 1.3× the floor", 64, "floor", 1.3),
    Goal("c=64, batching on (defaults): (b) ≥ 5× MLServer's best configuration", 64, "mlserver", 5.0),
    Goal("c=1: (b) ≥ 0.8× the floor", 1, "floor", 0.8),
)


@dataclass(slots=True)
class Outcome:
    points: list[Point] = field(default_factory=list)
    extras: list[Point] = field(default_factory=list)
    """Rows outside the three-way comparison (more workers, batching off)."""
    unavailable: dict[str, str] = field(default_factory=dict)
    """Server key -> why none of its configurations was measured."""
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(server key, what failed) for each configuration that could not be measured."""
    mlserver_versions: str = ""
    model_cost: str = ""
    """In-process ONNX Runtime cost of the model, for orientation."""
    seconds: float = 0.0


def machine_facts() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False, timeout=10)
    first = (wrk.stdout or wrk.stderr or "wrk ?").splitlines()[0]
    wrk_version = first.split(" Copyright")[0].replace(" [epoll]", "")
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("onnxruntime", "uvicorn", "starlette", "uvloop")
    )
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"CPU: {cpu}; `nproc`: {os.cpu_count()}; {platform.system()} {platform.release()}",
        f"Python {platform.python_version()}; {versions}; {wrk_version}",
    ]


def best(points: Sequence[Point], key: str, concurrency: int) -> Point | None:
    candidates = [p for p in points if p.key == key and p.concurrency == concurrency and not p.failed]
    return max(candidates, key=lambda p: p.requests_per_s, default=None)


def _ms(value: float) -> str:
    return f"{value:.2f}"


def _ratio(a: Point | None, b: Point | None) -> str:
    return f"{a.requests_per_s / b.requests_per_s:.2f}×" if a and b else "n/a"


def summary_table(outcome: Outcome, plan: LoadPlan) -> list[str]:
    rows = [
        "| c | (a) floor req/s | (b) fortress req/s | (c) MLServer best req/s | (b)/(a) | (b)/(c) "
        "| p50 ms a / b / c | p99 ms a / b / c | (c) best configuration |",
        "|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for c in plan.concurrencies:
        a, b, m = (best(outcome.points, key, c) for key in ("floor", "fortress", "mlserver"))
        rps = [f"{p.requests_per_s:,.0f}" if p else "n/a" for p in (a, b, m)]
        p50 = " / ".join(_ms(p.p50_ms) if p else "n/a" for p in (a, b, m))
        p99 = " / ".join(_ms(p.p99_ms) if p else "n/a" for p in (a, b, m))
        config = m.variant if m else "n/a"
        rows.append(
            f"| {c} | {' | '.join(rps)} | {_ratio(b, a)} | {_ratio(b, m)} | {p50} | {p99} | {config} |"
        )
    return rows


def detail_table(points: Sequence[Point]) -> list[str]:
    rows = [
        "| server | c | req/s | p50 ms | p99 ms | rows/batch | failed | others' CPU (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in points:
        batch = f"{p.mean_batch_rows:.1f}" if p.mean_batch_rows is not None else ""
        others = f"{p.others_cores:.2f}" if p.others_cores is not None else "?"
        rows.append(
            f"| {p.label} | {p.concurrency} | {p.requests_per_s:,.0f} | {_ms(p.p50_ms)} | {_ms(p.p99_ms)} "
            f"| {batch} | {p.failed} | {others} |"
        )
    return rows


def verdicts(outcome: Outcome) -> list[str]:
    lines = []
    for goal in GOALS:
        ours = best(outcome.points, "fortress", goal.concurrency)
        theirs = best(outcome.points, goal.ratio_to, goal.concurrency)
        if ours is None or theirs is None:
            lines.append(f"- {goal.text}: **not measured** ({_missing(outcome, ours, goal.ratio_to)})")
            continue
        ratio = ours.requests_per_s / theirs.requests_per_s
        verdict = "**met**" if ratio >= goal.minimum else "**not met**"
        lines.append(
            f"- {goal.text}: {verdict}: {ratio:.2f}× "
            f"({ours.requests_per_s:,.0f} vs {theirs.requests_per_s:,.0f} req/s)"
        )
    return lines


def variant_ratios(outcome: Outcome) -> list[str]:
    """Each extra `fortress serve` row against the compared floor and MLServer's best."""
    lines = []
    for point in outcome.extras:
        if point.key != "fortress":
            continue
        floor = best(outcome.points, "floor", point.concurrency)
        peer = best(outcome.points, "mlserver", point.concurrency)
        lines.append(
            f"- {point.label}, c={point.concurrency}: {point.requests_per_s:,.0f} req/s = "
            f"{_ratio(point, floor)} the floor, {_ratio(point, peer)} MLServer's best"
        )
    return lines


def _missing(outcome: Outcome, ours: Point | None, other: str) -> str:
    key = "fortress" if ours is None else other
    failed = [text for k, text in outcome.failures if k == key]
    return outcome.unavailable.get(key) or (failed[0] if failed else f"no successful {key} point")


def render(outcome: Outcome, plan: LoadPlan) -> str:
    lines = [BEGIN, "", "### Measured (last `make bench`)", ""]
    lines += [f"- {fact}" for fact in machine_facts()]
    if outcome.model_cost:
        lines.append(f"- model: {outcome.model_cost}")
    if outcome.mlserver_versions:
        lines.append(f"- MLServer venv: {outcome.mlserver_versions}")
    lines += [
        f"- load: wrk, 1 thread, c connections, 127.0.0.1, one row per request; {plan.warmup_s:g} s "
        f"warm-up then {plan.duration_s:g} s per point; all servers up at once, measured in turn at each "
        f"concurrency, {plan.rounds} round(s), best round kept; this serving run took "
        f"{outcome.seconds / 60:.1f} min",
        f"- reproduce: {COMMAND}",
        "",
    ]
    lines += summary_table(outcome, plan)
    noisy = [p for p in outcome.points if (p.others_cores or 0.0) >= QUIET_CORES]
    if noisy:
        worst = max(p.others_cores or 0.0 for p in noisy)
        lines += [
            "",
            f"Noise: other processes used ≥ {QUIET_CORES} cores during {len(noisy)} of "
            f"{len(outcome.points)} compared points (up to {worst:.2f} of {os.cpu_count()} cores): "
            "those figures are low; see the last column below.",
        ]
    lines += ["", "Targets (issue 3):", "", *verdicts(outcome), ""]
    variants = variant_ratios(outcome)
    if variants:
        lines += ["Other `fortress serve` configurations (extra rows, not the targets' condition):", ""]
        lines += [*variants, ""]
    lines += [f"- {key} unavailable: {why}" for key, why in outcome.unavailable.items()]
    lines += [f"- failed: {text}" for _, text in outcome.failures]
    lines += ["", "Every point measured:", "", *detail_table([*outcome.points, *outcome.extras]), "", END]
    return "\n".join(lines) + "\n"


def write_docs(path: Path, section: str) -> None:
    replace_section(path, section, BEGIN, END)
