"""TF Serving's REST JSON and our tensors, both ways.

Requests come in TF Serving's row format (``"instances"``: one entry per row, an object keyed by input
name, or the bare value when the model has one input) or columnar format (``"inputs"``: an object of
input name -> batched value, or the bare value when the model has one input). ``DT_STRING`` values are
JSON strings or ``{"b64": "..."}``; ``DT_FLOAT`` values are JSON numbers. Responses are
``{"predictions": ...}`` for rows and ``{"outputs": ...}`` for columns (one output tensor, so its name
is omitted, as TF Serving does). Model status and metadata bodies follow the JSON mapping of
``GetModelStatusResponse`` and ``GetModelMetadataResponse``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import orjson

from fortress.catalog.spec import PROBABILITIES_OUTPUT, InputTensor
from fortress.errors import InvalidInput
from fortress.runtime.session import LoadedModel

SIGNATURE = "serving_default"
PREDICT_METHOD = "tensorflow/serving/predict"
TF_DTYPE = {"float32": "DT_FLOAT", "string": "DT_STRING"}
FLOAT32_MAX = float(np.finfo(np.float32).max)


class Layout(StrEnum):
    ROW = "instances"
    COLUMNAR = "inputs"


_ROW, _COLUMNAR = str(Layout.ROW.value), str(Layout.COLUMNAR.value)
_ABSENT = object()


@dataclass(frozen=True, slots=True)
class PredictRequest:
    feeds: dict[str, np.ndarray]
    layout: Layout


@dataclass(frozen=True, slots=True)
class VersionStatus:
    version: int
    state: str = "AVAILABLE"
    error_code: str = "OK"
    error_message: str = ""


def load_json(body: bytes) -> dict[str, Any]:
    """The request document: a JSON object (NaN and Infinity are not JSON and are refused)."""
    if not body:
        raise InvalidInput("JSON Parse error: The document is empty")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"JSON Parse error: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"JSON Value: request body is a JSON {_json_type(doc)}, expected an object")
    return doc


def decode_predict(doc: Mapping[str, Any], inputs: Sequence[InputTensor]) -> PredictRequest:
    signature = doc.get("signature_name", "")
    if not isinstance(signature, str):
        raise InvalidInput("'signature_name' key must be a string value")
    if signature not in ("", SIGNATURE):
        raise InvalidInput(f'Serving signature name: "{signature}" not found in signature def')
    rows, columns = doc.get(_ROW, _ABSENT), doc.get(_COLUMNAR, _ABSENT)  # str keys: enum hashing is slow
    if rows is not _ABSENT and columns is not _ABSENT:
        raise InvalidInput("expecting only one of 'inputs' or 'instances' keys to exist")
    if rows is not _ABSENT:
        return PredictRequest(_from_instances(rows, inputs), Layout.ROW)
    if columns is not _ABSENT:
        return PredictRequest(_from_inputs(columns, inputs), Layout.COLUMNAR)
    raise InvalidInput("Missing 'inputs' or 'instances' key")


def _from_instances(instances: Any, inputs: Sequence[InputTensor]) -> dict[str, np.ndarray]:
    if not isinstance(instances, list):
        raise InvalidInput(f"expecting 'instances' to be a list, got a JSON {_json_type(instances)}")
    if not instances:
        raise InvalidInput("No values in 'instances' array")
    names = [t.name for t in inputs]
    if not _is_named(instances[0]):
        if len(inputs) > 1:
            raise InvalidInput(
                "instances is a plain list, but expecting list of objects as multiple input tensors "
                f"required: {', '.join(names)}"
            )
        for i, row in enumerate(instances):
            if _is_named(row):
                raise InvalidInput(f"Expecting value/list but got object at item {i} of 'instances'")
        return {names[0]: _tensor(inputs[0], instances)}
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for i, row in enumerate(instances):
        if not _is_named(row):
            raise InvalidInput(f"Expecting object but got {_json_type(row)} at item {i} of 'instances'")
        if row.keys() != columns.keys():
            raise InvalidInput(
                f"item {i} of 'instances' has keys {sorted(row)}; keys must be equal to {sorted(names)}"
            )
        for name, column in columns.items():
            column.append(row[name])
    return {t.name: _tensor(t, columns[t.name]) for t in inputs}


def _from_inputs(value: Any, inputs: Sequence[InputTensor]) -> dict[str, np.ndarray]:
    if not _is_named(value):
        if len(inputs) > 1:
            raise InvalidInput(
                "inputs is a plain value/list, but expecting an object as multiple input tensors "
                f"required: {', '.join(t.name for t in inputs)}"
            )
        return {inputs[0].name: _tensor(inputs[0], value)}
    for t in inputs:
        if t.name not in value:
            raise InvalidInput(f"Missing named input: {t.name} in 'inputs' object")
    return {t.name: _tensor(t, value[t.name]) for t in inputs}


def _tensor(spec: InputTensor, value: Any) -> np.ndarray:
    """A JSON value (nested lists) as a dense array of the input's dtype; shapes are checked later."""
    return _strings(spec.name, value) if spec.dtype == "string" else _floats(spec.name, value)


