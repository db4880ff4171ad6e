"""`python -m bench.run serving`: the model-server benchmark of issue 3, in one run on this machine.

(a) the floor (uvicorn + Starlette + ONNX Runtime per request), (b) `fortress serve` (TF Serving REST
predict), (c) MLServer's scikit-learn runtime with adaptive batching off and on, same model, same row,
same wrk load at each concurrency. Writes the figures into docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from pathlib import Path

from bench.lifecycle import progress, run_and_report
from bench.serving import targets
from bench.serving.measure import AnswerMismatch, Job, LoadPlan, run_rounds, start_all
from bench.serving.mlserver_env import DEFAULT_VENV, ensure_mlserver
from bench.serving.model import ModelArtifacts, prepare_model
from bench.serving.processes import ServerError, free_port
from bench.serving.report import Outcome, render, write_docs

DOCS = targets.REPO / "docs" / "BENCHMARKS.md"
MLSERVER_CONFIGS = (
    targets.MlserverConfig("batching off (defaults)"),
    targets.MlserverConfig("adaptive batching 64 rows / 1 ms", 64, 0.001),
    targets.MlserverConfig("batching off, inference in the server process", parallel_workers=0),
    targets.MlserverConfig("adaptive batching 64 rows / 1 ms, in the server process", 64, 0.001, 0),
)
"""MLServer's defaults run inference in one worker process (``parallel_workers=1``); on 2 cores running
it in the server process (0) measured faster, so both are tried and the best point per concurrency
is the one compared."""
EXTRA_CONCURRENCY = 64
START_ERRORS = (ServerError, AnswerMismatch, OSError, ValueError, KeyError, subprocess.SubprocessError)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run serving", description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per point")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of discarded load first")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated wrk connections")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each point (best kept)")
    parser.add_argument("--no-mlserver", action="store_true", help="skip (c)")
    parser.add_argument("--no-extras", action="store_true", help="skip the 2-worker and batching-off rows")
    parser.add_argument("--mlserver-venv", type=Path, default=DEFAULT_VENV, help="MLServer's own venv")
    parser.add_argument("--docs", type=Path, default=DOCS, help="Markdown file to update")
    parser.add_argument("--no-docs", action="store_true", help="print the report only")
    return parser.parse_args(argv)


def _serve_flags() -> str | None:
    """`fortress serve --help` text, or None while the command does not exist."""
    fortress = Path(sys.executable).with_name("fortress")
    done = subprocess.run(
        [str(fortress), "serve", "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    return done.stdout if done.returncode == 0 else None


def _mlserver_jobs(outcome: Outcome, model: ModelArtifacts, work: Path, venv: Path) -> list[Job]:
    try:
        executable, outcome.mlserver_versions = ensure_mlserver(venv, progress)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        progress(f"MLServer unavailable: {exc}")
        outcome.unavailable["mlserver"] = f"its venv could not be built ({str(exc).splitlines()[0]})"
        return []
    jobs = []
    for number, config in enumerate(MLSERVER_CONFIGS):
        ports = (free_port(), free_port(), free_port())
        target = targets.mlserver(model, executable, work / f"mlserver-{number}", config, ports)
        jobs.append(Job(target, ()))
    return jobs


def _extra_jobs(model: ModelArtifacts, serve_help: str | None) -> list[Job]:
    extras = [targets.floor(model, free_port(), cached=True), targets.floor(model, free_port(), workers=2)]
    if serve_help is not None:
        if "--workers" in serve_help:
            extras.append(targets.fortress(model, free_port(), workers=2))
        always = "every request through the batcher: INLINE_BELOW_US=0"
        extras.append(targets.fortress(model, free_port(), settings=targets.ALWAYS_BATCHER, variant=always))
        off = "batching off: MAX_BATCH_SIZE=1"
        extras.append(targets.fortress(model, free_port(), settings=targets.BATCHING_OFF, variant=off))
    return [Job(target, (EXTRA_CONCURRENCY,), extra=True) for target in extras]


def _jobs(args: argparse.Namespace, outcome: Outcome, model: ModelArtifacts, work: Path) -> list[Job]:
    jobs = [Job(targets.floor(model, free_port()), ())]
    serve_help = _serve_flags()
    if serve_help is None:
        progress("(b) pending: `fortress serve` does not exist yet")
        outcome.unavailable["fortress"] = "pending: `fortress serve` is not available in this checkout"
    else:
        jobs.append(Job(targets.fortress(model, free_port()), ()))
    if args.no_mlserver:
        outcome.unavailable["mlserver"] = "skipped (--no-mlserver)"
    else:
        jobs += _mlserver_jobs(outcome, model, work, args.mlserver_venv)
    if not args.no_extras:
        jobs += _extra_jobs(model, serve_help)
    return jobs


def _benchmark(args: argparse.Namespace, plan: LoadPlan, work: Path) -> Outcome:
    outcome = Outcome()
    model = prepare_model(work / "home", progress)
    outcome.model_cost = (
        f"{model.name}; ONNX Runtime in-process, 1 thread: {model.batch1_us:.0f} µs per call at batch 1, "
        f"{model.batch64_us_per_row:.1f} µs per row at batch 64"
    )
    jobs = [
        job if job.concurrencies else Job(job.target, plan.concurrencies, job.extra)
        for job in _jobs(args, outcome, model, work)
    ]
    with contextlib.ExitStack() as stack:
        live = start_all(jobs, model.expected, stack, work, progress, outcome.failures, START_ERRORS)
        points = run_rounds(live, plan, progress, outcome.failures)
        progress("stopping every server")
    outcome.points = [p for p in points if not p.extra]
    outcome.extras = [p for p in points if p.extra]
    return outcome


def main(argv: list[str]) -> int:
    args = _parse(argv)
    concurrencies = tuple(int(c) for c in args.concurrency.split(","))
    plan = LoadPlan(concurrencies, args.warmup, args.duration, max(1, args.rounds))
    return run_and_report(
        prefix="fortress-bench-",
        benchmark=lambda work: _benchmark(args, plan, work),
        render=lambda outcome: render(outcome, plan),
        write_docs=write_docs,
        docs=None if args.no_docs else args.docs,
        required={"floor", "fortress"},
    )
