"""RequestBounds on the catalog's specs: container sizes refused by ``len`` alone, never by iterating."""

from __future__ import annotations

from typing import Any

import pytest

from fortress.catalog import get_spec, model_names
from fortress.gateway.bounds import RequestBounds
from fortress.gateway.errors import BadRequest, InvalidFeatures
from fortress.gateway.example import example_investigation, with_binary_tensors
from fortress.gateway.settings import LimitSettings

SPECS = [get_spec(name) for name in model_names()]


class NeverIterated(list[Any]):
    """A list whose elements must not be looked at: only its ``len`` may be taken."""

    def __iter__(self) -> Any:
        raise AssertionError("a list over its bound was iterated")

    def __getitem__(self, index: Any) -> Any:
        raise AssertionError("a list over its bound was indexed")


@pytest.fixture(scope="module")
def bounds() -> RequestBounds:
    return RequestBounds(SPECS, LimitSettings())


def test_the_example_investigation_passes_in_both_tensor_forms(bounds: RequestBounds) -> None:
    example = example_investigation(SPECS, "inv-1")
    bounds.investigation(example)
    bounds.investigation(with_binary_tensors(example, SPECS))
    bounds.batch({"investigations": [example] * 64})
    bounds.investigation(
        {**example, "features": {"network_flow": [example["features"]["network_flow"]] * 256}}
    )


def test_records_and_batches_are_counted_by_len(bounds: RequestBounds) -> None:
    with pytest.raises(InvalidFeatures, match="network_flow: 257 records; at most 256 per group"):
        bounds.investigation({"features": {"network_flow": NeverIterated([{}] * 257)}})
    with pytest.raises(BadRequest, match="65 investigations; at most 64 per batch"):
        bounds.batch({"investigations": NeverIterated([{}] * 65)})
    with pytest.raises(InvalidFeatures, match=r"investigations\[1\]: domain: a record has 70000 fields"):
        bounds.batch(
            {"investigations": [{}, {"features": {"domain": dict.fromkeys(map(str, range(70_000)))}}]}
        )
    with pytest.raises(
        InvalidFeatures, match=r"domain\[1\]: a record is a JSON object of fields, not a number"
    ):
        bounds.investigation({"features": {"domain": [{}, 0]}})


def test_limits_come_from_the_settings(bounds: RequestBounds) -> None:
    strict = RequestBounds(SPECS, LimitSettings(max_records=2, max_extra_fields=0))
    record = example_investigation(SPECS, "x")["features"]["login_event"]
    strict.investigation({"features": {"login_event": [record, record]}})
    with pytest.raises(InvalidFeatures, match="3 records; at most 2"):
        strict.investigation({"features": {"login_event": [record] * 3}})
    with pytest.raises(InvalidFeatures, match=r"at most \d+ \(the \d+ its models read and 0 others\)"):
        strict.investigation({"features": {"login_event": {**record, "note": "extra"}}})
    bounds.investigation({"features": {"login_event": {**record, "note": "extra"}}})
