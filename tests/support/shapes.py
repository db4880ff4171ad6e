"""The shape of a JSON answer: every key, list length and value type, without the values that change
between two identical requests (latencies, the cached flag)."""

from __future__ import annotations

from typing import Any


def json_shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: json_shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [json_shape(item) for item in value]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__
