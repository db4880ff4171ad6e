"""`python -m bench.run gateway`: the twelve-model investigation through the gateway, in one run.

(a) the floor (uvicorn + Starlette, twelve ONNX Runtime calls in turn), (b) `fortress up` with the local
backend, (c) `fortress up` calling `fortress serve` over HTTP for every model; same body, same wrk load
at each concurrency; then 10,000 concurrent connections against (b). Writes docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
from pathlib import Path

from bench.gateway import ab, targets
from bench.gateway.connections import plan as many_plan
from bench.gateway.connections import run_many
from bench.gateway.ensemble import Ensemble, prepare
from bench.gateway.report import TARGET_CONCURRENCY, Outcome, render, write_docs
from bench.lifecycle import progress, run_and_report
from bench.serving.measure import (
    ANSWER_TOLERANCE,
    AnswerMismatch,
    Job,
    Live,
    LoadPlan,
    Point,
    fetch_answer,
    run_rounds,
    start_all,
)
from bench.serving.processes import Server, ServerError, free_port, running
from bench.serving.targets import REPO

DOCS = REPO / "docs" / "BENCHMARKS.md"
DATASETS = REPO.parent / "shared" / "datasets"
START_ERRORS = (ServerError, AnswerMismatch, OSError, ValueError, KeyError, subprocess.SubprocessError)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run gateway", description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per point")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of discarded load first")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated wrk connections")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each point (best kept)")
    parser.add_argument("--timeout", type=float, default=30.0, help="wrk's per-request timeout, seconds")
    parser.add_argument(
        "--no-extras", action="store_true", help="skip (c) with long timeouts and the cache and base64 rows"
    )
    parser.add_argument("--c10k-connections", type=int, default=10_000, help="connections of that test")
    parser.add_argument(
        "--c10k-duration", type=float, default=0.0, help="its seconds (0: twice connections / throughput)"
    )
    parser.add_argument(
        "--c10k-max-duration", type=float, default=180.0, help="upper bound of the auto duration"
    )
    parser.add_argument("--no-c10k", action="store_true", help="skip the many-connections test")
    parser.add_argument(
        "--ab-only", action="store_true", help="only the monitoring A/B: (b) and its twin, nothing written"
    )
    parser.add_argument(
        "--ab-off",
        help="with --ab-only: the twin's FORTRESS_ settings, VAR=VALUE,... (default: monitoring off)",
    )
    parser.add_argument(
        "--ab-rounds", type=int, default=6, help="interleaved pairs of the monitoring A/B at c=16 (0: skip)"
    )
    parser.add_argument(
        "--home", type=Path, help="an existing trained FORTRESS_HOME (default: cached, trained once)"
    )
    parser.add_argument("--datasets-dir", type=Path, help=f"real datasets to train on (default: {DATASETS})")
    parser.add_argument("--simulator", action="store_true", help="train on the simulator instead")
    parser.add_argument("--docs", type=Path, default=DOCS, help="Markdown file to update")
    parser.add_argument("--no-docs", action="store_true", help="print the report only")
    return parser.parse_args(argv)


def _datasets(args: argparse.Namespace) -> Path | None:
    if args.simulator:
        return None
    if args.datasets_dir is not None:
        return Path(args.datasets_dir).resolve()
    return DATASETS.resolve() if DATASETS.is_dir() else None


def _jobs(
    ensemble: Ensemble, work: Path, serve: Server | None, plan: LoadPlan, extras: bool, ab_rounds: int
) -> list[Job]:
    jobs = [
        Job(targets.floor(ensemble, free_port()), plan.concurrencies),
        Job(targets.local(ensemble, free_port(), work), plan.concurrencies),
    ]
    if serve is not None:
        for patient in (False, True) if extras else (False,):
            target = targets.remote(ensemble, free_port(), serve.base_url, work, patient=patient)
            jobs.append(Job(target, plan.concurrencies, companions=(serve.pid,)))
    if extras:
        for extra in (targets.local_cached, targets.local_binary):
            jobs.append(Job(extra(ensemble, free_port(), work), (TARGET_CONCURRENCY,), extra=True))
    if ab_rounds:
        jobs.append(Job(ab.monitoring_off(ensemble, free_port(), work), (), extra=True))
    return jobs


def _agreement(live: list[Live]) -> list[str]:
    """Max |difference| of the first (a), (b) and (c) answers, pairwise with (b)."""
    answers: dict[str, list[float]] = {}
    for entry in live:
        key = entry.job.target.key
        if key in ("floor", "local", "remote") and key not in answers:
            answers[key] = fetch_answer(entry.server, entry.job.target)
    lines = []
    for other, name in (("remote", "(c)"), ("floor", "(a)")):
        if "local" in answers and other in answers:
            gap = max(abs(x - y) for x, y in zip(answers["local"], answers[other], strict=True))
            verdict = "agree" if gap <= ANSWER_TOLERANCE else "DIFFER"
            lines.append(
                f"(b) vs {name}: max |difference| {gap:.1e} over {len(answers['local'])} probabilities: "
                f"{verdict} (tolerance {ANSWER_TOLERANCE:g})"
            )
    return lines


def _many(live: list[Live], points: list[Point], args: argparse.Namespace, outcome: Outcome) -> None:
    entry = next((e for e in live if e.job.target.key == "local"), None)
    if entry is None:
        outcome.unavailable["many connections"] = "(b) is not running"
        return
    top = [p for p in points if p.key == "local" and p.concurrency == max(entry.job.concurrencies)]
    throughput = top[0].good_per_s if top and top[0].good_per_s > 0 else None
    connections = args.c10k_connections
    duration, timeout = many_plan(connections, throughput, args.c10k_duration, args.c10k_max_duration)
    progress(f"{connections:,} connections against (b) for {duration:.0f} s (wrk timeout {timeout:.0f} s)")
    url = entry.server.base_url + entry.job.target.predict_path
    outcome.many = run_many(entry.server, url, entry.script, connections, duration, timeout)
    result = outcome.many.result
    if result is None:
        progress(f"  FAILED: {outcome.many.error}")
    else:
        progress(
            f"  {result.requests:,} answers, {result.failed} failed, p50 {result.p50_ms / 1e3:.2f} s, "
            f"p99 {result.p99_ms / 1e3:.2f} s, server held {outcome.many.peak_open_fds} fds at most"
        )


def _benchmark(args: argparse.Namespace, plan: LoadPlan, work: Path) -> Outcome:
    outcome = Outcome(load_before=os.getloadavg())
    ensemble = prepare(args.home, _datasets(args), work, progress)
    versions = ", ".join(f"{n} v{v}" for n, v in ensemble.versions.items())
    when = "reused from the cache" if ensemble.home.reused else "trained in this run, just before measuring"
    outcome.registry = f"trained on {ensemble.home.data} ({when}); champions {versions}"
    outcome.body_bytes, outcome.floor_us = len(ensemble.body), ensemble.floor_us
    with contextlib.ExitStack() as stack:
        serve = _start_model_server(ensemble, work, stack, outcome)
        jobs = _jobs(ensemble, work, serve, plan, not args.no_extras, args.ab_rounds)
        live = start_all(jobs, ensemble.expected, stack, work, progress, outcome.failures, START_ERRORS)
        try:
            outcome.agreement = _agreement(live)
        except START_ERRORS as exc:
            outcome.agreement = [f"could not compare the answers: {exc}"]
        points = run_rounds(live, plan, progress, outcome.failures)
        outcome.monitoring_ab = ab.report(ab.interleaved(live, args.ab_rounds, plan, progress))
        if not args.no_c10k:
            _many(live, points, args, outcome)
        progress("stopping every server")
    outcome.points = [p for p in points if not p.extra]
    outcome.extras = [p for p in points if p.extra]
    return outcome


def _start_model_server(
    ensemble: Ensemble, work: Path, stack: contextlib.ExitStack, outcome: Outcome
) -> Server | None:
    """`fortress serve` for (c), with every model loaded (stopped when ``stack`` closes); None if it
    could not start."""
    port = free_port()
    argv, env = targets.model_server(ensemble, port)
    name = "fortress serve (the model server (c) calls)"
    inner = contextlib.ExitStack()
    try:
        server = inner.enter_context(
            running(
                name,
                argv,
                port=port,
                ready_path="/health/ready",
                log=work / "serve.log",
                env=env,
                progress=progress,
            )
        )
        targets.wait_all_models(server, ensemble.names)
    except START_ERRORS as exc:
        inner.close()
        progress(f"  FAILED: {exc}")
        outcome.unavailable["remote"] = f"{name} did not start: {str(exc).splitlines()[0]}"
        return None
    stack.push(inner)
    return server


def _ab_off(text: str | None) -> dict[str, str] | None:
    """``--ab-off 'FORTRESS_A=x,FORTRESS_B=y'``: the twin's settings (default: all monitoring off)."""
    if not text:
        return None
    return dict(item.split("=", 1) for item in text.split(","))


