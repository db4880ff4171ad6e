"""Open Inference Protocol v2 tensors, shared by the REST and gRPC transports.

Fortress models take FP32 and BYTES tensors and give one FP32 output, ``probabilities``. A tensor comes
as JSON ``data`` (flat or nested, row-major), as raw little-endian bytes (the REST binary tensor
extension, gRPC ``raw_input_contents``) or as typed gRPC contents. BYTES elements are UTF-8 strings; in
raw form each is a 4-byte little-endian length followed by its bytes. Everything here is transport
neutral: the transports turn their messages into an ``InferCall`` and ``OutputTensor`` back into theirs.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import fortress
from fortress.catalog.spec import PROBABILITIES_OUTPUT
from fortress.runtime.manager import ModelEntry
from fortress.runtime.session import LoadedModel
from fortress.server.v2_errors import BadV2Request

FP32, BYTES = "FP32", "BYTES"
V2_DATATYPE = {"float32": FP32, "string": BYTES}
"""Our input dtypes (``InputTensor.dtype``) -> v2 datatype."""
OTHER_DATATYPES = frozenset(
    {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP64", "BF16"}
)
OUTPUTS = (PROBABILITIES_OUTPUT,)
PLATFORM = "onnxruntime_onnx"
SERVER_NAME = "fortress"
EXTENSIONS = ("binary_tensor_data",)
SHARED_MEMORY_PARAMETERS = ("shared_memory_region", "shared_memory_byte_size", "shared_memory_offset")
_FP32_LE = np.dtype("<f4")
_LENGTH = struct.Struct("<I")


# ---- messages -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RequestedOutput:
    name: str
    binary: bool | None = None
    """REST only: ``binary_data`` of this output; None follows the request's ``binary_data_output``."""


@dataclass(frozen=True, slots=True)
class InferCall:
    """A decoded inference request, whatever the transport."""

    id: str
    feeds: dict[str, np.ndarray]
    outputs: tuple[RequestedOutput, ...] = ()
    """Empty: every output."""
    binary_outputs: bool = False


@dataclass(frozen=True, slots=True)
class OutputTensor:
    name: str
    datatype: str
    array: np.ndarray
    binary: bool


@dataclass(frozen=True, slots=True)
class TensorMeta:
    name: str
    datatype: str
    shape: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ModelMeta:
    name: str
    versions: tuple[str, ...]
    platform: str
    inputs: tuple[TensorMeta, ...]
    outputs: tuple[TensorMeta, ...]


@dataclass(frozen=True, slots=True)
class ServerMeta:
    name: str
    version: str
    extensions: tuple[str, ...]


# ---- metadata and addressing --------------------------------------------------------------------
def server_meta() -> ServerMeta:
    return ServerMeta(SERVER_NAME, fortress.__version__, EXTENSIONS)


def model_meta(entry: ModelEntry, model: LoadedModel) -> ModelMeta:
    """Metadata of one loaded version; ``versions`` lists every loaded version of the model."""
    inputs = tuple(TensorMeta(t.name, V2_DATATYPE[t.dtype], (-1, *t.shape)) for t in model.spec.inputs)
    outputs = (TensorMeta(PROBABILITIES_OUTPUT, FP32, (-1, len(model.spec.labels))),)
    versions = tuple(str(v) for v in sorted(entry.versions))
    return ModelMeta(model.name, versions, PLATFORM, inputs, outputs)


def parse_version(text: str) -> tuple[int | None, str | None]:
    """A v2 version string -> (version, label): '' is the default, digits a number, else a label."""
    if not text:
        return None, None
    if text.isascii() and text.isdigit():
        return int(text), None
    return None, text


# ---- requests -----------------------------------------------------------------------------------
def check_datatype(name: str, datatype: str) -> None:
    if datatype in (FP32, BYTES):
        return
    if datatype in OTHER_DATATYPES:
        raise BadV2Request(
            f"input {name!r}: datatype {datatype} is not supported; Fortress models take FP32 and BYTES"
        )
    raise BadV2Request(f"input {name!r}: unknown datatype {datatype!r}; expected FP32 or BYTES")


def check_shape(name: str, shape: Sequence[int]) -> tuple[int, ...]:
    if any(d < 0 for d in shape):
        raise BadV2Request(f"input {name!r}: shape {list(shape)} has a negative dimension")
    return tuple(shape)


def reject_shared_memory(where: str, parameters: Sequence[str]) -> None:
    if any(p in parameters for p in SHARED_MEMORY_PARAMETERS):
        raise BadV2Request(f"{where}: shared memory is not supported; send the tensor data in the request")


def check_outputs(outputs: Sequence[RequestedOutput]) -> tuple[RequestedOutput, ...]:
    for output in outputs:
        if output.name not in OUTPUTS:
            raise BadV2Request(f"unknown output {output.name!r}; models produce {', '.join(OUTPUTS)}")
    return tuple(outputs)


