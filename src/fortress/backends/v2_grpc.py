"""The v2 gRPC wire: ``inference.GRPCInferenceService`` on ``grpc.aio`` with tritonclient's messages.

Inputs go as ``raw_input_contents`` (or typed ``bytes_contents`` when every input is BYTES);
probabilities come back as ``raw_output_contents`` (typed ``fp32_contents`` are read too). Status
codes become domain errors: INVALID_ARGUMENT, OUT_OF_RANGE and FAILED_PRECONDITION ``InvalidInput``;
NOT_FOUND ``NotServed``; RESOURCE_EXHAUSTED ``Overloaded`` (``retry-after`` trailing metadata);
UNAUTHENTICATED, PERMISSION_DENIED and UNIMPLEMENTED ``Unavailable``; the rest (UNAVAILABLE,
DEADLINE_EXCEEDED, INTERNAL, ...) ``BackendDown``. The channel retries a lost connection at least
every ``min(status_poll_s, breaker_reset_s)``, so a server that comes back is found by the next poll
(whose first call waits for the channel to be ready) or breaker trial.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc
import numpy as np
from tritonclient.grpc import service_pb2 as pb
from tritonclient.grpc import service_pb2_grpc

from fortress.backends.errors import BackendDown, NotServed
from fortress.backends.remote_settings import RemoteBackendSettings
from fortress.backends.v2_tensors import (
    FP32,
    datatype,
    decode_fp32,
    fp32_bytes,
    parse_version,
    raw_strings,
    strings,
)
from fortress.catalog.spec import PROBABILITIES_OUTPUT
from fortress.errors import FortressError, InvalidInput, Overloaded, Unavailable

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_INVALID = {"INVALID_ARGUMENT", "OUT_OF_RANGE", "FAILED_PRECONDITION"}
_REFUSED = {"UNAUTHENTICATED", "PERMISSION_DENIED", "UNIMPLEMENTED"}


class GrpcV2Client:
    def __init__(self, settings: RemoteBackendSettings) -> None:
        self.settings = settings
        self._channel: Any = None
        self._stub: Any = None

    async def connect(self) -> None:
        backoff_ms = max(100, int(1000 * min(self.settings.status_poll_s, self.settings.breaker_reset_s)))
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.initial_reconnect_backoff_ms", min(1000, backoff_ms)),
            ("grpc.min_reconnect_backoff_ms", min(1000, backoff_ms)),
            ("grpc.max_reconnect_backoff_ms", backoff_ms),
        ]
        self._channel = grpc.aio.insecure_channel(self.settings.url, options=options)
        self._stub = service_pb2_grpc.GRPCInferenceServiceStub(self._channel)

    async def aclose(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = self._stub = None

    async def _rpc(self, method: Any, request: Any, where: str, *, wait: bool = False) -> Any:
        """``wait``: while the channel reconnects, wait for it (up to ``timeout_s``) instead of failing."""
        try:
            return await method(request, timeout=self.settings.timeout_s, wait_for_ready=wait)
        except grpc.aio.AioRpcError as exc:
            state = self._channel.get_state() if wait else None
            if state is not None and state is not grpc.ChannelConnectivity.READY:  # why it waited in vain
                timeout = self.settings.timeout_s
                raise BackendDown(f"{where}: not connected within {timeout:g} s ({state.name})") from None
            raise error_for(exc, where) from None

    async def versions(self, name: str, where: str) -> list[int]:
        request = pb.ModelMetadataRequest(name=name)
        response = await self._rpc(self._stub.ModelMetadata, request, where, wait=True)  # polls wait
        return sorted(parse_version(v) for v in response.versions)

    async def ready(self, name: str, version: str, where: str) -> bool:
        request = pb.ModelReadyRequest(name=name, version=version)
        try:
            response = await self._rpc(self._stub.ModelReady, request, where)
        except (NotServed, InvalidInput):
            return False
        return bool(response.ready)

    async def infer(
        self, name: str, version: str, feeds: Mapping[str, np.ndarray], shape: tuple[int, int], where: str
    ) -> tuple[int, np.ndarray]:
        response = await self._rpc(self._stub.ModelInfer, infer_request(name, version, feeds), where)
        return parse_version(response.model_version), _probabilities(response, shape, where)


def infer_request(name: str, version: str, feeds: Mapping[str, np.ndarray]) -> Any:
    """Raw contents when there is an FP32 input (raw is all inputs or none), else typed
    ``bytes_contents``, which both sides handle faster than length-prefixed strings."""
    request = pb.ModelInferRequest(model_name=name, model_version=version)
    kinds = {input_name: datatype(input_name, value) for input_name, value in feeds.items()}
    raw = FP32 in kinds.values()
    for input_name, value in feeds.items():
        kind = kinds[input_name]
        tensor = request.inputs.add(name=input_name, datatype=kind, shape=value.shape)
        if raw:
            data = fp32_bytes(value) if kind == FP32 else raw_strings(input_name, value)
            request.raw_input_contents.append(data)
        else:
            tensor.contents.bytes_contents.extend([s.encode("utf-8") for s in strings(input_name, value)])
    return request


def _probabilities(response: Any, shape: tuple[int, int], where: str) -> np.ndarray:
    for index, output in enumerate(response.outputs):
        if output.name != PROBABILITIES_OUTPUT:
            continue
        try:
            if index < len(response.raw_output_contents):
                return decode_fp32(response.raw_output_contents[index], shape, where)
            values = output.contents.fp32_contents
            return np.fromiter(values, dtype=np.float32, count=len(values)).reshape(shape)
        except ValueError as exc:
            raise BackendDown(f"{where}: unreadable inference answer ({exc})") from None
    raise BackendDown(f"{where}: the answer has no {PROBABILITIES_OUTPUT!r} output")


def error_for(exc: Any, where: str) -> FortressError:
    code = exc.code().name
    message = exc.details() or code
    if code in _INVALID:
        return InvalidInput(message)
    if code == "NOT_FOUND":
        return NotServed(f"{where}: {message}")
    if code == "RESOURCE_EXHAUSTED":
        return Overloaded(f"{where}: {message}", retry_after_s=_retry_after(exc))
    if code in _REFUSED:
        return Unavailable(f"{where}: {code}: {message}")
    return BackendDown(f"{where}: {code}: {message}")


def _retry_after(exc: Any) -> float:
    for key, value in exc.trailing_metadata() or ():
        if key == "retry-after":
            try:
                return float(value)
            except ValueError:
                break
    return 1.0
