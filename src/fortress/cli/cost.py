"""``fortress cost report``: what serving costs, from the gateway's own metrics (docs/OPERATIONS.md)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated

import typer

from fortress.cli.common import load_settings, progress
from fortress.errors import InvalidInput

app = typer.Typer(help="Serving cost from measured metrics.", no_args_is_help=True)
DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(text: str) -> float:
    found = DURATION.match(text.strip())
    if not found:
        raise InvalidInput(f"--window must look like 30s, 5m, 1h or 1d, got {text!r}")
    return float(found.group(1)) * UNITS[found.group(2)]


@app.command("report")
def report_command(
    metrics: Annotated[
        str | None, typer.Option("--metrics", help="The gateway's /metrics URL (scraped twice).")
    ] = None,
    prometheus: Annotated[
        str | None, typer.Option("--prometheus", help="A Prometheus that scraped the gateway (base URL).")
    ] = None,
    window: Annotated[
        str | None,
        typer.Option(
            "--window",
            help="--metrics: how long to measure (default 60s); --prometheus: how far back (default 24h).",
        ),
    ] = None,
    prices: Annotated[Path | None, typer.Option("--prices", help="Price file (JSON or YAML).")] = None,
    vcpus: Annotated[
        float | None, typer.Option("--vcpus", min=0.001, help="Allocated vCPUs (default: this machine's).")
    ] = None,
    memory_gib: Annotated[float, typer.Option("--memory-gib", min=0, help="Allocated memory, GiB.")] = 1.0,
    inference_log: Annotated[
        Path | None,
        typer.Option("--inference-log", help="Parquet inference log to read (default: the home's)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="FORTRESS_API_KEY",
            show_envvar=True,
            hidden=True,
            help="Admin key, when /metrics needs one.",
        ),
    ] = None,
) -> None:
    """Measure the gateway for --window, price it, and print cost per 1k investigations and advice."""
    from fortress.cli.ops_wiring import ensemble_verdict, inference_log_dir, served_specs
    from fortress.ops.contribution import from_log
    from fortress.ops.cost import Allocation, PriceBook, report
    from fortress.ops.cost_prometheus import from_prometheus
    from fortress.ops.cost_usage import measure

    if (metrics is None) == (prometheus is None):
        raise InvalidInput("give exactly one of --metrics URL and --prometheus URL")
    settings = load_settings()
    book = PriceBook.load(prices)
    allocation = Allocation(vcpus if vcpus is not None else float(os.cpu_count() or 1), memory_gib)
    headers = {"X-API-Key": api_key} if api_key else {}
    resets: list[str] = []
    if prometheus is not None:  # the gateway's key is not Prometheus's: nothing is sent to it
        usage, resets = from_prometheus(prometheus, seconds(window or "24h"))
        source = {"prometheus": prometheus}
    else:
        usage = measure(str(metrics), seconds(window or "60s"), headers, progress)
        source = {"metrics": str(metrics)}
    log = inference_log if inference_log is not None else inference_log_dir(settings)
    if inference_log is not None and not inference_log.is_dir():
        raise InvalidInput(f"--inference-log: no such folder: {inference_log}")
    contribution = from_log(log, usage.window_s, served_specs(settings), ensemble_verdict(settings))
    body = report(usage, book, allocation, contribution)
    body["source"], body["resets"] = source, resets
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    per_1k = body["cost_per_1k_investigations"]
    typer.echo(
        f"window {body['window_s']:.1f} s: {body['investigations']:g} investigations, "
        f"{body['inferences']:g} inferences, utilization {body['utilization']:.1%}"
    )
    typer.echo(
        f"cost {body['cost']['total']:.6f} {book.currency} "
        f"({allocation.vcpus:g} vCPU, {allocation.memory_gib:g} GiB; {book.source})"
    )
    if per_1k is not None:
        typer.echo(f"per 1k investigations: {per_1k:.6f} {book.currency}")
    if body["cost_per_inference"] is not None:
        typer.echo(
            f"per inference: {body['cost_per_inference']:.8f} {book.currency} "
            f"(blueprint: {body['blueprint_cost_per_inference']})"
        )
    if resets:
        typer.echo(
            f"reset in the window (a restarted gateway; counts since its last scrape before it are lost): "
            f"{', '.join(resets)}"
        )
    typer.echo(
        f"  {'model':<20} {'inferences':>10} {'compute':>8} {'per 1k':>10}  verdict changes when dropped "
        f"({contribution['investigations']} logged investigations)"
    )
    for model, member in body["members"].items():
        share = member["cost_per_1k_investigations"]
        changed = member["verdict_change_share"]
        typer.echo(
            f"  {model:<20} {member['inferences']:>10g} {member['compute_share']:>8.1%} "
            + (f"{share:>10.6f}" if share is not None else f"{'-':>10}")
            + (
                f"  {member['verdict_changes_when_dropped']} of {member['logged_investigations']} "
                f"({changed:.1%})"
                if changed is not None
                else "  -"
            )
        )
    for line in body["recommendations"]:
        typer.echo(f"recommendation: {line}")
