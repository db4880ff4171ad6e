"""The example investigation and its compact form: tensor fields as base64 float32 encode to exactly
the tensors their JSON numbers give, and nothing else in the investigation changes."""

from __future__ import annotations

import numpy as np
import orjson

from fortress.catalog import get_spec, model_names
from fortress.catalog.encode import encode_records
from fortress.catalog.spec import FieldKind
from fortress.gateway.example import binary_tensor, example_investigation, with_binary_tensors


def test_binary_tensors_give_every_model_the_same_inputs_and_leave_other_fields_alone() -> None:
    specs = [get_spec(n) for n in model_names()]
    plain = orjson.loads(orjson.dumps(example_investigation(specs, "inv-x")))  # as a client sends it
    compact = orjson.loads(orjson.dumps(with_binary_tensors(plain, specs)))
    tensor_fields = {(s.feature_group, f.name) for s in specs for f in s.fields if f.kind is FieldKind.TENSOR}
    assert tensor_fields == {("image", "pixels")}
    assert set(compact["features"]["image"]["pixels"]) == {"b64"}
    for group, record in plain["features"].items():
        for name, value in record.items():
            if (group, name) not in tensor_fields:
                assert compact["features"][group][name] == value
    for spec in specs:
        want = encode_records(spec, [plain["features"][spec.feature_group]])
        got = encode_records(spec, [compact["features"][spec.feature_group]])
        for tensor in want:
            assert got[tensor].dtype == want[tensor].dtype
            np.testing.assert_array_equal(got[tensor], want[tensor])
    assert len(orjson.dumps(compact)) < len(orjson.dumps(plain))


def test_lists_of_records_are_converted_record_by_record() -> None:
    spec = get_spec("image_analyzer")
    images = [np.full((3, 32, 32), v, dtype=np.float32) for v in (0.25, 0.75)]
    investigation = {"investigation_id": "i", "features": {"image": [{"pixels": i.tolist()} for i in images]}}
    compact = with_binary_tensors(investigation, [spec])
    assert compact["features"]["image"] == [{"pixels": binary_tensor(i)} for i in images]
    got = encode_records(spec, compact["features"]["image"])["image"]
    np.testing.assert_array_equal(got, np.stack(images))
