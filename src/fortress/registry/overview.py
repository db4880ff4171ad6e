"""A JSON-ready overview of what the registry holds, for `fortress models list` and docs."""

from __future__ import annotations

from typing import Any

from fortress.catalog import model_names
from fortress.registry.base import CHAMPION, ModelRegistry


def models_overview(registry: ModelRegistry) -> list[dict[str, Any]]:
    """One entry per registered model, in catalog order, with versions, aliases and headline metric."""
    registered = set(registry.model_names())
    known = [n for n in model_names() if n in registered] + sorted(registered - set(model_names()))
    out: list[dict[str, Any]] = []
    for name in known:
        versions = registry.versions(name)
        aliases = {alias: v.version for v in versions for alias in v.aliases}
        current = next((v for v in versions if CHAMPION in v.aliases), versions[-1] if versions else None)
        metric, value = current.headline if current else ("", None)
        out.append(
            {
                "name": name,
                "versions": [
                    {
                        "version": v.version,
                        "aliases": list(v.aliases),
                        "metrics": v.metrics,
                        "data": {
                            "kind": v.data_kind,
                            "name": v.tags.get("data.name", ""),
                            "sha256": v.tags.get("data.sha256"),
                            "seed": v.tags.get("data.seed"),
                        },
                    }
                    for v in versions
                ],
                "aliases": aliases,
                "headline_metric": metric,
                "headline_value": value,
                "data_kind": current.data_kind if current else "unknown",
                "data_name": current.tags.get("data.name", "") if current else "",
            }
        )
    return out
