"""The "Gateway benchmark" section of docs/BENCHMARKS.md: what was run, the figures, the targets."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.gateway.connections import ManyConnections
from bench.gateway.targets import LONG_TIMEOUT_S
from bench.lifecycle import replace_section
from bench.serving.cpu import QUIET_CORES
from bench.serving.measure import ANSWER_TOLERANCE, LoadPlan, Point
from bench.serving.report import machine_facts

BEGIN = "<!-- gateway-benchmark:begin (written by `python -m bench.run gateway`) -->"
END = "<!-- gateway-benchmark:end -->"
COMMAND = "`.venv/bin/python -m bench.run gateway` (also the third part of `make bench`)"
P95_TARGET_MS = 10.0
BLUEPRINT_MS = 100.0
TARGET_CONCURRENCY = 16
THROUGHPUT_RATIO = 2.0
QUIET_LOAD = 0.5
"""1-minute load average at or below which the machine counts as quiet before the run."""
KEYS = ("floor", "local", "remote")


@dataclass(slots=True)
class Outcome:
    points: list[Point] = field(default_factory=list)
    extras: list[Point] = field(default_factory=list)
    many: ManyConnections | None = None
    unavailable: dict[str, str] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    agreement: list[str] = field(default_factory=list)
    """Max |difference| between servers' probabilities, in words."""
    registry: str = ""
    body_bytes: int = 0
    floor_us: float = 0.0
    load_before: tuple[float, float, float] | None = None
    seconds: float = 0.0
    monitoring_ab: list[str] = field(default_factory=list)
    """The interleaved monitoring on/off A/B, as docs lines (bench/gateway/ab.py)."""


def best(points: Sequence[Point], key: str, concurrency: int) -> Point | None:
    """The configuration of ``key`` with the most complete answers per second at ``concurrency``."""
    candidates = [p for p in points if p.key == key and p.concurrency == concurrency]
    return max(candidates, key=lambda p: p.good_per_s, default=None)


def _ms(p: Point | None) -> str:
    return f"{p.p50_ms:.1f} / {p.p95_ms:.1f} / {p.p99_ms:.1f}" if p else "n/a"


def _rps(p: Point | None) -> str:
    if p is None:
        return "n/a"
    if p.failed:
        return f"{p.good_per_s:,.1f} ({p.requests_per_s:,.1f} with failed)"
    return f"{p.requests_per_s:,.1f}"


def _ratio(a: Point | None, b: Point | None) -> str:
    if a is None or b is None:
        return "n/a"
    if b.good_per_s == 0:
        return "∞ ((c) answered none in full)" if a.good_per_s else "n/a"
    return f"{a.good_per_s / b.good_per_s:.2f}×"


