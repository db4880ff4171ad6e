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
    from fortress.ops.cost import Allocation, PriceBook, report
    from fortress.ops.cost_prometheus import from_prometheus
    from fortress.ops.cost_usage import measure

    if (metrics is None) == (prometheus is None):
        raise InvalidInput("give exactly one of --metrics URL and --prometheus URL")
    settings = load_settings()
    book = PriceBook.load(prices)
    allocation = Allocation(vcpus if vcpus is not None else float(os.cpu_count() or 1), memory_gib)
    headers = {"X-API-Key": api_key} if api_key else {}
    del settings  # read for its warnings on unknown FORTRESS_ variables
    estimated: list[str] = []
    if prometheus is not None:  # the gateway's key is not Prometheus's: nothing is sent to it
        usage, estimated = from_prometheus(prometheus, seconds(window or "24h"))
        source = {"prometheus": prometheus}
    else:
        usage = measure(str(metrics), seconds(window or "60s"), headers, progress)
        source = {"metrics": str(metrics)}
    body = report(usage, book, allocation)
    body["source"], body["estimated"] = source, estimated
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
    if estimated:
        typer.echo(f"estimated with increase() (counter reset in the window): {', '.join(estimated)}")
    for model, member in body["members"].items():
        share = member["cost_per_1k_investigations"]
        typer.echo(
            f"  {model:<20} {member['inferences']:>8g} inferences  {member['compute_share']:6.1%} of compute"
            + (f"  {share:.6f} per 1k" if share is not None else "")
        )
    for line in body["recommendations"]:
        typer.echo(f"recommendation: {line}")
