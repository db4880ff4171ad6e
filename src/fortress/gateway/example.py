"""A realistic investigation request for the served models, drawn from the simulator.

``fortress up`` writes it next to the registry and prints a ``curl`` that sends it; the e2e tests
send the same file, so the printed instructions are known to work.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

import numpy as np

from fortress.catalog.spec import FieldKind, ModelSpec


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.round(value.astype(np.float64), 4).tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def example_investigation(
    specs: Iterable[ModelSpec], investigation_id: str, seed: int = 11
) -> dict[str, Any]:
    """One record per feature group; a group read by several models gets the union of their fields."""
    from fortress.datasets.simulator import simulate_records

    features: dict[str, dict[str, Any]] = {}
    for spec in specs:
        frame = simulate_records(spec.name, 1, seed).X
        record = features.setdefault(spec.feature_group, {})
        for name in spec.field_names:
            record[name] = _plain(frame[name].iloc[0])
    return {"investigation_id": investigation_id, "features": dict(sorted(features.items()))}


def binary_tensor(values: Any) -> dict[str, str]:
    """A tensor field in the compact form the gateway accepts: ``{"b64": ...}``, its values as
    little-endian float32 in C order (docs/GATEWAY.md)."""
    raw = np.ascontiguousarray(values, dtype="<f4").tobytes()
    return {"b64": base64.b64encode(raw).decode("ascii")}


def with_binary_tensors(investigation: dict[str, Any], specs: Iterable[ModelSpec]) -> dict[str, Any]:
    """``investigation`` with every tensor field (an image's pixels) as ``binary_tensor``."""
    tensors = {(s.feature_group, f.name) for s in specs for f in s.fields if f.kind is FieldKind.TENSOR}
    features: dict[str, Any] = {}
    for group, value in investigation["features"].items():
        records = [value] if isinstance(value, dict) else value
        converted = [
            {k: binary_tensor(v) if (group, k) in tensors else v for k, v in r.items()} for r in records
        ]
        features[group] = converted[0] if isinstance(value, dict) else converted
    return {**investigation, "features": features}
