"""v2 REST in process: health, metadata, JSON and binary inference, and every error path as a 4xx."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

import fortress
from fortress.registry.base import Candidate, ModelRegistry
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.runtime.batching_settings import BatchingSettings
from fortress.runtime.manager import ModelRuntime
from fortress.runtime.settings import RuntimeSettings
from fortress.training.parity import onnx_probabilities
from support.candidates import tiny_candidate
from support.v2_app import BackgroundLoop, v2_app

NAME = "tiny_detector"
INFER = f"/v2/models/{NAME}/infer"
HEADER = "Inference-Header-Content-Length"
Model = tuple[Candidate, dict[str, np.ndarray], np.ndarray]


class V2Client:
    """Sync calls into the app running on a background loop."""

    def __init__(self, loop: BackgroundLoop, client: httpx.AsyncClient) -> None:
        self._loop, self._client = loop, client

    def get(self, url: str) -> httpx.Response:
        return self._loop.run(self._client.get(url))

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run(self._client.post(url, **kwargs))


@contextmanager
def serving(registry: ModelRegistry, settings: RuntimeSettings | None = None) -> Iterator[V2Client]:
    app = v2_app(ModelRuntime(registry, settings or RuntimeSettings()))
    with BackgroundLoop() as loop:
        stack = AsyncExitStack()
        loop.run(stack.enter_async_context(app.router.lifespan_context(app)))
        transport = httpx.ASGITransport(app=app)
        client = loop.run(
            stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://v2"))
        )
        try:
            yield V2Client(loop, client)
        finally:
            loop.run(stack.aclose())


@pytest.fixture(scope="module")
def models() -> dict[int, Model]:
    return {1: tiny_candidate(seed=0), 2: tiny_candidate(seed=1)}


@pytest.fixture(scope="module")
def registry(new_registry: Callable[[], MlflowRegistry], models: dict[int, Model]) -> MlflowRegistry:
    registry = new_registry()
    for version in (1, 2):
        registry.register(models[version][0])
    registry.set_alias(NAME, "champion", 1)
    registry.set_alias(NAME, "canary", 2)
    return registry


@pytest.fixture(scope="module")
def v2(registry: MlflowRegistry) -> Iterator[V2Client]:
    with serving(registry) as client:
        yield client


def _rows(model: Model, rows: slice) -> dict[str, np.ndarray]:
    return {k: v[rows] for k, v in model[1].items()}


def _expected(model: Model, rows: slice) -> np.ndarray:
    return onnx_probabilities(model[0].onnx, _rows(model, rows))


def _strings(values: list[str]) -> bytes:
    return b"".join(struct.pack("<I", len(v.encode())) + v.encode() for v in values)


def _numeric(data: Any = ((0.1, 0.2), (0.3, 0.4)), shape: Any = (2, 2), **extra: Any) -> dict[str, Any]:
    return {"name": "numeric", "shape": list(shape), "datatype": "FP32", "data": data, **extra}


def _categorical(data: Any = ("tcp", "udp"), shape: Any = (2, 1), **extra: Any) -> dict[str, Any]:
    return {"name": "categorical", "shape": list(shape), "datatype": "BYTES", "data": data, **extra}


def _binary_body(header: dict[str, Any], *blobs: bytes) -> dict[str, Any]:
    head = orjson.dumps(header)
    return {"content": head + b"".join(blobs), "headers": {HEADER: str(len(head))}}


def test_health_and_server_metadata(v2: V2Client) -> None:
    assert v2.get("/v2/health/live").json() == {"live": True}
    ready = v2.get("/v2/health/ready")
    assert (ready.status_code, ready.json()) == (200, {"ready": True})
    meta = v2.get("/v2").json()
    assert meta["name"] == "fortress"
    assert meta["version"] == fortress.__version__
    assert "binary_tensor_data" in meta["extensions"]


def test_model_metadata_and_readiness(v2: V2Client) -> None:
    meta = v2.get(f"/v2/models/{NAME}").json()
    assert meta == {
        "name": NAME,
        "versions": ["1", "2"],
        "platform": "onnxruntime_onnx",
        "inputs": [
            {"name": "numeric", "datatype": "FP32", "shape": [-1, 2]},
            {"name": "categorical", "datatype": "BYTES", "shape": [-1, 1]},
        ],
        "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 2]}],
    }
    assert v2.get(f"/v2/models/{NAME}/versions/2").json() == meta
    assert v2.get(f"/v2/models/{NAME}/ready").json() == {"name": NAME, "ready": True}
    assert v2.get(f"/v2/models/{NAME}/versions/canary/ready").status_code == 200
    for url in (f"/v2/models/{NAME}/versions/3/ready", "/v2/models/nope/ready", "/v2/models/nope"):
        response = v2.get(url)
        assert response.status_code == 404
        assert "not loaded" in response.json()["error"] or "no version" in response.json()["error"]


def test_json_infer_matches_onnx_runtime(v2: V2Client, models: dict[int, Model]) -> None:
    feeds = _rows(models[1], slice(0, 5))
    body = {
        "id": "req-7",
        "inputs": [
            _numeric(feeds["numeric"].tolist(), (5, 2)),  # nested
            _categorical(feeds["categorical"].ravel().tolist(), (5, 1)),  # flat
        ],
    }
    response = v2.post(INFER, json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    result = response.json()
    assert (result["model_name"], result["model_version"], result["id"]) == (NAME, "1", "req-7")
    [output] = result["outputs"]
    assert (output["name"], output["datatype"], output["shape"]) == ("probabilities", "FP32", [5, 2])
    got = np.array(output["data"]).reshape(5, 2)
    np.testing.assert_allclose(got, _expected(models[1], slice(0, 5)), atol=1e-6)


@pytest.mark.parametrize(("path", "version"), [("versions/2", 2), ("versions/canary", 2), ("versions/1", 1)])
def test_version_or_label_in_the_path_selects_the_model(
    v2: V2Client, models: dict[int, Model], path: str, version: int
) -> None:
    feeds = _rows(models[version], slice(10, 13))
    body = {
        "inputs": [
            _numeric(feeds["numeric"].tolist(), (3, 2)),
            _categorical(feeds["categorical"].tolist(), (3, 1)),
        ]
    }
    result = v2.post(f"/v2/models/{NAME}/{path}/infer", json=body).json()
    assert result["model_version"] == str(version)
    got = np.array(result["outputs"][0]["data"]).reshape(3, 2)
    np.testing.assert_allclose(got, _expected(models[version], slice(10, 13)), atol=1e-6)


def test_binary_request_and_response_follow_the_extension(v2: V2Client, models: dict[int, Model]) -> None:
    feeds = _rows(models[1], slice(0, 7))
    numeric = feeds["numeric"].astype("<f4").tobytes()
    categorical = _strings(feeds["categorical"].ravel().tolist())
    inputs = [
        {
            "name": "numeric",
            "shape": [7, 2],
            "datatype": "FP32",
            "parameters": {"binary_data_size": len(numeric)},
        },
        {
            "name": "categorical",
            "shape": [7, 1],
            "datatype": "BYTES",
            "parameters": {"binary_data_size": len(categorical)},
        },
    ]
    expected = _expected(models[1], slice(0, 7))

    # What tritonclient.http sends by default: no outputs named, binary_data_output true.
    response = v2.post(
        INFER,
        **_binary_body({"inputs": inputs, "parameters": {"binary_data_output": True}}, numeric, categorical),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    length = int(response.headers[HEADER])
    header = orjson.loads(response.content[:length])
    [output] = header["outputs"]
    assert output["parameters"] == {"binary_data_size": 7 * 2 * 4}
    assert "data" not in output
    got = np.frombuffer(response.content[length:], dtype="<f4").reshape(output["shape"])
    np.testing.assert_allclose(got, expected, atol=1e-6)

    # An output's own binary_data overrides binary_data_output; without binary outputs the body is JSON.
    outputs = [{"name": "probabilities", "parameters": {"binary_data": False}}]
    body = {"inputs": inputs, "outputs": outputs, "parameters": {"binary_data_output": True}}
    response = v2.post(INFER, **_binary_body(body, numeric, categorical))
    assert HEADER.lower() not in response.headers
    np.testing.assert_allclose(
        np.array(response.json()["outputs"][0]["data"]).reshape(7, 2), expected, atol=1e-6
    )


def test_json_inputs_with_a_binary_output(v2: V2Client, models: dict[int, Model]) -> None:
    feeds = _rows(models[1], slice(0, 2))
    body = {
        "inputs": [
            _numeric(feeds["numeric"].tolist()),
            _categorical(feeds["categorical"].ravel().tolist()),
        ],
        "outputs": [{"name": "probabilities", "parameters": {"binary_data": True}}],
    }
    response = v2.post(INFER, json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    length = int(response.headers[HEADER])
    assert len(response.content) == length + 2 * 2 * 4
    [output] = orjson.loads(response.content[:length])["outputs"]
    assert (output["name"], output["shape"], output["parameters"]) == (
        "probabilities", [2, 2], {"binary_data_size": 16},
    )  # fmt: skip
    got = np.frombuffer(response.content[length:], dtype="<f4").reshape(2, 2)
    np.testing.assert_allclose(got, _expected(models[1], slice(0, 2)), atol=1e-6)


@dataclass(frozen=True)
class Case:
    status: int
    fragment: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    url: str = INFER

    def send(self, v2: V2Client) -> httpx.Response:
        if self.content is not None:
            return v2.post(self.url, content=self.content, headers=self.headers)
        return v2.post(self.url, json=self.json, headers=self.headers)


def _ok(**changes: Any) -> dict[str, Any]:
    return {"inputs": [_numeric(), _categorical()], **changes}


FLOATS = np.array([[0.1, 0.2], [0.3, 0.4]], dtype="<f4").tobytes()
TWO = _strings(["tcp", "udp"])
BIN_NUMERIC = {"name": "numeric", "shape": [2, 2], "datatype": "FP32", "parameters": {"binary_data_size": 16}}
BIN_CAT = {
    "name": "categorical",
    "shape": [2, 1],
    "datatype": "BYTES",
    "parameters": {"binary_data_size": len(TWO)},
}


def _binary_case(
    status: int, fragment: str, inputs: list[dict[str, Any]], *blobs: bytes, header: str | None = None
) -> Case:
    body = _binary_body({"inputs": inputs}, *blobs)
    headers = body["headers"] if header is None else {HEADER: header}
    return Case(status, fragment, content=body["content"], headers=headers)


def _with_size(tensor: dict[str, Any], size: Any) -> dict[str, Any]:
    return {**tensor, "parameters": {"binary_data_size": size}}


ERROR_CASES = {
    "unknown model": Case(404, "not loaded", _ok(), url="/v2/models/nope/infer"),
    "unknown version": Case(404, "version 9", _ok(), url=f"/v2/models/{NAME}/versions/9/infer"),
    "unknown label": Case(404, "'shadow'", _ok(), url=f"/v2/models/{NAME}/versions/shadow/infer"),
    "not json": Case(400, "Invalid JSON", content=b"{nope"),
    "empty body": Case(400, "Invalid JSON", content=b""),
    "no inputs": Case(400, "inputs", {"inputs": []}),
    "missing input": Case(400, "expected inputs", {"inputs": [_numeric()]}),
    "extra input": Case(
        400, "expected inputs", _ok(inputs=[_numeric(), _categorical(), {**_categorical(), "name": "text"}])
    ),
    "duplicate input": Case(400, "given twice", _ok(inputs=[_numeric(), _numeric(), _categorical()])),
    "wrong shape": Case(
        400, "must have shape [-1, 2]", _ok(inputs=[_numeric([1, 2, 3, 4], (1, 4)), _categorical()])
    ),
    "too few values": Case(400, "needs 4 values, got 3", _ok(inputs=[_numeric([1, 2, 3]), _categorical()])),
    "negative dimension": Case(
        400, "greater than or equal to 0", _ok(inputs=[_numeric(shape=(-1, 2)), _categorical()])
    ),
    "string dimension": Case(400, "shape", _ok(inputs=[_numeric(shape=("2", 2)), _categorical()])),
    "unsupported datatype": Case(
        400, "FP64 is not supported", _ok(inputs=[{**_numeric(), "datatype": "FP64"}, _categorical()])
    ),
    "unknown datatype": Case(
        400, "unknown datatype", _ok(inputs=[{**_numeric(), "datatype": "FLOAT"}, _categorical()])
    ),
    "numbers for a BYTES input": Case(
        400, "strings (BYTES)", _ok(inputs=[_numeric(), {**_categorical([1.0, 2.0]), "datatype": "FP32"}])
    ),
    "strings in FP32": Case(
        400, "numbers only", _ok(inputs=[_numeric(["a", "b", "c", "d"]), _categorical()])
    ),
    "numbers in BYTES": Case(400, "strings only", _ok(inputs=[_numeric(), _categorical([1, 2])])),
    "ragged data": Case(400, "ragged", _ok(inputs=[_numeric([[1, 2], [3]]), _categorical()])),
    "data not an array": Case(400, "JSON array", _ok(inputs=[_numeric(1.0, (1, 1)), _categorical()])),
    "batch sizes disagree": Case(400, "disagree", _ok(inputs=[_numeric(), _categorical(["tcp"], (1, 1))])),
    "unknown output": Case(400, "unknown output 'logits'", _ok(outputs=[{"name": "logits"}])),
    "classification": Case(
        400, "classification", _ok(outputs=[{"name": "probabilities", "parameters": {"classification": 2}}])
    ),
    "shared memory": Case(
        400, "shared memory", _ok(inputs=[_numeric(parameters={"shared_memory_region": "r"}), _categorical()])
    ),
    "binary_data not a bool": Case(
        400, "true or false", _ok(outputs=[{"name": "probabilities", "parameters": {"binary_data": 1}}])
    ),
    "id not a string": Case(400, "id", _ok(id=42)),
    "compressed body": Case(400, "Content-Encoding", _ok(), headers={"Content-Encoding": "gzip"}),
    "header length not a number": _binary_case(
        400, "must be an integer", [BIN_NUMERIC, BIN_CAT], FLOATS, TWO, header="ten"
    ),
    "header length past the body": _binary_case(
        400, "the body has", [BIN_NUMERIC, BIN_CAT], FLOATS, TWO, header="99999"
    ),
    "binary past the end": _binary_case(400, "runs past the end", [BIN_NUMERIC, BIN_CAT], FLOATS),
    "bytes left over": _binary_case(400, "belong to no input", [BIN_NUMERIC, BIN_CAT], FLOATS, TWO, b"xx"),
    "FP32 size wrong": _binary_case(
        400, "needs 16 bytes", [_with_size(BIN_NUMERIC, 8), BIN_CAT], FLOATS[:8], TWO
    ),
    "negative size": _binary_case(400, "non-negative", [_with_size(BIN_NUMERIC, -1), BIN_CAT], FLOATS, TWO),
    "data and binary": _binary_case(
        400, "both", [{**BIN_NUMERIC, "data": [1, 2, 3, 4]}, BIN_CAT], FLOATS, TWO
    ),
    "BYTES framing": _binary_case(
        400, "runs past the end of its data", [BIN_NUMERIC, _with_size(BIN_CAT, 9)], FLOATS, TWO[:9]
    ),
    "too many strings": _binary_case(
        400, "past its 2 elements", [BIN_NUMERIC, _with_size(BIN_CAT, 15)], FLOATS, _strings(["a", "b", "c"])
    ),
    "not UTF-8": _binary_case(
        400,
        "UTF-8",
        [BIN_NUMERIC, _with_size(BIN_CAT, 10)],
        FLOATS,
        _strings(["a"]) + b"\x01\x00\x00\x00\xff",
    ),
    "NaN": _binary_case(
        400, "NaN", [BIN_NUMERIC, BIN_CAT], np.array([np.nan, 0, 0, 0], "<f4").tobytes(), TWO
    ),
    "binary without the header": Case(400, "runs past the end", {"inputs": [BIN_NUMERIC, BIN_CAT]}),
}


@pytest.mark.parametrize("case", list(ERROR_CASES.values()), ids=list(ERROR_CASES))
def test_bad_requests_get_a_4xx_and_a_v2_error_body(v2: V2Client, case: Case) -> None:
    response = case.send(v2)
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"error"}
    assert case.fragment in response.json()["error"]


def test_request_larger_than_the_queue_is_400(registry: MlflowRegistry) -> None:
    settings = RuntimeSettings(batching=BatchingSettings(max_queue_rows=1))
    with serving(registry, settings) as v2:
        response = v2.post(INFER, json=_ok())
    assert response.status_code == 400
    assert "2 rows in one request; the limit is 1" in response.json()["error"]


def test_not_ready_without_models(new_registry: Callable[[], MlflowRegistry]) -> None:
    with serving(new_registry()) as v2:
        response = v2.get("/v2/health/ready")
        assert (response.status_code, response.json()) == (503, {"ready": False})
        assert v2.get("/v2/health/live").status_code == 200
