"""Store features for a request that names ``entities``: fetch them online, merge them under the
request's own values (the request wins), and say per group what came from the store and what was
missing or stale. A group the request lacks is added only when the store has all of it: a missing
entity is reported, never filled with zeros."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fortress.features.store import FeatureStore
from fortress.gateway.schema import InferenceRequest, Record


async def with_store_features(
    request: InferenceRequest, store: FeatureStore, groups: Iterable[str]
) -> tuple[InferenceRequest, dict[str, Any]]:
    """The request with store values merged in, and the ``features`` entry of the response."""
    found = await store.lookup(request.entities, sorted(groups))
    features: dict[str, Record | list[Record]] = dict(request.features)
    report: dict[str, Any] = {}
    for group in sorted({*found.values, *found.missing, *found.stale}):
        values = dict(found.values.get(group, {}))
        missing = list(found.missing.get(group, ()))
        stale = list(found.stale.get(group, ()))
        given = request.features.get(group)
        used: set[str] = set()
        if given is not None:
            records = [given] if isinstance(given, dict) else given
            merged = [{**values, **record} for record in records]
            used = {f for f in values if any(f not in record for record in records)}
            features[group] = merged[0] if isinstance(given, dict) else merged
        elif values and not missing and not stale:
            features[group] = values
            used = set(values)
        report[group] = {"from_store": sorted(used), "missing": missing, "stale": stale}
    return request.model_copy(update={"features": features}), report
