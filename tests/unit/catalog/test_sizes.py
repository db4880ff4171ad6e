"""Field value sizes refused by ``len`` alone, before the encoder's per-element work."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import fortress.catalog.encode as encode
from fortress.catalog import get_spec
from fortress.catalog.encode import encode_records
from fortress.catalog.fields import IMAGE_SHAPE
from fortress.catalog.sizes import MAX_CATEGORY_CHARS, MAX_TEXT_CHARS_IN, over_shape
from fortress.errors import InvalidInput
from fortress.gateway.example import binary_tensor


class NeverIterated(list[Any]):
    """A list whose elements must not be looked at: only its ``len`` may be taken."""

    def __iter__(self) -> Any:
        raise AssertionError("a list over its bound was iterated")

    def __getitem__(self, index: Any) -> Any:
        raise AssertionError("a list over its bound was indexed")


OVER = [
    NeverIterated([0] * 500_000),
    [NeverIterated([0] * 500_000)],
    [[NeverIterated([0] * 100_000)] * 32] * 3,
    [[[0.0] * 32] * 32] * 2 + [[[0.0] * 32] * 31 + [NeverIterated([0] * 40)]],
    [1, NeverIterated([0] * 500_000)],  # irregular: the slow walk, still by len
]
OVER_IDS = ["flat", "one-row", "last-level", "one-deep-list", "irregular"]


@pytest.mark.parametrize("pixels", OVER, ids=OVER_IDS)
def test_a_tensor_over_its_shape_is_refused_without_reading_its_values(pixels: Any) -> None:
    assert over_shape(pixels, IMAGE_SHAPE)
    with pytest.raises(InvalidInput, match=r"image\.pixels: more values than its shape \[3, 32, 32\]"):
        encode_records(get_spec("image_analyzer"), [{"pixels": pixels}])


@pytest.mark.parametrize(
    "pixels", [np.zeros(IMAGE_SHAPE).tolist(), [[[0.0] * 31] * 32] * 3, [[0.0]], "text", 5, [], [[], []]]
)
def test_values_within_the_shape_are_not_over_it(pixels: Any) -> None:
    assert not over_shape(pixels, IMAGE_SHAPE)  # wrong but small ones: the encoder names what is wrong


def test_a_b64_tensor_longer_than_its_bytes_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = get_spec("image_analyzer")
    exact = binary_tensor(np.zeros(IMAGE_SHAPE))
    encode_records(spec, [{"pixels": exact}])
    decoded: list[int] = []
    real = encode.binascii.a2b_base64
    monkeypatch.setattr(encode.binascii, "a2b_base64", lambda *a, **k: decoded.append(1) or real(*a, **k))
    with pytest.raises(InvalidInput, match=r"image\.pixels: b64 has 16388 characters; .* needs 16384"):
        encode_records(spec, [{"pixels": {"b64": exact["b64"] + "AAAA"}}])
    assert decoded == []


def test_strings_are_bounded_by_their_kind_before_normalising(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(encode, "normalize_text", lambda v: calls.append(v) or v)
    url = get_spec("phishing_url")
    with pytest.raises(InvalidInput, match=rf"url\.url: {MAX_TEXT_CHARS_IN + 1} characters; at most"):
        encode_records(url, [{"url": "h" * (MAX_TEXT_CHARS_IN + 1)}])
    assert calls == []
    encode_records(url, [{"url": "h" * MAX_TEXT_CHARS_IN}])
    assert len(calls) == 1
    flows = get_spec("threat_classifier")
    record = {f.name: ("tcp" if f.kind.value == "category" else 0) for f in flows.fields}
    encode_records(flows, [{**record, "service": "s" * MAX_CATEGORY_CHARS}])
    with pytest.raises(InvalidInput, match=r"network_flow\.service: 257 characters; at most 256"):
        encode_records(flows, [{**record, "service": "s" * (MAX_CATEGORY_CHARS + 1)}])