def summary(outcome: Outcome, plan: LoadPlan) -> list[str]:
    rows = [
        "| c | (a) floor req/s | (b) local req/s | (c) HTTP fan-out req/s (best) | (b)/(c) | (b)/(a) "
        "| p50 / p95 / p99 ms (a) | (b) | (c) | (c) best configuration |",
        "|---:|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for c in plan.concurrencies:
        a, b, r = (best(outcome.points, key, c) for key in KEYS)
        rows.append(
            f"| {c} | {_rps(a)} | {_rps(b)} | {_rps(r)} | {_ratio(b, r)} | {_ratio(b, a)} "
            f"| {_ms(a)} | {_ms(b)} | {_ms(r)} | {r.variant if r else 'n/a'} |"
        )
    return rows


def verdicts(outcome: Outcome, plan: LoadPlan) -> list[str]:
    lines = []
    local = best(outcome.points, "local", TARGET_CONCURRENCY)
    if local is None:
        lines.append(f"- (b) at c={TARGET_CONCURRENCY}: **not measured**")
    else:
        failed = f" ({local.failed} failed requests)" if local.failed else ""
        for limit, text in ((P95_TARGET_MS, "issue"), (BLUEPRINT_MS, "blueprint")):
            verdict = "**met**" if local.p95_ms <= limit and not local.failed else "**not met**"
            lines.append(
                f"- (b) p95 ≤ {limit:g} ms at c={TARGET_CONCURRENCY} ({text}): {verdict}: "
                f"p95 {local.p95_ms:.1f} ms{failed}"
            )
    ratios = []
    for c in plan.concurrencies:
        b, r = best(outcome.points, "local", c), best(outcome.points, "remote", c)
        if b is not None and r is not None and b.good_per_s > 0:
            ok = r.good_per_s == 0 or b.good_per_s / r.good_per_s >= THROUGHPUT_RATIO
            ratios.append((c, _ratio(b, r), ok and not b.failed))
    if len(ratios) == len(plan.concurrencies):
        verdict = "**met**" if all(ok for _, _, ok in ratios) else "**not met**"
        detail = ", ".join(f"c={c}: {text}" for c, text, _ in ratios)
        lines.append(
            f"- (b) throughput ≥ {THROUGHPUT_RATIO:g}× (c) at every concurrency: {verdict}: {detail}"
        )
    else:
        lines.append(
            f"- (b) throughput ≥ {THROUGHPUT_RATIO:g}× (c) at every concurrency: **not measured** (no "
            "complete answer from (b), or no point, at some concurrency)"
        )
    lines.append(_many_verdict(outcome.many))
    return lines


def _many_verdict(many: ManyConnections | None) -> str:
    if many is None:
        return "- many connections: **not run**"
    result = many.result
    if result is None:
        return f"- {many.connections:,} connections: **not met**: wrk failed: {many.error}"
    verdict = "**met**" if result.failed == 0 else "**not met**"
    return (
        f"- {many.connections:,} concurrent connections complete with zero errors: {verdict}: "
        f"{result.requests:,} answers, {result.failed} failed, p50 {result.p50_ms / 1e3:.1f} s, "
        f"p99 {result.p99_ms / 1e3:.1f} s"
    )


def many_lines(many: ManyConnections | None) -> list[str]:
    if many is None:
        return []
    limits = many.limits
    lines = [
        f"- load: wrk, 2 threads, {many.connections:,} connections to (b), {many.duration_s:.0f} s, "
        f"request timeout {many.timeout_s:.0f} s",
        f"- limits: open files {limits.open_files:,} for the server and wrk (hard limit {limits.hard:,}"
        f"{'' if limits.holds(many.connections) else ': too low for this many connections'}); "
        f"listen backlog {limits.backlog} (`FORTRESS_GATEWAY__BACKLOG`, capped by net.core.somaxconn "
        f"{limits.somaxconn}), "
        f"tcp_max_syn_backlog {limits.syn_backlog}",
        *_accept_lines(many),
    ]
    result = many.result
    if result is None:
        return [*lines, f"- wrk failed: {many.error}"]
    connect, read, write, timeout = result.socket_errors
    lines += [
        f"- {result.requests:,} answers in the run ({result.requests_per_s:,.1f}/s), p50 "
        f"{result.p50_ms / 1e3:.2f} s, p95 {result.p95_ms / 1e3:.2f} s, p99 {result.p99_ms / 1e3:.2f} s",
        f"- errors: connect {connect}, read {read}, write {write}, timeout {timeout}, degraded answers "
        f"{result.marked}, other non-2xx {result.failed - sum(result.socket_errors) - result.marked}",
    ]
    if connect:
        lines.append(
            f"- **connect errors**: connection attempts that failed; with the accept queue full the kernel "
            f"drops them (listen backlog {limits.backlog}: `FORTRESS_GATEWAY__BACKLOG`)"
        )
    if read:
        lines.append(
            "- **read errors**: wrk found the connection closed or reset (or could not parse the answer) "
            "before the answer arrived; wrk then reconnects, and the new connection waits for the accept "
            "queue again"
        )
    if many.others_cores is not None:
        lines.append(f"- other processes used {many.others_cores:.2f} cores meanwhile")
    return lines


def _accept_lines(many: ManyConnections) -> list[str]:
    lines = []
    if many.peak_open_fds is not None:
        lines.append(
            f"- the server held at most {many.peak_open_fds:,} open file descriptors (≈ accepted "
            f"connections), sampled every second"
        )
    full, samples = many.full_samples
    if many.peak_accept_queue is not None:
        lines.append(
            f"- its fullest accept queue (one per worker process) peaked at {many.peak_accept_queue:,} "
            f"waiting connections (limit {many.limits.backlog} each) and was full in {full} of "
            f"{samples} samples"
        )
    if many.listen_overflows is not None:
        lines.append(
            f"- the kernel dropped {many.listen_overflows:,} connection attempts meanwhile because an "
            "accept queue was full (TcpExt ListenOverflows; clients retry after 1, 3, 7, … s)"
        )
    return lines


def detail(points: Sequence[Point]) -> list[str]:
    rows = [
        "| server | c | req/s | complete req/s | p50 ms | p95 ms | p99 ms | requests | failed "
        "| others' CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in points:
        others = f"{p.others_cores:.2f}" if p.others_cores is not None else "?"
        rows.append(
            f"| {p.label} | {p.concurrency} | {p.requests_per_s:,.1f} | {p.good_per_s:,.1f} | {p.p50_ms:.2f} "
            f"| {p.p95_ms:.2f} | {p.p99_ms:.2f} | {p.requests:,} | {p.failed:,} | {others} |"
        )
    return rows


def noise(outcome: Outcome) -> list[str]:
    lines = []
    if outcome.load_before is not None:
        one, five, _ = outcome.load_before
        quiet = "quiet" if one <= QUIET_LOAD else "**not quiet**"
        lines.append(f"- load average before the run: {one:.2f} (1 min), {five:.2f} (5 min): {quiet}")
    noisy = [p for p in [*outcome.points, *outcome.extras] if (p.others_cores or 0.0) >= QUIET_CORES]
    if noisy:
        worst = max(p.others_cores or 0.0 for p in noisy)
        lines.append(
            f"- **noise**: other processes used ≥ {QUIET_CORES} cores during {len(noisy)} points (up to "
            f"{worst:.2f} of {os.cpu_count()} cores): those figures are low; see the last column below"
        )
    return lines


def render(outcome: Outcome, plan: LoadPlan) -> str:
    lines = [BEGIN, "", "## Gateway benchmark", "", *INTRO, "", "### Measured (last run)", ""]
    lines += [f"- {fact}" for fact in machine_facts()]
    lines += [
        f"- registry: {outcome.registry}",
        f"- request: the example investigation, {outcome.body_bytes:,} bytes of JSON; the floor's work "
        f"in-process (12 encodes + 12 ONNX Runtime calls, 1 thread): {outcome.floor_us / 1e3:.2f} ms",
        f"- load: wrk, 1 thread, c connections, 127.0.0.1; {plan.warmup_s:g} s warm-up then "
        f"{plan.duration_s:g} s per point, request timeout {plan.timeout_s:g} s; {plan.rounds} round(s), "
        f"best kept; this run took {outcome.seconds / 60:.1f} min",
        f"- reproduce: {COMMAND}",
        *noise(outcome),
        "",
        *summary(outcome, plan),
        "",
        "Targets:",
        "",
        *verdicts(outcome, plan),
        "",
        "Answers checked before loading:",
        "",
        *[f"- {line}" for line in outcome.agreement],
        *[f"- {key} unavailable: {why}" for key, why in outcome.unavailable.items()],
        *[f"- failed: {text}" for _, text in outcome.failures],
        "",
    ]
    if outcome.many is not None:
        lines += [f"{outcome.many.connections:,} concurrent connections:", "", *many_lines(outcome.many), ""]
    if outcome.monitoring_ab:
        lines += [
            "Monitoring cost (bench/gateway/ab.py: interleaved pairs at c=16, order reversed each pair):",
            "",
        ]
        lines += [*outcome.monitoring_ab, ""]
    lines += ["Every point measured:", "", *detail([*outcome.points, *outcome.extras]), ""]
    lines += ["### How to read it", "", *HOW_TO_READ, "", END]
    return "\n".join(lines) + "\n"


INTRO = [
    "`python -m bench.run gateway [--help]` sends the realistic twelve-model investigation",
    "(`fortress.gateway.example.example_investigation` over the twelve champions: the body `fortress up`",
    "writes to `example-investigation.json`, with `cache_enabled: false`) to three servers on this machine,",
    "under the same wrk load, in one run:",
    "",
    "| | server | per request |",
    "|---|---|---|",
    "| (a) | **floor**: uvicorn + one Starlette route (`bench/gateway/floor_app.py`), as many worker "
    "processes as (b), each on its own listening socket as (b)'s are | `orjson.loads`, "
    "then for each model `encode_records(spec, [record])` and its ONNX Runtime session "
    "(`intra_op_num_threads=1`), one after another; the twelve probability rows as JSON |",
    "| (b) | **`fortress up --no-train`**, local backend (default), default workers (one per CPU core) "
    "| the gateway: validation, routing, the "
    "twelve models in-process, ensemble vote, audit event (file), metrics |",
    "| (c) | **`fortress up --no-train`** with every model on the `tfserving` backend, calling "
    "**`fortress serve --rest-port P --grpc-port 0`** | the blueprint's design: the gateway calls each "
    "model over HTTP (TF Serving REST); both use their default worker counts and share the machine |",
    "",
    "- **Registry**: the twelve reference models trained by `fortress train` (real datasets from",
    "  `../shared/datasets` when present, else the simulator; `--datasets-dir`, `--simulator`) into",
    "  `~/.cache/fortress-bench/gateway-home-<key>/`, reused while the catalog, training, datasets and",
    "  registry code and the data are unchanged; `--home DIR` uses an existing `FORTRESS_HOME` instead.",
    "  The floor loads the same champions, exported to ONNX files.",
    "- **Checks**: before loading, each server's answer is compared with ONNX Runtime's probabilities",
    f"  computed in-process (tolerance {ANSWER_TOLERANCE:g}), and (b) with (c) directly; a degraded",
    "  gateway answer fails the check.",
    "- **Load**: wrk, one thread, c = 1, 16, 64 connections, warm-up then a measured spell per point, all",
    "  servers up at once and measured in turn at each concurrency, `--rounds` rounds (default 2, the",
    "  second in reverse order), best round kept; before each point the run waits (up to 5 s) for a",
    "  quiet second of the whole machine. Percentiles p50/p95/p99 come from wrk's histogram via a Lua",
    "  `done` hook.",
    '  **Failed** = non-2xx + socket errors + 200 answers with `"degraded":true` (some model gave no',
    "  answer: timed out or its circuit was open); **complete req/s** leaves failed requests out and is",
    "  the throughput compared.",
    "- **(c) configurations**: the gateway's defaults (1 s per backend call, 2 s per model, circuit",
    f"  opens after 5 failed calls) and with {LONG_TIMEOUT_S:g} s timeouts (no call cut off: the design's",
    '  capacity); "(c) best" is, per concurrency, the one with more complete answers per second.',
    "- **Extra rows** at c=16, for information: (b) with `cache_enabled: true` (after the first request",
    "  the result cache answers); (b) sent the same investigation with the image as base64 float32",
    '  (`{"b64": ...}`, docs/GATEWAY.md) instead of 3,072 JSON numbers (same model inputs, same answers).',
    "- **Many connections**: wrk with 2 threads and 10,000 connections against (b); wrk's timeout is three",
    "  times the wait Little's law predicts (10,000 / (b)'s complete req/s at c=64, at least 10 s) and the",
    "  run lasts twice that timeout (10 to 180 s), so a request left waiting past the timeout is counted",
    "  (`--c10k-*` options); file-descriptor limits raised for the server's processes (`prlimit`) and",
    "  wrk; the server's open descriptors, its accept queue and the kernel's ListenOverflows counter are",
    "  recorded.",
    "- **Targets** (issue): (b) p95 ≤ 10 ms at c=16 (the blueprint promises < 100 ms); (b) throughput",
    "  ≥ 2× (c); 10,000 concurrent connections complete with zero errors (and their p99 reported). A",
    "  missed target does not fail the command (it exits non-zero only if (a), (b) or (c) could not be",
    "  measured).",
]

HOW_TO_READ = [
    "wrk is closed-loop: each connection sends its next request when the previous answer arrives, so once",
    "a server is saturated its throughput stays flat and latency grows with c (p50 ≈ c / throughput); an",
    "open-loop client would see longer tails. (a) is the cost of the work itself behind the same HTTP",
    "stack, with as many processes as (b): (b)/(a) shows what the gateway's own work (validation,",
    "routing, vote, audit, metrics) costs on top. (b)/(c) is the issue's throughput target: the in-",
    "process design against the HTTP fan-out on the same cores. Compare complete answers: under overload",
    "(c)'s circuit opens and fails fast, so its raw req/s can look high while most answers are degraded.",
    '"Others\' CPU" is the CPU used meanwhile by processes other than the server(s) under test and wrk; on',
    "this shared 2-core machine a point with others near 1 core measured the server on about half the",
    "machine. The many-connections test keeps N requests in flight, so by Little's law each waits about N",
    "/ throughput: its latencies are a queueing figure, not a service time; zero errors means every",
    "connection was accepted and every request answered in full within the timeout.",
]


def write_docs(path: Path, section: str) -> None:
    replace_section(path, section, BEGIN, END)