def _floats(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except ValueError as exc:
        raise InvalidInput(f"input {name!r}: not a dense tensor ({exc})") from None
    if arr.dtype.kind not in "iuf":
        raise InvalidInput(f"input {name!r} is DT_FLOAT: every value must be a JSON number")
    if arr.dtype.kind == "f" and arr.size and float(np.abs(arr).max()) > FLOAT32_MAX:
        raise InvalidInput(f"input {name!r}: a value cannot be converted to float without overflow")
    return arr.astype(np.float32)


def _strings(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=object)
    except ValueError as exc:
        raise InvalidInput(f"input {name!r}: not a dense tensor ({exc})") from None
    flat = [_string(name, item) for item in arr.ravel()]
    return np.asarray(flat, dtype=object).reshape(arr.shape)


def _string(name: str, item: Any) -> str:
    if isinstance(item, str):
        return item
    if _is_b64(item):
        try:
            return base64.b64decode(item["b64"], validate=True).decode("utf-8")
        except binascii.Error:
            raise InvalidInput(f"input {name!r}: Unable to base64 decode") from None
        except UnicodeDecodeError:
            raise InvalidInput(f"input {name!r}: base64 value is not UTF-8 text") from None
    if isinstance(item, list):
        raise InvalidInput(f"input {name!r}: not a dense tensor (nested lists of different lengths)")
    raise InvalidInput(
        f'input {name!r} is DT_STRING: every value must be a JSON string or {{"b64": ...}}, '
        f"got a JSON {_json_type(item)}"
    )


def _is_b64(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def _is_named(value: Any) -> bool:
    """An object of input name -> value (a ``{"b64": ...}`` object is a value, not names)."""
    return isinstance(value, dict) and not _is_b64(value)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


# ---- responses --------------------------------------------------------------------------------


def predict_body(probabilities: np.ndarray, layout: Layout) -> bytes:
    """``{"predictions": [[...], ...]}`` or ``{"outputs": ...}``; float32 in shortest round-trip form."""
    key = "predictions" if layout is Layout.ROW else "outputs"
    out = np.ascontiguousarray(probabilities, dtype=np.float32)
    return orjson.dumps({key: out}, option=orjson.OPT_SERIALIZE_NUMPY)


def status_body(versions: Sequence[VersionStatus]) -> bytes:
    return orjson.dumps(
        {
            "model_version_status": [
                {
                    "version": str(v.version),
                    "state": v.state,
                    "status": {"error_code": v.error_code, "error_message": v.error_message},
                }
                for v in versions
            ]
        }
    )


def _tensor_info(name: str, dtype: str, shape: Sequence[int]) -> dict[str, Any]:
    dims = [{"size": str(size), "name": ""} for size in shape]
    return {"dtype": dtype, "tensor_shape": {"dim": dims, "unknown_rank": False}, "name": name}


def metadata_body(model: LoadedModel) -> bytes:
    """``GetModelMetadataResponse`` with one ``serving_default`` signature (batch dimension -1).

    ``metadata.fortress`` adds what a TF signature cannot say: class labels in output order, the
    feature names behind each input column, and the ONNX file's SHA-256.
    """
    spec = model.spec
    signature = {
        "inputs": {t.name: _tensor_info(t.name, TF_DTYPE[t.dtype], (-1, *t.shape)) for t in spec.inputs},
        "outputs": {
            PROBABILITIES_OUTPUT: _tensor_info(PROBABILITIES_OUTPUT, "DT_FLOAT", (-1, len(spec.labels)))
        },
        "method_name": PREDICT_METHOD,
        "defaults": {},
    }
    fortress = {
        "labels": list(spec.labels),
        "input_fields": {t.name: list(t.fields) for t in spec.inputs},
        "onnx_sha256": model.onnx_sha256,
    }
    return orjson.dumps(
        {
            "model_spec": {"name": model.name, "signature_name": "", "version": str(model.version)},
            "metadata": {"signature_def": {"signature_def": {SIGNATURE: signature}}, "fortress": fortress},
        }
    )
