"""The REST body of a v2 inference: the JSON request/response and Triton's binary tensor extension.

With binary data the body is the JSON object followed by the tensors' bytes, in the order of the
tensors in the JSON; the ``Inference-Header-Content-Length`` header gives the JSON's length and each
binary tensor carries ``parameters.binary_data_size``. Outputs are returned as binary when the
requested output says ``binary_data: true``, or when the request says ``binary_data_output: true``
(``tritonclient.http`` sends that when no output is named) and the output does not say otherwise.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError

from fortress.server.v2_codec import (
    InferCall,
    OutputTensor,
    RequestedOutput,
    check_outputs,
    from_json,
    from_raw,
    reject_shared_memory,
    to_json_data,
    to_raw,
)
from fortress.server.v2_errors import BadV2Request

HEADER_LENGTH = "Inference-Header-Content-Length"
JSON_TYPE = "application/json"
BINARY_TYPE = "application/octet-stream"

Parameter = StrictBool | StrictInt | StrictFloat | StrictStr
Dimension = Annotated[StrictInt, Field(ge=0)]


class RestInput(BaseModel):
    name: str
    shape: list[Dimension]
    datatype: str
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    data: Any = None


class RestOutput(BaseModel):
    name: str
    parameters: dict[str, Parameter] = Field(default_factory=dict)


class RestInferRequest(BaseModel):
    id: str = ""
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    inputs: list[RestInput] = Field(min_length=1)
    outputs: list[RestOutput] = Field(default_factory=list)


def decode_request(body: bytes, header_length: str | None) -> InferCall:
    """The body of ``POST .../infer`` (JSON, or JSON + binary tensors) -> an ``InferCall``."""
    header, binary = _split(body, header_length)
    request = _parse(header)
    feeds = {}
    offset = 0
    for tensor in request.inputs:
        reject_shared_memory(f"input {tensor.name!r}", list(tensor.parameters))
        if tensor.name in feeds:
            raise BadV2Request(f"input {tensor.name!r} is given twice")
        shape = tuple(tensor.shape)
        size = tensor.parameters.get("binary_data_size")
        if size is None:
            feeds[tensor.name] = from_json(tensor.name, tensor.datatype, shape, tensor.data)
            continue
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise BadV2Request(f"input {tensor.name!r}: binary_data_size must be a non-negative integer")
        if tensor.data is not None:
            raise BadV2Request(f"input {tensor.name!r} has both 'data' and binary_data_size")
        if offset + size > len(binary):
            raise BadV2Request(
                f"input {tensor.name!r}: binary data runs past the end of the body "
                f"({len(binary)} bytes follow the JSON header)"
            )
        feeds[tensor.name] = from_raw(tensor.name, tensor.datatype, shape, binary[offset : offset + size])
        offset += size
    if offset != len(binary):
        raise BadV2Request(f"{len(binary) - offset} bytes after the JSON header belong to no input")
    outputs = []
    for output in request.outputs:
        reject_shared_memory(f"output {output.name!r}", list(output.parameters))
        if "classification" in output.parameters:
            raise BadV2Request("the classification extension is not supported; read 'probabilities'")
        outputs.append(RequestedOutput(output.name, _flag(output.parameters, "binary_data")))
    binary_outputs = _flag(request.parameters, "binary_data_output") or False
    return InferCall(request.id, feeds, check_outputs(outputs), binary_outputs)


def encode_response(
    model_name: str, version: int, request_id: str, outputs: list[OutputTensor]
) -> tuple[bytes, int | None]:
    """The response body and, when binary tensors follow the JSON, the JSON's length."""
    described: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for out in outputs:
        tensor: dict[str, Any] = {"name": out.name, "datatype": out.datatype, "shape": list(out.array.shape)}
        if out.binary:
            blob = to_raw(out.array, out.datatype)
            tensor["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            tensor["data"] = to_json_data(out.array, out.datatype)
        described.append(tensor)
    response: dict[str, Any] = {"model_name": model_name, "model_version": str(version)}
    if request_id:
        response["id"] = request_id
    response["outputs"] = described
    header = orjson.dumps(response, option=orjson.OPT_SERIALIZE_NUMPY)
    if not blobs:
        return header, None
    return b"".join((header, *blobs)), len(header)


def _split(body: bytes, header_length: str | None) -> tuple[bytes, memoryview]:
    if header_length is None:
        return body, memoryview(b"")
    try:
        length = int(header_length)
    except ValueError:
        raise BadV2Request(f"{HEADER_LENGTH} must be an integer, got {header_length!r}") from None
    if not 0 < length <= len(body):
        raise BadV2Request(f"{HEADER_LENGTH} is {length} but the body has {len(body)} bytes")
    view = memoryview(body)
    return body[:length], view[length:]


def _parse(header: bytes) -> RestInferRequest:
    try:
        return RestInferRequest.model_validate_json(header)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise BadV2Request(f"invalid v2 inference request: {problems}") from None


def _flag(parameters: dict[str, Any], name: str) -> bool | None:
    value = parameters.get(name)
    if value is not None and not isinstance(value, bool):
        raise BadV2Request(f"parameter {name!r} must be true or false")
    return value
