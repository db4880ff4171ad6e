"""The one featurizer shared by training and serving: request records -> ONNX input tensors.

Training calls ``encode_frame`` on its DataFrame, serving calls ``encode_records`` on request
records; both go through the same per-kind conversions, so identical inputs give identical model
inputs (tests/unit/catalog/test_encode.py proves it).
"""

from __future__ import annotations

import binascii
import functools
import itertools
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fortress.catalog.sizes import MAX_CATEGORY_CHARS, MAX_TEXT_CHARS_IN, over_shape
from fortress.catalog.spec import FieldKind, InputTensor, ModelSpec
from fortress.errors import InvalidInput

MAX_TEXT_CHARS = 4096
"""Longer texts are cut: bounds the cost of the n-gram graph and is applied in training too."""

_WHITESPACE = re.compile(r"\s+")
FLOAT32_MAX = float(np.finfo(np.float32).max)


def normalize_text(value: str) -> str:
    """Lower-case, fold every whitespace run into one space, trim, cut to ``MAX_TEXT_CHARS``."""
    return _WHITESPACE.sub(" ", value.lower()).strip()[:MAX_TEXT_CHARS]


def _number(group: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):  # strict: true is not 1
        raise InvalidInput(f"{group}.{name}: expected a number, got {type(value).__name__}")
    try:
        out = float(value)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out) or abs(out) > FLOAT32_MAX:
        raise InvalidInput(f"{group}.{name}: must be a finite number within float32 range")
    return out


def _category(group: str, name: str, value: Any) -> str:
    if not isinstance(value, str):  # strict: 5 is not "5"
        raise InvalidInput(f"{group}.{name}: expected a string, got {type(value).__name__}")
    if len(value) > MAX_CATEGORY_CHARS:
        raise InvalidInput(f"{group}.{name}: {len(value)} characters; at most {MAX_CATEGORY_CHARS}")
    return value