def _ab_only(args: argparse.Namespace, plan: LoadPlan, work: Path) -> Outcome:
    """(b) and its monitoring-off twin, the interleaved pairs only."""
    outcome = Outcome(load_before=os.getloadavg())
    ensemble = prepare(args.home, _datasets(args), work, progress)
    with contextlib.ExitStack() as stack:
        jobs = [
            Job(targets.local(ensemble, free_port(), work), ()),
            Job(ab.monitoring_off(ensemble, free_port(), work, _ab_off(args.ab_off)), ()),
        ]
        live = start_all(jobs, ensemble.expected, stack, work, progress, outcome.failures, START_ERRORS)
        outcome.monitoring_ab = ab.report(ab.interleaved(live, max(1, args.ab_rounds), plan, progress))
        progress("stopping every server")
    return outcome


def main(argv: list[str]) -> int:
    args = _parse(argv)
    concurrencies = tuple(int(c) for c in args.concurrency.split(","))
    plan = LoadPlan(concurrencies, args.warmup, args.duration, max(1, args.rounds), args.timeout)
    if args.ab_only:
        return run_and_report(
            prefix="fortress-bench-ab-",
            benchmark=lambda work: _ab_only(args, plan, work),
            render=lambda outcome: "\n".join(["Monitoring cost:", "", *outcome.monitoring_ab]),
            write_docs=write_docs,
            docs=None,
            required=set(),
        )
    return run_and_report(
        prefix="fortress-bench-gateway-",
        benchmark=lambda work: _benchmark(args, plan, work),
        render=lambda outcome: render(outcome, plan),
        write_docs=write_docs,
        docs=None if args.no_docs else args.docs,
        required={"floor", "local", "remote"},
    )
