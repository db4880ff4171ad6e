"""`python -m bench.run features`: online feature retrieval for one investigation, in-process.

For the SQLite and the Redis online store: a simulated history (60 users, 7 days, ending now) is
applied, ingested and materialized into a temporary repository (Redis: its own Feast project, removed
afterwards); then one investigation's features — every view it needs (user activity, login profile,
user, threat and network features: 5 views, 2 entities) — are looked up many times, and so is the whole
step the gateway adds to a request naming entities (lookup + merge, `gateway/store_features.py`).
Writes the figures into docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.lifecycle import progress, replace_section
from bench.serving.targets import REPO

DOCS = REPO / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- features-benchmark:begin -->", "<!-- features-benchmark:end -->"
TARGET_P99_MS = {"sqlite": 5.0, "redis": 3.0}


@dataclass(frozen=True, slots=True)
class Row:
    store: str
    what: str
    p50_ms: float
    p99_ms: float
    n: int


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    return samples[len(samples) // 2] * 1e3, samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1e3


async def _measure(store: object, entities: dict[str, str], n: int) -> tuple[list[float], list[float]]:
    from fortress.features.views import GROUPS
    from fortress.gateway.schema import InferenceRequest
    from fortress.gateway.store_features import with_store_features

    lookup = store.lookup  # type: ignore[attr-defined]
    groups = sorted(GROUPS)
    request = InferenceRequest(investigation_id="inv-bench", features={"tiny": {"x": 1}}, entities=entities)
    for _ in range(200):  # warm-up
        await lookup(entities, groups)
    lookups, merges = [], []
    for _ in range(n):
        t = time.perf_counter()
        await lookup(entities, groups)
        lookups.append(time.perf_counter() - t)
    for _ in range(n):
        t = time.perf_counter()
        await with_store_features(request, store, groups)  # type: ignore[arg-type]
        merges.append(time.perf_counter() - t)
    return lookups, merges


def _one_store(online: str, redis_url: str, n: int, work: Path) -> list[Row]:
    from fortress.datasets.simulator.events import simulate_events
    from fortress.features.feast_store import FeastFeatureStore
    from fortress.features.offline import read_view
    from fortress.features.operations import apply_repository, ingest, materialize
    from fortress.features.repo import FeatureRepo
    from fortress.features.settings import FeatureSettings, QualityLimits
    from fortress.features.views import NETWORK_FEATURES

    home = work / online
    settings = FeatureSettings(
        online=online,
        redis_url=redis_url,
        project=f"fortress_bench_{uuid.uuid4().hex[:8]}",
        quality={},
        default_quality=QualityLimits(min_rows=0, max_null_ratio=1.0),
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    progress(f"{online}: filling a repository (60 users, 7 days)")
    apply_repository(settings, home)
    ingest(settings, home, simulate_events(60, 7, seed=5, end=now))
    materialize(settings, home, start=now - timedelta(days=30), end=now + timedelta(minutes=1))
    live = read_view(FeatureRepo.at(settings, home), NETWORK_FEATURES).sort_values("event_timestamp").iloc[-1]
    entities = {"user_id": "u0003", "investigation_id": str(live["investigation_id"])}
    store = FeastFeatureStore(settings, home)
    try:
        found = store.lookup_sync(entities, ["user_activity", "network_features"])
        if not found.values.get("user_activity") or not found.values.get("network_features"):
            raise RuntimeError(f"{online}: the filled store does not answer: {found.to_dict()}")
        lookups, merges = asyncio.run(_measure(store, entities, n))
    finally:
        asyncio.run(store.aclose())
        if online == "redis":
            FeatureRepo.at(settings, home).open().teardown()  # type: ignore[no-untyped-call]
    return [
        Row(online, "lookup: 5 views, 2 entities", *_percentiles(lookups), n),
        Row(online, "added to a gateway request (lookup + merge)", *_percentiles(merges), n),
    ]


def render(rows: list[Row], seconds: float) -> str:
    lines = [
        BEGIN,
        "## Feature-store benchmark",
        "",
        "`python -m bench.run features` (part of `make bench`): "
        + __doc__.split("\n\n", 1)[1].split("Writes")[0].replace("\n", " ").strip(),
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; in-process, one event loop; "
        f"run took {seconds:.0f} s",
        "",
        "| store | what | p50 ms | p99 ms | samples | target (p99) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        target = TARGET_P99_MS[r.store]
        verdict = (
            f"≤ {target:g} ms: {'met' if r.p99_ms <= target else 'not met'}" if "lookup" in r.what else ""
        )
        lines.append(f"| {r.store} | {r.what} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.n:,} | {verdict} |")
    lines += ["", END, ""]
    return "\n".join(lines)


def write_docs(path: Path, section: str) -> None:
    replace_section(path, section, BEGIN, END)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run features", description=__doc__)
    parser.add_argument("--lookups", type=int, default=3000, help="timed lookups per store")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="fortress-bench-features-"))
    rows: list[Row] = []
    try:
        for online in ("sqlite",) if args.no_redis else ("sqlite", "redis"):
            rows += _one_store(online, args.redis_url, args.lookups, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    section = render(rows, time.monotonic() - started)
    progress(section)
    if not args.no_docs:
        write_docs(args.docs, section)
        progress(f"wrote {args.docs}")
    return 0
