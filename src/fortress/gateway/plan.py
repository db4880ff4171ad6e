"""From a validated request to a plan: which models run, on which tensors, under which cache key.

Everything a client can get wrong is found here, before any model runs: unknown models (400), unknown
feature groups, missing groups and bad values (422 naming group, field and reason), too many records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fortress.catalog.encode import encode_records
from fortress.errors import InvalidInput
from fortress.gateway.cache.keys import canonical_json, result_key
from fortress.gateway.errors import BadRequest, InvalidFeatures
from fortress.gateway.router import Routed
from fortress.gateway.schema import InferenceRequest, Record
from fortress.gateway.settings import LimitSettings


@dataclass(frozen=True, slots=True)
class ModelCall:
    name: str
    routed: Routed
    feeds: dict[str, np.ndarray]
    records: int


@dataclass(frozen=True, slots=True)
class Plan:
    request: InferenceRequest
    calls: tuple[ModelCall, ...]
    missing: tuple[str, ...]
    """Selected models that no backend serves right now (they answer as unavailable)."""
    records: Mapping[str, Sequence[Record]]
    """Feature group -> records (a single record becomes a list of one)."""
    cache_key: str | None


@dataclass(frozen=True, slots=True)
class Known:
    """Models the gateway is configured to serve (served now or not) and their feature groups."""

    groups: Mapping[str, str]
    """model -> feature group."""
    group_names: frozenset[str]

    @classmethod
    def of(cls, expected: Mapping[str, str], served: Mapping[str, Routed]) -> Known:
        groups = {**expected, **{name: r.model.spec.feature_group for name, r in served.items()}}
        return cls(dict(sorted(groups.items())), frozenset(groups.values()))


def make_plan(
    request: InferenceRequest,
    served: Mapping[str, Routed],
    known: Known,
    limits: LimitSettings,
    *,
    with_cache: bool,
) -> Plan:
    records = _records_by_group(request, known.group_names, limits)
    names = _selected_models(request, known.groups, records)
    if not names:
        raise InvalidFeatures("no model selected: name models that read the given feature groups")
    calls = tuple(encode_call(name, served[name], records) for name in names if name in served)
    missing = tuple(name for name in names if name not in served)
    key = None
    if with_cache and request.cache_enabled and not missing:
        canonical = canonical_json((request.features, names, request.entities))
        key = result_key(canonical, {c.name: c.routed.model.version for c in calls})
    return Plan(request, calls, missing, records, key)


def encode_call(name: str, routed: Routed, records: Mapping[str, Sequence[Record]]) -> ModelCall:
    spec = routed.model.spec
    rows = records[spec.feature_group]
    try:
        feeds = encode_records(spec, rows)
    except InvalidInput as exc:
        raise InvalidFeatures(f"{exc} (model {name})") from None
    return ModelCall(name, routed, feeds, len(rows))


def _records_by_group(
    request: InferenceRequest, groups: frozenset[str], limits: LimitSettings
) -> dict[str, Sequence[Record]]:
    out: dict[str, Sequence[Record]] = {}
    for group, value in request.features.items():
        if group not in groups:
            raise InvalidFeatures(
                f"unknown feature group {group!r}; groups of the served models: {', '.join(sorted(groups))}"
            )
        rows = [value] if isinstance(value, dict) else value
        if not rows:
            raise InvalidFeatures(f"{group}: needs at least one record")
        if len(rows) > limits.max_records:
            raise InvalidFeatures(f"{group}: {len(rows)} records; at most {limits.max_records} per group")
        out[group] = rows
    if not out:
        raise InvalidFeatures("features: give at least one feature group")
    return out


def _selected_models(
    request: InferenceRequest, groups: Mapping[str, str], records: Mapping[str, Sequence[Record]]
) -> list[str]:
    if request.models is None:
        return [name for name, group in groups.items() if group in records]
    names: list[str] = []
    for name in request.models:
        group = groups.get(name)
        if group is None:
            raise BadRequest(f"unknown model {name!r}; known models: {', '.join(sorted(groups))}")
        if group not in records:
            raise InvalidFeatures(f"model {name!r} needs feature group {group!r}, which the request lacks")
        if name not in names:
            names.append(name)
    return names
