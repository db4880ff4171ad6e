"""``fortress cost report``: the gateway's measured usage priced with a price book, cost per 1k
investigations overall and per ensemble member, and recommendations each with the figure behind it.

Cost model (OpenCost's): what is allocated is paid, used or not: ``vcpus x hours x CPU price +
memory GiB x hours x RAM price``. A member's share of it is its share of the measured compute seconds.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fortress.errors import InvalidInput
from fortress.ops.cost_usage import Usage

BLUEPRINT_PER_INFERENCE = 0.003
"""The blueprint's promised cost per inference (section 8), in dollars."""
BATCH_MIN = 8.0
HIT_RATE_MIN = 0.5
UTILIZATION_MIN = 0.30
COMPUTE_SHARE_MAX = 0.40
COMPUTE_SHARE_NOTABLE = 0.05
"""A member below this share of the compute costs too little to be worth reviewing."""
CHANGE_SHARE_MIN = 0.01
"""A member that changes fewer verdicts than this when dropped adds little for what it costs."""
SAMPLED_NOTE = "whole investigations only when sampled (5% by default) or degraded, every 5 minutes"


@dataclass(frozen=True, slots=True)
class PriceBook:
    cpu_per_vcpu_hour: float = 0.031611
    ram_per_gib_hour: float = 0.004237
    currency: str = "USD"
    source: str = (
        "OpenCost default custom pricing ('Default prices based on GCP us-central1': N2 on-demand "
        "vCPU and RAM rates), read 2026-12-04"
    )

    @classmethod
    def load(cls, path: Path | None) -> PriceBook:
        if path is None:
            return cls()
        try:
            body = json.loads(path.read_text(encoding="utf-8")) if path.suffix == ".json" else _yaml(path)
            return cls(**body)
        except (OSError, ValueError, TypeError) as exc:
            raise InvalidInput(f"cannot read the price file {path}: {exc}") from None


def _yaml(path: Path) -> dict[str, Any]:
    import yaml

    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError("expected a mapping of prices")
    return loaded


@dataclass(frozen=True, slots=True)
class Allocation:
    vcpus: float
    memory_gib: float


def report(
    usage: Usage, prices: PriceBook, allocation: Allocation, contribution: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``contribution``: ``ops.contribution.from_log``'s entry (``None``: no inference log read)."""
    hours = usage.window_s / 3600.0
    cpu_cost = allocation.vcpus * hours * prices.cpu_per_vcpu_hour
    ram_cost = allocation.memory_gib * hours * prices.ram_per_gib_hour
    total = cpu_cost + ram_cost
    compute = sum(usage.compute_s.values())
    inferences = sum(usage.inferences.values())
    utilization = (
        compute / (usage.window_s * allocation.vcpus) if usage.window_s and allocation.vcpus else 0.0
    )
    members = {}
    dropped = (contribution or {}).get("members", {})
    for model in sorted(set(usage.inferences) | set(usage.compute_s)):
        logged = dropped.get(model, {})
        share = usage.compute_s.get(model, 0.0) / compute if compute else 0.0
        members[model] = {
            "inferences": usage.inferences.get(model, 0.0),
            "compute_s": usage.compute_s.get(model, 0.0),
            "compute_share": share,
            "average_batch": _ratio(usage.rows.get(model, 0.0), usage.batches.get(model, 0.0)),
            "cost": total * share,
            "cost_per_1k_investigations": _per_1k(total * share, usage.investigations),
            "logged_investigations": logged.get("investigations", 0),
            "verdict_changes_when_dropped": logged.get("verdict_changes", 0),
            "verdict_change_share": logged.get("share"),
        }
    body: dict[str, Any] = {
        "window_s": usage.window_s,
        "investigations": usage.investigations,
        "inferences": inferences,
        "compute_s": compute,
        "utilization": utilization,
        "cache_hit_rate": usage.cache_hit_rate,
        "average_batch": usage.average_batch,
        "allocation": asdict(allocation),
        "prices": asdict(prices),
        "cost": {"cpu": cpu_cost, "ram": ram_cost, "total": total},
        "cost_per_1k_investigations": _per_1k(total, usage.investigations),
        "cost_per_inference": total / inferences if inferences else None,
        "blueprint_cost_per_inference": BLUEPRINT_PER_INFERENCE,
        "members": members,
        "contribution": contribution,
    }
    body["recommendations"] = recommendations(body)
    return body


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _per_1k(cost: float, investigations: float) -> float | None:
    return cost / investigations * 1000.0 if investigations else None


def recommendations(body: dict[str, Any]) -> list[str]:
    found = []
    if body["average_batch"] is not None and body["average_batch"] < BATCH_MIN:
        found.append(
            f"increase batching: the average batch is {body['average_batch']:.2f} rows (< {BATCH_MIN:g}); "
            "raise FORTRESS_RUNTIME__BATCHING__* wait or send investigations in batches"
        )
    if body["cache_hit_rate"] is not None and body["cache_hit_rate"] < HIT_RATE_MIN:
        found.append(
            f"improve caching: the result cache hit rate is {body['cache_hit_rate']:.2f} "
            f"(< {HIT_RATE_MIN:g}); a longer FORTRESS_GATEWAY__CACHE__TTL_S or a shared Redis cache"
        )
    if body["utilization"] < UTILIZATION_MIN:
        found.append(
            f"consolidate replicas: model compute used {body['utilization']:.1%} of the allocated "
            f"{body['allocation']['vcpus']:g} vCPUs (< {UTILIZATION_MIN:.0%})"
        )
    for model, member in body["members"].items():
        if member["compute_share"] > COMPUTE_SHARE_MAX:
            found.append(
                f"quantize {model}: it takes {member['compute_share']:.0%} of the compute "
                f"(> {COMPUTE_SHARE_MAX:.0%}); `fortress models quantize {model}` measures int8 against it"
            )
    found += contribution_advice(body)
    return found


def contribution_advice(body: dict[str, Any]) -> list[str]:
    """Per member, its cost against how often dropping it changes the verdict (the inference log)."""
    contribution = body["contribution"]
    if contribution is None:
        return []
    if not contribution["investigations"]:
        return [
            f"cost against contribution: no whole investigation in the inference log at "
            f"{contribution['log']} over the window (it logs {SAMPLED_NOTE}); widen --window"
        ]
    found = []
    for model, member in body["members"].items():
        share, seen = member["verdict_change_share"], member["logged_investigations"]
        if share is None or member["compute_share"] < COMPUTE_SHARE_NOTABLE:
            continue
        if share < CHANGE_SHARE_MIN:
            found.append(
                f"review {model}: it takes {member['compute_share']:.0%} of the compute and dropping it "
                f"changes the verdict of {member['verdict_changes_when_dropped']:g} of {seen:g} logged "
                f"investigations ({share:.1%} < {CHANGE_SHARE_MIN:.0%}): a candidate to drop or run on "
                "fewer investigations"
            )
    return found
