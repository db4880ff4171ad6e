"""v2 tensors: JSON and raw decoding, BYTES framing as tritonclient does it, the status table."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from tritonclient.utils import deserialize_bytes_tensor, serialize_byte_tensor

from fortress.errors import DeadlineExceeded, ErrorKind, Overloaded, retry_after
from fortress.runtime.errors import ModelFailed
from fortress.server.errors import HTTP_STATUS
from fortress.server.v2_codec import (
    BYTES,
    FP32,
    deserialize_strings,
    from_json,
    from_raw,
    parse_version,
    to_raw,
)
from fortress.server.v2_errors import GRPC_CODE

WORDS = ["tcp", "", "ünïcode ✓", "http://example.com/a?b=c"]


def test_nested_and_flat_json_data_give_the_same_tensor() -> None:
    nested = from_json("x", FP32, (2, 3), [[1, 2, 3], [4, 5, 6.5]])
    flat = from_json("x", FP32, (2, 3), [1, 2, 3, 4, 5, 6.5])
    assert nested.dtype == np.float32
    np.testing.assert_array_equal(nested, flat)
    strings = from_json("s", BYTES, (2, 2), [["a", "b"], ["c", "d"]])
    assert strings.dtype == object
    assert strings.tolist() == [["a", "b"], ["c", "d"]]
    assert from_json("x", FP32, (0, 2), []).shape == (0, 2)


def test_bytes_framing_matches_tritonclient_both_ways() -> None:
    theirs = serialize_byte_tensor(np.array(WORDS, dtype=object)).item()
    assert deserialize_strings("s", theirs, len(WORDS)) == WORDS
    ours = to_raw(np.array(WORDS, dtype=object).reshape(2, 2), BYTES)
    assert ours == theirs
    assert [b.decode() for b in deserialize_bytes_tensor(ours)] == WORDS
    assert from_raw("s", BYTES, (2, 2), ours).tolist() == [WORDS[:2], WORDS[2:]]


def test_fp32_raw_is_little_endian_row_major() -> None:
    values = np.arange(6, dtype=np.float32).reshape(3, 2)
    raw = to_raw(values, FP32)
    assert raw == values.astype("<f4").tobytes()
    np.testing.assert_array_equal(from_raw("x", FP32, (3, 2), raw), values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", (None, None)), ("3", (3, None)), ("canary", (None, "canary")), ("٣", (None, "٣"))],
)
def test_version_strings(text: str, expected: tuple[int | None, str | None]) -> None:
    assert parse_version(text) == expected


def test_every_error_kind_has_an_http_and_a_grpc_status() -> None:
    assert set(GRPC_CODE) == set(HTTP_STATUS) == set(ErrorKind)
    codes = {kind: grpc.StatusCode[GRPC_CODE[kind]] for kind in ErrorKind}
    assert codes == {
        ErrorKind.INVALID: grpc.StatusCode.INVALID_ARGUMENT,
        ErrorKind.UNPROCESSABLE: grpc.StatusCode.INVALID_ARGUMENT,
        ErrorKind.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
        ErrorKind.OVERLOADED: grpc.StatusCode.RESOURCE_EXHAUSTED,
        ErrorKind.TIMEOUT: grpc.StatusCode.DEADLINE_EXCEEDED,
        ErrorKind.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
        ErrorKind.UNAUTHORIZED: grpc.StatusCode.UNAUTHENTICATED,
        ErrorKind.FORBIDDEN: grpc.StatusCode.PERMISSION_DENIED,
        ErrorKind.FAILED: grpc.StatusCode.INTERNAL,
    }
    for kind in ErrorKind:
        assert 400 <= HTTP_STATUS[kind] < 600
    assert (HTTP_STATUS[Overloaded.kind], HTTP_STATUS[DeadlineExceeded.kind]) == (429, 504)
    assert HTTP_STATUS[ModelFailed.kind] == 503
    assert retry_after(Overloaded("busy", retry_after_s=2.2)) == 3
    assert retry_after(DeadlineExceeded("late")) is None
