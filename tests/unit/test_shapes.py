"""support.shapes.json_shape, which the README curl replay (tests/e2e/test_reference_ensemble.py) uses."""

from __future__ import annotations

from support.shapes import json_shape


def test_shape_keeps_keys_lengths_and_types_not_values() -> None:
    answer = {"id": "a", "latency_ms": 3.5, "cached": False, "p": {"m": [0.2, 0.8]}, "n": None}
    again = {"id": "b", "latency_ms": 1, "cached": True, "p": {"m": [0.3, 0.7]}, "n": None}
    assert json_shape(answer) == json_shape(again)
    assert json_shape(answer) == {
        "cached": "bool",
        "id": "str",
        "latency_ms": "number",
        "n": "NoneType",
        "p": {"m": ["number", "number"]},
    }


def test_a_missing_key_a_longer_list_or_another_type_changes_the_shape() -> None:
    base = {"p": {"m": [0.2, 0.8]}, "v": "x"}
    assert json_shape(base) != json_shape({"p": {"m": [0.2, 0.8]}})
    assert json_shape(base) != json_shape({"p": {"m": [0.2, 0.8, 0.0]}, "v": "x"})
    assert json_shape(base) != json_shape({"p": {"m": [0.2, 0.8]}, "v": 1})
    assert json_shape(True) != json_shape(1)