def _count_mismatch(name: str, shape: tuple[int, ...], got: int) -> BadV2Request:
    return BadV2Request(f"input {name!r}: shape {list(shape)} needs {math.prod(shape)} values, got {got}")


def from_json(name: str, datatype: str, shape: tuple[int, ...], data: Any) -> np.ndarray:
    """A tensor from JSON ``data`` (a flat or nested array in row-major order)."""
    check_datatype(name, datatype)
    if not isinstance(data, list):
        raise BadV2Request(f"input {name!r}: 'data' must be a JSON array")
    try:
        values = np.asarray(data) if datatype == FP32 else np.array(data, dtype=object)
    except ValueError:
        raise BadV2Request(f"input {name!r}: 'data' is a ragged array") from None
    if datatype == FP32:
        if values.size and values.dtype.kind not in "iuf":
            raise BadV2Request(f"input {name!r}: FP32 data must hold numbers only")
        values = values.astype(np.float32)
    elif not all(isinstance(v, str) for v in values.flat):
        raise BadV2Request(f"input {name!r}: BYTES data must hold strings only (a flat or regular array)")
    if values.size != math.prod(shape):
        raise _count_mismatch(name, shape, values.size)
    return values.reshape(shape)


def from_raw(name: str, datatype: str, shape: tuple[int, ...], raw: bytes | memoryview) -> np.ndarray:
    """A tensor from raw bytes: little-endian FP32, or length-prefixed UTF-8 strings for BYTES."""
    check_datatype(name, datatype)
    count = math.prod(shape)
    if datatype == BYTES:
        return np.array(deserialize_strings(name, raw, count), dtype=object).reshape(shape)
    if len(raw) != 4 * count:
        raise BadV2Request(
            f"input {name!r}: shape {list(shape)} needs {4 * count} bytes of FP32 data, got {len(raw)}"
        )
    return np.frombuffer(raw, dtype=_FP32_LE).astype(np.float32, copy=False).reshape(shape)


def from_values(name: str, datatype: str, shape: tuple[int, ...], values: Sequence[Any]) -> np.ndarray:
    """A tensor from typed gRPC contents (``fp32_contents`` or ``bytes_contents``)."""
    check_datatype(name, datatype)
    if len(values) != math.prod(shape):
        raise _count_mismatch(name, shape, len(values))
    if datatype == FP32:
        return np.fromiter(values, dtype=np.float32, count=len(values)).reshape(shape)
    try:
        strings = [bytes(v).decode("utf-8") for v in values]
    except UnicodeDecodeError:
        raise BadV2Request(f"input {name!r}: BYTES elements must be UTF-8 text") from None
    return np.array(strings, dtype=object).reshape(shape)


def deserialize_strings(name: str, raw: bytes | memoryview, count: int) -> list[str]:
    """``count`` strings, each a 4-byte little-endian length then that many UTF-8 bytes."""
    out: list[str] = []
    offset, end = 0, len(raw)
    while offset < end:
        if len(out) == count:
            raise BadV2Request(f"input {name!r}: BYTES data has bytes past its {count} elements")
        size = _LENGTH.unpack_from(raw, offset)[0] if offset + 4 <= end else end  # cut-off prefix
        offset += 4
        if offset + size > end:
            raise BadV2Request(f"input {name!r}: BYTES element {len(out)} runs past the end of its data")
        try:
            out.append(str(raw[offset : offset + size], "utf-8"))
        except UnicodeDecodeError:
            raise BadV2Request(f"input {name!r}: BYTES element {len(out)} is not UTF-8 text") from None
        offset += size
    if len(out) != count:
        raise BadV2Request(f"input {name!r}: expected {count} BYTES elements, got {len(out)}")
    return out


# ---- responses ----------------------------------------------------------------------------------
def outputs_for(call: InferCall, probabilities: np.ndarray) -> list[OutputTensor]:
    """The requested outputs (all when none were named), each marked binary or JSON."""
    produced = {PROBABILITIES_OUTPUT: probabilities}
    wanted = call.outputs or tuple(RequestedOutput(name) for name in OUTPUTS)
    return [
        OutputTensor(o.name, FP32, produced[o.name], call.binary_outputs if o.binary is None else o.binary)
        for o in wanted
    ]


def to_raw(array: np.ndarray, datatype: str) -> bytes:
    if datatype == BYTES:
        encoded = [str(v).encode("utf-8") for v in array.flat]
        return b"".join(_LENGTH.pack(len(e)) + e for e in encoded)
    return np.ascontiguousarray(array, dtype=_FP32_LE).tobytes()


def to_json_data(array: np.ndarray, datatype: str) -> Any:
    """Flat row-major data for a JSON body (numpy FP32 arrays go to orjson as they are)."""
    if datatype == BYTES:
        return [str(v) for v in array.flat]
    return np.ascontiguousarray(array, dtype=np.float32).ravel()