def _text(group: str, name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{group}.{name}: expected a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT_CHARS_IN:  # before the per-character work
        raise InvalidInput(
            f"{group}.{name}: {len(value)} characters; at most {MAX_TEXT_CHARS_IN} (models read the "
            f"first {MAX_TEXT_CHARS} once whitespace is folded)"
        )
    return normalize_text(value)


def _tensor(group: str, name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    if isinstance(value, dict):
        arr = _binary_tensor(group, name, value, shape)
    elif over_shape(value, shape):  # before numpy reads every element
        raise InvalidInput(
            f"{group}.{name}: more values than its shape {list(shape)} holds ({math.prod(shape)} float32)"
        )
    else:
        try:
            arr = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f'{group}.{name}: expected a numeric array of shape {list(shape)} or {{"b64": ...}}'
            ) from exc
    if arr.shape != shape:
        raise InvalidInput(f"{group}.{name}: expected shape {list(shape)}, got {list(arr.shape)}")
    if not np.isfinite(arr).all():
        raise InvalidInput(f"{group}.{name}: values must be finite")
    return arr


def _binary_tensor(group: str, name: str, value: dict[Any, Any], shape: tuple[int, ...]) -> np.ndarray:
    """``{"b64": ...}``: the tensor's float32 values, little-endian, in C order (row-major), base64
    encoded: no JSON number per value to parse, convert and free (TF Serving's ``b64`` convention)."""
    encoded = value.get("b64")
    if len(value) != 1 or not isinstance(encoded, str):
        raise InvalidInput(f'{group}.{name}: a binary tensor is {{"b64": "<base64 of float32 values>"}}')
    want = 4 * math.prod(shape)
    if len(encoded) > 4 * math.ceil(want / 3):  # before decoding it
        raise InvalidInput(
            f"{group}.{name}: b64 has {len(encoded)} characters; shape {list(shape)} needs "
            f"{4 * math.ceil(want / 3)} ({want} bytes of float32)"
        )
    try:
        raw = binascii.a2b_base64(encoded, strict_mode=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{group}.{name}: b64 is not valid base64") from None
    if len(raw) != want:
        raise InvalidInput(
            f"{group}.{name}: b64 holds {len(raw)} bytes; shape {list(shape)} needs {want} "
            f"(float32, little-endian)"
        )
    return np.frombuffer(raw, dtype="<f4").reshape(shape)


def _field(spec: ModelSpec, record: Mapping[str, Any], name: str) -> Any:
    try:
        return record[name]
    except KeyError:
        raise InvalidInput(f"{spec.feature_group}.{name}: missing field") from None


def encode_records(spec: ModelSpec, records: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Validate and convert request records into the model's input tensors."""
    group = spec.feature_group
    out: dict[str, np.ndarray] = {}
    for tensor in spec.inputs:
        out[tensor.name] = _encode_tensor(spec, tensor, records, group)
    return out


def _encode_tensor(
    spec: ModelSpec, tensor: InputTensor, records: Sequence[Mapping[str, Any]], group: str
) -> np.ndarray:
    kind = _kind_of(spec, tensor)
    if kind is FieldKind.NUMBER:
        fast = _plain_numbers(tensor.fields, records)
        if fast is not None:
            return fast
        rows = [[_number(group, f, _field(spec, r, f)) for f in tensor.fields] for r in records]
        return np.asarray(rows, dtype=np.float32).reshape(len(records), len(tensor.fields))
    if kind is FieldKind.CATEGORY:
        cats = [[_category(group, f, _field(spec, r, f)) for f in tensor.fields] for r in records]
        return np.asarray(cats, dtype=object).reshape(len(records), len(tensor.fields))
    if kind is FieldKind.TEXT:
        name = tensor.fields[0]
        texts = [_text(group, name, _field(spec, r, name)) for r in records]
        return np.asarray(texts, dtype=object).reshape(len(records), 1)
    name = tensor.fields[0]
    arrays = [_tensor(group, name, _field(spec, r, name), tensor.shape) for r in records]
    if len(arrays) == 1:
        return arrays[0].reshape(1, *tensor.shape)  # a view: no copy
    return np.stack(arrays) if arrays else np.zeros((0, *tensor.shape), np.float32)


@functools.cache
def _getter(fields: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A record's values of ``fields`` as a tuple, in one C call."""
    if len(fields) == 1:
        only = fields[0]
        return lambda record: (record[only],)
    return operator.itemgetter(*fields)


def _plain_numbers(fields: tuple[str, ...], records: Sequence[Mapping[str, Any]]) -> np.ndarray | None:
    """The common case in one pass: every field present, a JSON number, finite in float32. ``None``
    sends the caller to the field-by-field path, which names what is wrong."""
    get = _getter(fields)
    try:
        rows = [get(r) for r in records]
        arr = np.asarray(rows)  # numbers (and booleans) only give a numeric (or boolean) dtype
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if arr.dtype.kind not in "iuf" or arr.shape != (len(records), len(fields)):
        return None
    # numpy reads true as 1 among numbers; the slow path refuses it by name
    if bool in map(type, rows[0] if len(rows) == 1 else itertools.chain.from_iterable(rows)):
        return None
    if arr.dtype.kind != "f":  # through float64, as the field-by-field path converts each value
        return arr.astype(np.float64).astype(np.float32)
    if not (np.abs(arr) <= FLOAT32_MAX).all():  # NaN compares False
        return None
    return arr.astype(np.float32)


def encode_frame(spec: ModelSpec, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Convert a training/evaluation DataFrame (columns = field names) into input tensors."""
    missing = [f for f in spec.field_names if f not in frame.columns]
    if missing:
        raise InvalidInput(f"{spec.feature_group}: missing columns {missing}")
    out: dict[str, np.ndarray] = {}
    for tensor in spec.inputs:
        kind = _kind_of(spec, tensor)
        cols = list(tensor.fields)
        if kind is FieldKind.NUMBER:
            arr = frame[cols].to_numpy(dtype=np.float32)
            if not np.isfinite(arr).all():
                raise InvalidInput(f"{spec.feature_group}: non-finite numbers in the frame")
            out[tensor.name] = arr
        elif kind is FieldKind.CATEGORY:
            out[tensor.name] = frame[cols].astype(str).to_numpy(dtype=object)
        elif kind is FieldKind.TEXT:
            texts = [normalize_text(str(t)) for t in frame[cols[0]]]
            out[tensor.name] = np.asarray(texts, dtype=object).reshape(-1, 1)
        else:
            out[tensor.name] = np.stack(list(frame[cols[0]])).astype(np.float32)
    return out


def _kind_of(spec: ModelSpec, tensor: InputTensor) -> FieldKind:
    return spec.kind_of(tensor.fields[0])
