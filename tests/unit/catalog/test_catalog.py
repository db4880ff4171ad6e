from __future__ import annotations

import pytest

from fortress.catalog import get_spec, model_names, resolve_models
from fortress.catalog.spec import ModelSpec
from fortress.errors import UnknownModel


def test_twelve_models_with_distinct_names_and_valid_fallbacks() -> None:
    names = model_names()
    assert len(names) == 12
    assert len(set(names)) == 12
    for name in names:
        spec = get_spec(name)
        assert spec.fallback is None or spec.fallback in names
        assert spec.inputs


@pytest.mark.parametrize("name", model_names())
def test_spec_round_trips_through_dict(name: str) -> None:
    spec = get_spec(name)
    assert ModelSpec.from_dict(spec.to_dict()) == spec


def test_sensitive_fields_are_marked_and_survive_the_registry_dict() -> None:
    sensitive = {name: [f.name for f in get_spec(name).fields if f.sensitive] for name in model_names()}
    assert {name: fields for name, fields in sensitive.items() if fields} == {
        "message_scam": ["text"],
        "writing_style": ["text"],
    }
    raw = get_spec("message_scam").to_dict()
    assert raw["fields"][0]["sensitive"] is True
    del raw["fields"][0]["sensitive"]  # a spec registered before the flag existed
    assert not ModelSpec.from_dict(raw).fields[0].sensitive
    assert "sensitive" not in get_spec("dga_detector").to_dict()["fields"][0]


def test_resolve_models_rejects_unknown_names_listing_known_ones() -> None:
    assert [s.name for s in resolve_models("dga_detector, phishing_url")] == ["dga_detector", "phishing_url"]
    assert len(resolve_models(None)) == 12
    with pytest.raises(UnknownModel, match="unknown model 'nope'; known models: behavior_analyzer"):
        resolve_models("dga_detector,nope")
