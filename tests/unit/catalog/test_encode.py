"""Training (frames) and serving (records) featurize identically."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fortress.catalog import get_spec, model_names
from fortress.catalog.encode import encode_frame, encode_records, normalize_text
from fortress.errors import InvalidInput


def _record(name: str, i: int) -> dict[str, object]:
    spec = get_spec(name)
    out: dict[str, object] = {}
    for f in spec.fields:
        if f.kind == "number":
            out[f.name] = float(i) * 1.5 + 0.25
        elif f.kind == "category":
            out[f.name] = f"cat{i % 3}"
        elif f.kind == "text":
            out[f.name] = f"  Hello\tWORLD \n number {i}  http://X.example/{i} "
        else:
            out[f.name] = np.full(f.shape, i / 10, dtype=np.float32).tolist()
    return out


@pytest.mark.parametrize("name", model_names())
def test_records_and_frames_give_identical_model_inputs(name: str) -> None:
    spec = get_spec(name)
    records = [_record(name, i) for i in range(5)]
    frame = pd.DataFrame(records)
    from_records = encode_records(spec, records)
    from_frame = encode_frame(spec, frame)
    assert from_records.keys() == from_frame.keys() == {t.name for t in spec.inputs}
    for key, value in from_records.items():
        assert value.dtype == from_frame[key].dtype
        assert value.shape == from_frame[key].shape
        assert (value == from_frame[key]).all()


def test_normalize_text_folds_case_and_whitespace() -> None:
    assert normalize_text("  Hello\t\tWORLD\n x ") == "hello world x"


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"duration": "x"}, "expected a number"),
        ({"duration": float("nan")}, "finite"),
        ({}, "missing field"),
    ],
)
def test_bad_records_name_group_and_field(record: dict[str, object], message: str) -> None:
    spec = get_spec("threat_classifier")
    full = _record("threat_classifier", 1)
    full.pop("duration")
    full.update(record)
    with pytest.raises(InvalidInput, match=rf"network_flow\.duration: .*{message}"):
        encode_records(spec, [full])


def test_image_shape_is_checked() -> None:
    spec = get_spec("image_analyzer")
    with pytest.raises(InvalidInput, match=r"image\.pixels: expected shape \[3, 32, 32\]"):
        encode_records(spec, [{"pixels": [[0.0]]}])


@pytest.mark.parametrize(
    "value",
    [3, 2**40 + 1, 2**60 + 2**36 + 1, 1e-45, -3.4e38, 1.5],
    ids=["int", "int>2^24", "int>2^53-double-rounding", "subnormal", "float32-min", "float"],
)
def test_numbers_encode_as_the_field_by_field_conversion_does(value: object) -> None:
    """The one-pass fast path gives exactly ``float32(float(value))`` for every JSON number, whether
    the records hold only integers or also floats. (Booleans were accepted as 0/1 here until numbers
    became strict: see the test below.)"""
    spec = get_spec("threat_classifier")
    numeric = next(t for t in spec.inputs if "duration" in t.fields)
    record = {**_record("threat_classifier", 1), **dict.fromkeys(numeric.fields, value)}
    for other in (value, 0.5):
        encoded = encode_records(spec, [record, {**record, "duration": other}])[numeric.name]
        assert encoded.dtype == np.float32
        assert encoded.shape == (2, len(numeric.fields))
        assert (encoded[0] == np.float32(float(value))).all()  # type: ignore[arg-type]
        assert encoded[1, numeric.fields.index("duration")] == np.float32(float(other))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"),
    [("1.5", "expected a number"), (None, "expected a number"), ([1.0], "expected a number"),
     (1e39, "float32 range"), (10**400, "float32 range"), ({"a": 1}, "expected a number"),
     (True, "expected a number, got bool"), (False, "expected a number, got bool")],
)  # fmt: skip
def test_values_the_fast_path_cannot_take_get_the_field_by_field_message(value: object, message: str) -> None:
    spec = get_spec("threat_classifier")
    record = _record("threat_classifier", 1)
    record["duration"] = value
    with pytest.raises(InvalidInput, match=rf"network_flow\.duration: .*{message}"):
        encode_records(spec, [record])


def test_an_image_sent_as_base64_float32_encodes_as_its_json_numbers_do() -> None:
    import base64

    spec = get_spec("image_analyzer")
    pixels = np.random.default_rng(5).random((3, 32, 32), dtype=np.float32)
    binary = {"pixels": {"b64": base64.b64encode(pixels.astype("<f4").tobytes()).decode()}}
    as_numbers = encode_records(spec, [{"pixels": pixels.tolist()}] * 2)
    as_binary = encode_records(spec, [binary, binary])
    assert as_binary.keys() == as_numbers.keys()
    for name, tensor in as_numbers.items():
        assert as_binary[name].dtype == np.float32
        np.testing.assert_array_equal(as_binary[name], tensor)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"b64": "not base64!"}, "not valid base64"),
        ({"b64": "AAAA"}, r"holds 3 bytes; shape \[3, 32, 32\] needs 12288"),
        ({"b64": "AAAA", "dtype": "float32"}, "a binary tensor is"),
        ({"data": "AAAA"}, "a binary tensor is"),
        ({"b64": 7}, "a binary tensor is"),
    ],
)
def test_bad_binary_tensors_name_group_field_and_reason(value: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=rf"image\.pixels: .*{message}"):
        encode_records(get_spec("image_analyzer"), [{"pixels": value}])


def test_a_binary_tensor_with_nan_is_refused() -> None:
    import base64

    pixels = np.zeros((3, 32, 32), dtype="<f4")
    pixels[1, 2, 3] = np.nan
    with pytest.raises(InvalidInput, match=r"image\.pixels: values must be finite"):
        encode_records(
            get_spec("image_analyzer"), [{"pixels": {"b64": base64.b64encode(pixels.tobytes()).decode()}}]
        )


@pytest.mark.parametrize("other", [0.5, 7, True])
def test_a_boolean_among_numbers_is_refused_by_name_not_read_as_one(other: object) -> None:
    """numpy turns ``[True, 0.5]`` into ``[1.0, 0.5]``; the fast path must not let it through."""
    spec = get_spec("threat_classifier")
    record = _record("threat_classifier", 1)
    for records in ([{**record, "duration": True, "src_bytes": other}], [record, {**record, "land": True}]):
        with pytest.raises(InvalidInput, match=r"network_flow\.(duration|land): expected a number, got bool"):
            encode_records(spec, records)


@pytest.mark.parametrize("value", [5, 5.0, True, None, ["tcp"]])
def test_a_category_is_a_string_never_a_number(value: object) -> None:
    spec = get_spec("threat_classifier")
    record = {**_record("threat_classifier", 1), "protocol_type": value}
    with pytest.raises(InvalidInput, match=r"network_flow\.protocol_type: expected a string, got"):
        encode_records(spec, [record])
