"""Start every server under test, check each answers the model's probabilities, then load them in
rounds: at each concurrency every server in turn, so that drift of the machine hits all alike.
A point's figure is its best round (interference only ever slows a server down)."""

from __future__ import annotations

import contextlib
import json
import re
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.serving import cpu
from bench.serving.processes import Server, running
from bench.serving.targets import Target
from bench.serving.wrk import TIMEOUT_S, WrkError, run_wrk, write_post_script

ANSWER_TOLERANCE = 1e-5
_BATCH_ROWS = re.compile(r"^fortress_batch_rows_(sum|count)\{[^}]*\}\s+([\d.eE+-]+)$", re.MULTILINE)
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class LoadPlan:
    concurrencies: tuple[int, ...] = (1, 16, 64)
    warmup_s: float = 2.0
    duration_s: float = 10.0
    rounds: int = 2
    timeout_s: float = TIMEOUT_S
    """wrk's per-request timeout: a slower request counts as failed."""


@dataclass(frozen=True, slots=True)
class Job:
    target: Target
    concurrencies: tuple[int, ...]
    extra: bool = False
    """Reported apart from the three-way comparison."""
    companions: tuple[int, ...] = ()
    """Process groups (already running) that serve this target's requests too, e.g. the model server
    a gateway calls: their CPU counts as the target's, not as other processes' noise."""


@dataclass(frozen=True, slots=True)
class Point:
    key: str
    label: str
    variant: str
    concurrency: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failed: int
    requests: int
    mean_batch_rows: float | None = None
    others_cores: float | None = None
    """CPU used meanwhile by processes other than this server and wrk (a shared machine's noise)."""
    extra: bool = False

    @property
    def good_per_s(self) -> float:
        """Requests per second that did not fail (all of them when none failed)."""
        if not self.requests:
            return 0.0
        return self.requests_per_s * max(0, self.requests - self.failed) / self.requests


@dataclass(frozen=True, slots=True)
class Live:
    job: Job
    server: Server
    script: Path


class AnswerMismatch(RuntimeError):
    pass


def fetch_answer(server: Server, target: Target) -> list[float]:
    """One request by hand; the answer decoded by the target (a non-200 answer raises)."""
    request = urllib.request.Request(
        server.base_url + target.predict_path,
        data=target.body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return target.decode(json.loads(response.read()))


def check_answer(server: Server, target: Target, expected: Sequence[float]) -> None:
    """The server must answer 200 with the expected probabilities (the model's, for the row)."""
    got = fetch_answer(server, target)
    if len(got) != len(expected) or max(abs(a - b) for a, b in zip(got, expected, strict=True)) > (
        ANSWER_TOLERANCE
    ):
        raise AnswerMismatch(f"{target.label} answered {got}, expected {list(expected)}")


def start_all(
    jobs: Sequence[Job],
    expected: Sequence[float],
    stack: contextlib.ExitStack,
    workdir: Path,
    progress: Progress,
    failures: list[tuple[str, str]],
    errors: tuple[type[BaseException], ...],
) -> list[Live]:
    """Start each job's server inside ``stack`` (stopped when it closes); a server that does not come up
    or answers wrongly is stopped at once and recorded in ``failures``."""
    live = []
    for job in jobs:
        target = job.target
        progress(f"{target.label}: starting")
        inner = contextlib.ExitStack()
        try:
            server = inner.enter_context(
                running(
                    target.label,
                    target.argv,
                    port=target.port,
                    ready_path=target.ready_path,
                    log=workdir / f"{target.key}-{target.port}.log",
                    env=target.env,
                    cwd=target.cwd,
                    progress=progress,
                )
            )
            check_answer(server, target, expected)
        except errors as exc:
            inner.close()
            progress(f"  FAILED: {exc}")
            failures.append((target.key, f"{target.label}: {str(exc).splitlines()[0]}"))
            continue
        stack.push(inner)
        script = write_post_script(workdir / f"{target.key}-{target.port}.lua", target.body, target.marker)
        live.append(Live(job, server, script))
    return live


def run_rounds(
    live: Sequence[Live], plan: LoadPlan, progress: Progress, failures: list[tuple[str, str]]
) -> list[Point]:
    """Every (server, concurrency) point ``plan.rounds`` times, servers alternating in order; the best
    round of each point, in job order."""
    best: dict[tuple[int, int], Point] = {}
    levels = sorted({c for entry in live for c in entry.job.concurrencies})
    for round_number in range(plan.rounds):
        order = list(live) if round_number % 2 == 0 else list(reversed(live))
        for concurrency in levels:
            progress(f"round {round_number + 1}/{plan.rounds}, c={concurrency}")
            for entry in order:
                if concurrency not in entry.job.concurrencies:
                    continue
                try:
                    point = _point(entry, concurrency, plan)
                except (WrkError, OSError) as exc:
                    progress(f"  {entry.job.target.label}: FAILED: {exc}")
                    failures.append(
                        (entry.job.target.key, f"{entry.job.target.label} c={concurrency}: {exc}")
                    )
                    continue
                progress(f"  {_describe(point)}")
                key = (live.index(entry), concurrency)
                if key not in best or _better(point, best[key]):
                    best[key] = point
    return [best[key] for key in sorted(best)]


def _better(new: Point, old: Point) -> bool:
    if (new.failed == 0) != (old.failed == 0):
        return new.failed == 0
    return new.good_per_s > old.good_per_s


def _batch_rows(server: Server) -> tuple[float, float]:
    with urllib.request.urlopen(server.base_url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    totals = {"sum": 0.0, "count": 0.0}
    for kind, value in _BATCH_ROWS.findall(text):
        totals[kind] += float(value)
    return totals["sum"], totals["count"]


def _point(entry: Live, concurrency: int, plan: LoadPlan) -> Point:
    target, server = entry.job.target, entry.server
    url = server.base_url + target.predict_path
    groups = (server.pid, *entry.job.companions)
    # A quiet second of the whole machine first, these servers included: work left over from the
    # previous point (a model server still answering calls its gateway gave up on) must not overlap.
    cpu.wait_for_quiet(())
    run_wrk(url, entry.script, concurrency, plan.warmup_s, timeout_s=plan.timeout_s)
    before = _batch_rows(server) if target.scrape_batches else None
    started = cpu.sample(groups)
    result = run_wrk(url, entry.script, concurrency, plan.duration_s, timeout_s=plan.timeout_s)
    others = cpu.others_cores(started, cpu.sample(groups))
    mean = None
    if before is not None:
        after = _batch_rows(server)
        batches = after[1] - before[1]
        mean = (after[0] - before[0]) / batches if batches else None
    return Point(
        key=target.key,
        label=target.label,
        variant=target.variant,
        concurrency=concurrency,
        requests_per_s=result.requests_per_s,
        p50_ms=result.p50_ms,
        p95_ms=result.p95_ms,
        p99_ms=result.p99_ms,
        failed=result.failed,
        requests=result.requests,
        mean_batch_rows=mean,
        others_cores=others,
        extra=entry.job.extra,
    )


def _describe(point: Point) -> str:
    text = f"{point.label}: {point.requests_per_s:,.0f} req/s, p50 {point.p50_ms:.2f} ms, "
    text += f"p95 {point.p95_ms:.2f} ms, p99 {point.p99_ms:.2f} ms"
    if point.mean_batch_rows is not None:
        text += f", {point.mean_batch_rows:.1f} rows/batch"
    if point.others_cores is not None:
        text += f" (others used {point.others_cores:.2f} cores)"
    if point.failed:
        text += f"  FAILED {point.failed}"
    return text
