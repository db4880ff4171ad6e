"""The metric names Fortress exports, from the metric definitions themselves, and the names a PromQL
expression reads: what the tests check the alert rules and the dashboard against.

``exported_metric_names()`` instantiates every metrics class on a fresh ``CollectorRegistry`` and
collects it, so a renamed metric changes the set. ``EXTERNAL`` are the names Fortress reads but does
not export, each with who does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from prometheus_client import CollectorRegistry

EXTERNAL: dict[str, str] = {
    "DCGM_FI_DEV_FB_USED": "NVIDIA DCGM exporter (GPU nodes): framebuffer memory used, MiB",
    "DCGM_FI_DEV_FB_FREE": "NVIDIA DCGM exporter (GPU nodes): framebuffer memory free, MiB",
    "DCGM_FI_DEV_GPU_UTIL": "NVIDIA DCGM exporter (GPU nodes): GPU utilization, percent",
    "fortress_rollout_check_failed": (
        "the rollout work (not built yet) will export it: 1 while a canary's automated check "
        "{model, version, check} fails (CanaryFailing)"
    ),
}
"""Names read by rules and panels that Fortress's code does not export (yet), and who exports them."""

_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created")}
_KEYWORDS = frozenset(
    [
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "offset",
        "inf",
        "nan",
    ]
)


def exported_metric_names() -> set[str]:
    """Every sample name the gateway and the model server can expose."""
    from fortress.gateway.events.metrics import EventMetrics
    from fortress.monitoring.drift.collector import DriftCollector
    from fortress.monitoring.drift.monitor import DriftMonitor
    from fortress.monitoring.drift.settings import DriftSettings
    from fortress.monitoring.gateway_metrics import GatewayMetrics
    from fortress.monitoring.runtime_metrics import RuntimeMetrics
    from fortress.monitoring.store_metrics import FeatureStoreMetrics

    registry = CollectorRegistry()
    GatewayMetrics(registry)
    RuntimeMetrics(registry)
    EventMetrics(registry)
    FeatureStoreMetrics(registry)

    def no_reference(model: str, version: int) -> object:
        raise LookupError("not used: only the metric families are collected")

    DriftCollector(DriftMonitor(DriftSettings(), no_reference), registry)  # type: ignore[arg-type]
    names: set[str] = set()
    for family in registry.collect():
        suffixes = _SUFFIXES.get(family.type, ("",))
        names.update(family.name + suffix for suffix in suffixes)
    return names


def recorded_names(rule_groups: Iterable[dict[str, object]]) -> set[str]:
    """The ``record:`` names of Prometheus rule groups (the parsed ``groups:`` list of a rules file)."""
    found: set[str] = set()
    for group in rule_groups:
        rules = group.get("rules", [])
        assert isinstance(rules, list)
        found.update(str(r["record"]) for r in rules if isinstance(r, dict) and "record" in r)
    return found


def names_in(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not functions, keywords, labels or durations)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings (label values, legends)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    found = set()
    for match in re.finditer(r"(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()", text):
        name = match.group(1)
        if name.lower() not in _KEYWORDS:
            found.add(name)
    return found
