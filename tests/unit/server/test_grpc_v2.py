"""v2 gRPC in process: typed contents, the error table on the wire (with retry-after), UNIMPLEMENTED."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import numpy as np
import pytest
from tritonclient.grpc import service_pb2 as pb
from tritonclient.grpc import service_pb2_grpc

from fortress.errors import DeadlineExceeded, FortressError, Overloaded
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.runtime.batching_settings import BatchingSettings
from fortress.runtime.manager import ModelRuntime
from fortress.runtime.settings import RuntimeSettings
from fortress.server.grpc_v2 import create_grpc_server, decode_infer_request
from fortress.server.v2_codec import BYTES, to_raw
from fortress.server.v2_errors import BadV2Request
from fortress.training.parity import onnx_probabilities
from support.candidates import tiny_candidate
from support.processes import free_port
from support.v2_app import BackgroundLoop

NAME = "tiny_detector"
NUMERIC = np.array([[0.5, -1.0], [0.2, 0.3], [1.5, 0.0]], dtype=np.float32)
CATEGORICAL = np.array([["udp"], ["tcp"], ["sctp"]], dtype=object)


class Stub:
    """Sync calls to a gRPC v2 server running on a background loop."""

    def __init__(self, loop: BackgroundLoop, stub: Any) -> None:
        self._loop, self._stub = loop, stub

    def __call__(self, method: str, request: Any) -> Any:
        async def call() -> Any:
            return await getattr(self._stub, method)(request)

        return self._loop.run(call())


@pytest.fixture(scope="module")
def candidate() -> Any:
    return tiny_candidate(seed=0)[0]


@pytest.fixture(scope="module")
def registry(new_registry: Callable[[], MlflowRegistry], candidate: Any) -> MlflowRegistry:
    """A real MLflow registry (SQLite) holding tiny_detector v1 as champion."""
    registry = new_registry()
    registry.register(candidate)
    registry.set_alias(NAME, "champion", 1)
    return registry


@contextmanager
def _serve(
    registry: MlflowRegistry, settings: RuntimeSettings, runtime_type: type[ModelRuntime] = ModelRuntime
) -> Iterator[Stub]:
    address = f"127.0.0.1:{free_port()}"
    runtime = runtime_type(registry, settings)
    with BackgroundLoop() as loop:

        async def start() -> tuple[Any, Any]:
            await runtime.start()
            server = create_grpc_server(runtime, address)
            await server.start()
            return server, grpc.aio.insecure_channel(address)

        server, channel = loop.run(start())
        try:
            yield Stub(loop, service_pb2_grpc.GRPCInferenceServiceStub(channel))
        finally:

            async def stop() -> None:
                await channel.close()
                await server.stop(grace=None)
                await runtime.aclose()

            loop.run(stop())


@pytest.fixture
def stub(registry: MlflowRegistry) -> Iterator[Stub]:
    with _serve(registry, RuntimeSettings()) as served:
        yield served


def _request(rows: int = 3) -> Any:
    request = pb.ModelInferRequest(model_name=NAME, id="typed")
    numeric = request.inputs.add(name="numeric", datatype="FP32", shape=[rows, 2])
    numeric.contents.fp32_contents.extend(NUMERIC[:rows].ravel().tolist())
    categorical = request.inputs.add(name="categorical", datatype="BYTES", shape=[rows, 1])
    categorical.contents.bytes_contents.extend(s.encode() for s in CATEGORICAL[:rows].ravel())
    return request


def test_typed_contents_infer_and_raw_outputs(stub: Stub, candidate: Any) -> None:
    response = stub("ModelInfer", _request())
    assert (response.model_name, response.model_version, response.id) == (NAME, "1", "typed")
    [output] = response.outputs
    assert (output.name, output.datatype, list(output.shape)) == ("probabilities", "FP32", [3, 2])
    got = np.frombuffer(response.raw_output_contents[0], dtype="<f4").reshape(3, 2)
    expected = onnx_probabilities(candidate.onnx, {"numeric": NUMERIC, "categorical": CATEGORICAL})
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_health_and_readiness(stub: Stub) -> None:
    assert stub("ServerLive", pb.ServerLiveRequest()).live
    assert stub("ServerReady", pb.ServerReadyRequest()).ready
    assert stub("ModelReady", pb.ModelReadyRequest(name=NAME, version="champion")).ready
    assert not stub("ModelReady", pb.ModelReadyRequest(name=NAME, version="2")).ready
    assert stub("ServerMetadata", pb.ServerMetadataRequest()).name == "fortress"


@pytest.mark.parametrize(
    ("method", "request_message", "code"),
    [
        ("ModelInfer", pb.ModelInferRequest(model_name="nope"), grpc.StatusCode.NOT_FOUND),
        ("ModelMetadata", pb.ModelMetadataRequest(name=NAME, version="9"), grpc.StatusCode.NOT_FOUND),
        ("ModelInfer", pb.ModelInferRequest(model_name=NAME), grpc.StatusCode.INVALID_ARGUMENT),
        ("ModelConfig", pb.ModelConfigRequest(name=NAME), grpc.StatusCode.UNIMPLEMENTED),
        ("RepositoryIndex", pb.RepositoryIndexRequest(), grpc.StatusCode.UNIMPLEMENTED),
    ],
)
def test_errors_carry_their_status_code(stub: Stub, method: str, request_message: Any, code: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        stub(method, request_message)
    assert caught.value.code() == code


def test_request_larger_than_the_queue_is_invalid_argument(registry: MlflowRegistry) -> None:
    settings = RuntimeSettings(batching=BatchingSettings(max_queue_rows=1))
    with _serve(registry, settings) as stub:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            stub("ModelInfer", _request(rows=2))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "2 rows in one request; the limit is 1" in (caught.value.details() or "")


def _typed_request() -> Any:
    request = pb.ModelInferRequest(model_name="m", id="abc")
    numeric = request.inputs.add(name="numeric", datatype="FP32", shape=[2, 2])
    numeric.contents.fp32_contents.extend([0.5, 1.5, 2.5, 3.5])
    categorical = request.inputs.add(name="categorical", datatype="BYTES", shape=[2, 1])
    categorical.contents.bytes_contents.extend([b"tcp", "ü".encode()])
    request.outputs.add(name="probabilities")
    return request


def test_grpc_typed_contents_decode() -> None:
    call = decode_infer_request(_typed_request())
    assert call.id == "abc"
    np.testing.assert_array_equal(call.feeds["numeric"], [[0.5, 1.5], [2.5, 3.5]])
    assert call.feeds["categorical"].tolist() == [["tcp"], ["ü"]]
    assert [o.name for o in call.outputs] == ["probabilities"]


def test_grpc_raw_contents_decode_and_must_cover_every_input() -> None:
    request = pb.ModelInferRequest(model_name="m")
    request.inputs.add(name="numeric", datatype="FP32", shape=[1, 2])
    request.inputs.add(name="categorical", datatype="BYTES", shape=[1, 1])
    request.raw_input_contents.extend(
        [np.array([1, 2], "<f4").tobytes(), to_raw(np.array(["x"], object), BYTES)]
    )
    call = decode_infer_request(request)
    assert call.feeds["categorical"].tolist() == [["x"]]
    del request.raw_input_contents[1]
    with pytest.raises(BadV2Request, match="must hold every input"):
        decode_infer_request(request)


def _short_fp32(request: Any) -> None:
    request.inputs[0].contents.fp32_contents.pop()


def _int64(request: Any) -> None:
    request.inputs[0].datatype = "INT64"


def _negative_dimension(request: Any) -> None:
    request.inputs[0].shape[0] = -2


def _not_utf8(request: Any) -> None:
    request.inputs[1].contents.bytes_contents[0] = b"\xff"


def _unknown_output(request: Any) -> None:
    request.outputs[0].name = "logits"


def _shared_memory(request: Any) -> None:
    request.inputs[0].parameters["shared_memory_region"].string_param = "region"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_short_fp32, "needs 4 values, got 3"),
        (_int64, "INT64 is not supported"),
        (_negative_dimension, "negative dimension"),
        (_not_utf8, "UTF-8"),
        (_unknown_output, "unknown output"),
        (_shared_memory, "shared memory"),
    ],
)
def test_grpc_bad_requests(change: Callable[[Any], None], message: str) -> None:
    request = _typed_request()
    change(request)
    with pytest.raises(BadV2Request, match=message):
        decode_infer_request(request)


class RefusingRuntime(ModelRuntime):
    """The real runtime (started, model loaded) whose submit refuses as an overloaded or late one would;
    the request comes through a real grpc.aio server and channel."""

    refusal: FortressError = Overloaded("tiny_detector: queue full (9 rows waiting)", retry_after_s=1.5)

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        raise self.refusal


@pytest.mark.parametrize(
    ("refusal", "code", "retry_after"),
    [
        (
            Overloaded("tiny_detector: queue full (9 rows waiting)", retry_after_s=1.5),
            "RESOURCE_EXHAUSTED",
            "2",
        ),
        (Overloaded("tiny_detector: queue full", retry_after_s=0.2), "RESOURCE_EXHAUSTED", "1"),
        (DeadlineExceeded("tiny_detector: no answer within 0.5 s"), "DEADLINE_EXCEEDED", None),
    ],
)
def test_a_refusal_carries_retry_after_in_its_trailing_metadata(
    registry: MlflowRegistry,
    monkeypatch: pytest.MonkeyPatch,
    refusal: FortressError,
    code: str,
    retry_after: str | None,
) -> None:
    """What server/grpc_v2.py's _abort sends: the status of the kind, the message, and for an overloaded
    server the seconds to wait, rounded up, as "retry-after" (none for a deadline)."""
    monkeypatch.setattr(RefusingRuntime, "refusal", refusal)
    with (
        _serve(registry, RuntimeSettings(), RefusingRuntime) as stub,
        pytest.raises(grpc.aio.AioRpcError) as caught,
    ):
        stub("ModelInfer", _request())
    error = caught.value
    assert error.code() == grpc.StatusCode[code]
    assert error.details() == str(refusal)
    trailing = dict(error.trailing_metadata() or ())
    assert trailing.get("retry-after") == retry_after, trailing
