"""Open Inference Protocol v2 over gRPC: ``inference.GRPCInferenceService`` on ``grpc.aio``.

The messages are the generated ones shipped in ``tritonclient.grpc.service_pb2`` (the KServe v2 proto
plus Triton's extensions), so no protoc step is needed. Health, metadata and ModelInfer are served;
every other method of the service answers UNIMPLEMENTED. Inputs come as ``raw_input_contents`` (for
every input, or for none) or as typed ``contents``; outputs go back as ``raw_output_contents``, which
is what ``tritonclient.grpc`` reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

import grpc
from tritonclient.grpc import service_pb2 as pb

from fortress.errors import FortressError, NotFound, retry_after
from fortress.runtime.manager import ModelRuntime
from fortress.server.v2_codec import (
    FP32,
    InferCall,
    RequestedOutput,
    TensorMeta,
    check_datatype,
    check_outputs,
    check_shape,
    from_raw,
    from_values,
    model_meta,
    outputs_for,
    parse_version,
    reject_shared_memory,
    server_meta,
    to_raw,
)
from fortress.server.v2_errors import GRPC_CODE, BadV2Request

SERVICE = "inference.GRPCInferenceService"
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

Reply = TypeVar("Reply")
Method = Callable[[Any, Any], Awaitable[Reply]]


def create_grpc_server(
    runtime: ModelRuntime, address: str, *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
) -> grpc.aio.Server:
    """A gRPC v2 server bound to ``address`` (host:port), not started; create it in the serving loop."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ]
    )
    server.add_generic_rpc_handlers((GrpcV2Service(runtime).handler(),))
    server.add_insecure_port(address)
    return server


async def _abort(context: Any, exc: FortressError) -> None:
    retry = retry_after(exc)
    trailing = (("retry-after", str(retry)),) if retry is not None else ()
    await context.abort(grpc.StatusCode[GRPC_CODE[exc.kind]], str(exc), trailing_metadata=trailing)


def _translating(method: Method[Reply]) -> Method[Reply]:
    @wraps(method)
    async def wrapper(request: Any, context: Any) -> Reply:
        try:
            return await method(request, context)
        except FortressError as exc:
            await _abort(context, exc)
            raise AssertionError("context.abort returned") from exc

    return wrapper


class GrpcV2Service:
    def __init__(self, runtime: ModelRuntime) -> None:
        self.runtime = runtime

    def handler(self) -> grpc.GenericRpcHandler:
        methods: dict[str, tuple[Method[Any], Any, Any]] = {
            "ServerLive": (self.server_live, pb.ServerLiveRequest, pb.ServerLiveResponse),
            "ServerReady": (self.server_ready, pb.ServerReadyRequest, pb.ServerReadyResponse),
            "ModelReady": (self.model_ready, pb.ModelReadyRequest, pb.ModelReadyResponse),
            "ServerMetadata": (self.server_metadata, pb.ServerMetadataRequest, pb.ServerMetadataResponse),
            "ModelMetadata": (self.model_metadata, pb.ModelMetadataRequest, pb.ModelMetadataResponse),
            "ModelInfer": (self.model_infer, pb.ModelInferRequest, pb.ModelInferResponse),
        }
        handlers = {
            name: grpc.unary_unary_rpc_method_handler(
                _translating(method),
                request_deserializer=request_type.FromString,
                response_serializer=response_type.SerializeToString,
            )
            for name, (method, request_type, response_type) in methods.items()
        }
        return grpc.method_handlers_generic_handler(SERVICE, handlers)

    async def server_live(self, request: Any, context: Any) -> Any:
        return pb.ServerLiveResponse(live=True)

    async def server_ready(self, request: Any, context: Any) -> Any:
        return pb.ServerReadyResponse(ready=self.runtime.ready)

    async def model_ready(self, request: Any, context: Any) -> Any:
        version, label = parse_version(request.version)
        try:
            self.runtime.resolve(request.name, version, label)
        except NotFound:
            return pb.ModelReadyResponse(ready=False)
        return pb.ModelReadyResponse(ready=True)

    async def server_metadata(self, request: Any, context: Any) -> Any:
        meta = server_meta()
        return pb.ServerMetadataResponse(name=meta.name, version=meta.version, extensions=meta.extensions)

    async def model_metadata(self, request: Any, context: Any) -> Any:
        version, label = parse_version(request.version)
        served = self.runtime.resolve(request.name, version, label)
        meta = model_meta(self.runtime.entry(request.name), served.model)
        return pb.ModelMetadataResponse(
            name=meta.name,
            versions=meta.versions,
            platform=meta.platform,
            inputs=[_tensor_metadata(t) for t in meta.inputs],
            outputs=[_tensor_metadata(t) for t in meta.outputs],
        )

    async def model_infer(self, request: Any, context: Any) -> Any:
        call = decode_infer_request(request)
        version, label = parse_version(request.model_version)
        runtime = self.runtime
        submitted = runtime.submit(runtime.resolve(request.model_name, version, label), call.feeds)
        answer = await submitted.wait(runtime.settings.request_timeout_s)
        response = pb.ModelInferResponse(
            model_name=answer.model, model_version=str(answer.version), id=call.id
        )
        for out in outputs_for(call, answer.probabilities):
            response.outputs.add(name=out.name, datatype=out.datatype, shape=out.array.shape)
            response.raw_output_contents.append(to_raw(out.array, out.datatype))
        return response


def _tensor_metadata(tensor: TensorMeta) -> Any:
    return pb.ModelMetadataResponse.TensorMetadata(
        name=tensor.name, datatype=tensor.datatype, shape=tensor.shape
    )


def decode_infer_request(request: Any) -> InferCall:
    """A ``ModelInferRequest`` -> an ``InferCall`` (raw contents for every input, or typed contents)."""
    raw = request.raw_input_contents
    if raw and len(raw) != len(request.inputs):
        raise BadV2Request(
            f"raw_input_contents has {len(raw)} entries for {len(request.inputs)} inputs; "
            "when used it must hold every input"
        )
    feeds = {}
    for index, tensor in enumerate(request.inputs):
        name, datatype = tensor.name, tensor.datatype
        reject_shared_memory(f"input {name!r}", list(tensor.parameters))
        if name in feeds:
            raise BadV2Request(f"input {name!r} is given twice")
        check_datatype(name, datatype)
        shape = check_shape(name, tensor.shape)
        if raw:
            feeds[name] = from_raw(name, datatype, shape, raw[index])
        else:
            contents = tensor.contents.fp32_contents if datatype == FP32 else tensor.contents.bytes_contents
            feeds[name] = from_values(name, datatype, shape, contents)
    outputs = []
    for output in request.outputs:
        reject_shared_memory(f"output {output.name!r}", list(output.parameters))
        if "classification" in output.parameters:
            raise BadV2Request("the classification extension is not supported; read 'probabilities'")
        outputs.append(RequestedOutput(output.name))
    return InferCall(request.id, feeds, check_outputs(outputs))
