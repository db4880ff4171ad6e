"""TF Serving REST API over a real runtime and registry: request/response pairs from TF Serving's REST
documentation (api_rest.md) and handler tests, in both formats, and every error path."""

from __future__ import annotations

import base64
import dataclasses
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from fortress.errors import Overloaded
from fortress.registry.base import CANARY, Candidate, sha256_hex
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.registry.settings import RegistrySettings
from fortress.runtime.batching_settings import BatchingSettings
from fortress.runtime.manager import ModelRuntime
from fortress.runtime.settings import RuntimeSettings
from fortress.server.errors import error_response
from fortress.server.settings import ServerSettings
from fortress.settings import Settings
from fortress.training.parity import onnx_probabilities
from support.serving import ServedCandidates, register, served_candidates, served_client

TINY = "/v1/models/tiny_detector"
TEXT = "/v1/models/phishing_url"
ROWS = [
    {"numeric": [0.5, -1.0], "categorical": ["udp"]},
    {"numeric": [-0.3, 0.2], "categorical": ["tcp"]},
    {"numeric": [1.5, 0], "categorical": ["sctp"]},  # a whole number and a category never seen
]
TINY_FEEDS = {
    "numeric": np.array([r["numeric"] for r in ROWS], dtype=np.float32),
    "categorical": np.array([r["categorical"] for r in ROWS], dtype=object),
}
URLS = ["http://10.2.1.2/paypal-login/verify?id=7", "https://www.example3.com/news/12"]
TEXT_FEEDS = {"text": np.array([[u] for u in URLS], dtype=object)}

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"  # module scope: every test of this module runs on one event loop


@pytest.fixture(scope="module")
def candidates() -> ServedCandidates:
    return served_candidates()


@pytest.fixture(scope="module")
def shared_home(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, candidates: ServedCandidates
) -> Settings:
    """Like the ``settings`` fixture, but one registry for the module's read-only tests."""
    home = tmp_path_factory.mktemp("tfserving") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    settings = Settings(home=home, datasets_dir=None, registry=RegistrySettings())
    register(settings, candidates)
    return settings


@pytest.fixture(scope="module")
async def client(shared_home: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """One server (runtime + app) for the module: started once, closed after the last test."""
    async with served_client(shared_home) as (client, _):
        yield client


@pytest.fixture
def home(settings: Settings, candidates: ServedCandidates) -> Settings:
    """A registry of its own, for tests that change it."""
    register(settings, candidates)
    return settings


def expected(candidate: Candidate, feeds: dict[str, np.ndarray]) -> np.ndarray:
    return onnx_probabilities(candidate.onnx, feeds)


def ok_json(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return orjson.loads(response.content)


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = orjson.loads(response.content)
    assert list(body) == ["error"]
    assert isinstance(body["error"], str)
    assert "Traceback" not in body["error"]
    return str(body["error"])


async def test_row_and_columnar_formats_with_two_named_inputs(
    client: httpx.AsyncClient, candidates: ServedCandidates
) -> None:
    want = expected(candidates.tiny_v1, TINY_FEEDS)
    rows = ok_json(await client.post(f"{TINY}:predict", json={"instances": ROWS}))
    assert list(rows) == ["predictions"]
    np.testing.assert_allclose(rows["predictions"], want, atol=1e-6)

    columns = {"numeric": TINY_FEEDS["numeric"].tolist(), "categorical": [["udp"], ["tcp"], ["sctp"]]}
    body = {"signature_name": "serving_default", "inputs": columns}
    outputs = ok_json(await client.post(f"{TINY}:predict", json=body))
    assert list(outputs) == ["outputs"]
    np.testing.assert_allclose(outputs["outputs"], want, atol=1e-6)


async def test_single_input_model_takes_bare_values_named_values_and_b64(
    client: httpx.AsyncClient, candidates: ServedCandidates
) -> None:
    want = expected(candidates.text, TEXT_FEEDS)
    assert want.argmax(axis=1).tolist() == [1, 0]
    b64 = [[{"b64": base64.b64encode(u.encode()).decode()}] for u in URLS]
    bodies = [
        ({"instances": [[u] for u in URLS]}, "predictions"),
        ({"instances": [{"text": [u]} for u in URLS]}, "predictions"),
        ({"instances": b64}, "predictions"),
        ({"inputs": [[u] for u in URLS]}, "outputs"),
        ({"inputs": {"text": [[u] for u in URLS]}}, "outputs"),
        ({"inputs": b64}, "outputs"),
    ]
    for body, key in bodies:
        got = ok_json(await client.post(f"{TEXT}:predict", json=body))
        assert list(got) == [key], body
        np.testing.assert_allclose(got[key], want, atol=1e-6)


async def test_version_and_label_select_the_model_that_answers(
    client: httpx.AsyncClient, candidates: ServedCandidates
) -> None:
    v1, v2 = expected(candidates.tiny_v1, TINY_FEEDS), expected(candidates.tiny_v2, TINY_FEEDS)
    assert not np.allclose(v1, v2, atol=1e-4)  # two different models

    async def predict(path: str) -> Any:
        return ok_json(await client.post(f"{path}:predict", json={"instances": ROWS}))["predictions"]

    np.testing.assert_allclose(await predict(TINY), v1, atol=1e-6)  # default: the champion
    np.testing.assert_allclose(await predict(f"{TINY}/versions/1"), v1, atol=1e-6)
    np.testing.assert_allclose(await predict(f"{TINY}/versions/2"), v2, atol=1e-6)
    np.testing.assert_allclose(await predict(f"{TINY}/labels/champion"), v1, atol=1e-6)
    np.testing.assert_allclose(await predict(f"{TINY}/labels/canary"), v2, atol=1e-6)


def _available(*versions: int) -> dict[str, Any]:
    status = {"error_code": "OK", "error_message": ""}
    return {
        "model_version_status": [
            {"version": str(v), "state": "AVAILABLE", "status": status} for v in versions
        ]
    }


async def test_model_status(client: httpx.AsyncClient) -> None:
    assert ok_json(await client.get(TINY)) == _available(1, 2)
    assert ok_json(await client.get(f"{TINY}/versions/2")) == _available(2)
    assert ok_json(await client.get(f"{TINY}/labels/canary")) == _available(2)
    assert ok_json(await client.get(f"{TINY}/labels/champion")) == _available(1)
    assert ok_json(await client.get(TEXT)) == _available(1)


def _info(name: str, dtype: str, *dims: int) -> dict[str, Any]:
    shape = {"dim": [{"size": str(d), "name": ""} for d in dims], "unknown_rank": False}
    return {"dtype": dtype, "tensor_shape": shape, "name": name}


def _metadata(name: str, version: int, inputs: dict[str, Any], labels: int) -> dict[str, Any]:
    signature = {
        "inputs": inputs,
        "outputs": {"probabilities": _info("probabilities", "DT_FLOAT", -1, labels)},
        "method_name": "tensorflow/serving/predict",
        "defaults": {},
    }
    return {
        "model_spec": {"name": name, "signature_name": "", "version": str(version)},
        "metadata": {"signature_def": {"signature_def": {"serving_default": signature}}},
    }


async def test_model_metadata(client: httpx.AsyncClient, candidates: ServedCandidates) -> None:
    tiny_inputs = {
        "numeric": _info("numeric", "DT_FLOAT", -1, 2),
        "categorical": _info("categorical", "DT_STRING", -1, 1),
    }
    for path, version in ((TINY, 1), (f"{TINY}/versions/2", 2), (f"{TINY}/labels/canary", 2)):
        got = ok_json(await client.get(f"{path}/metadata"))
        extra = got["metadata"].pop("fortress")
        assert got == _metadata("tiny_detector", version, tiny_inputs, 2)
        assert extra["labels"] == ["benign", "malicious"]
        assert extra["input_fields"] == {"numeric": ["x", "y"], "categorical": ["proto"]}
    text = ok_json(await client.get(f"{TEXT}/metadata"))
    assert text["metadata"].pop("fortress")["onnx_sha256"] == sha256_hex(candidates.text.onnx)
    assert text == _metadata("phishing_url", 1, {"text": _info("text", "DT_STRING", -1, 1)}, 2)


@pytest.mark.parametrize(
    ("method", "path", "fragment"),
    [
        ("POST", "/v1/models/nope:predict", "model 'nope' is not loaded"),
        ("POST", f"{TINY}/versions/9:predict", "version 9 of model 'tiny_detector' is not loaded"),
        ("POST", f"{TINY}/labels/staging:predict", "no version labelled 'staging'"),
        ("GET", "/v1/models/nope", "model 'nope' is not loaded"),
        ("GET", f"{TINY}/versions/9", "version 9"),
        ("GET", f"{TINY}/labels/staging", "'staging'"),
        ("GET", "/v1/models/nope/metadata", "model 'nope'"),
        ("GET", f"{TINY}/versions/9/metadata", "version 9"),
    ],
)
async def test_unknown_model_version_or_label_is_404(
    client: httpx.AsyncClient, method: str, path: str, fragment: str
) -> None:
    response = await client.request(method, path, json={"instances": ROWS})
    assert fragment in error_of(response, 404)


def _json(value: Any) -> bytes:
    return orjson.dumps(value)


def _row(**changes: Any) -> bytes:
    return _json({"instances": [{**ROWS[0], **changes}]})


BAD_REQUESTS = [
    (TINY, b"", "The document is empty"),
    (TINY, b"instances = [1, 2]", "JSON Parse error"),
    (TINY, b'{"instances": [', "JSON Parse error"),
    (TINY, b"\xff\xfe", "JSON Parse error"),
    (TINY, b"[1, 2]", "expected an object"),
    (TINY, b'{"instances": [{"numeric": [NaN, 1.0], "categorical": ["tcp"]}]}', "JSON Parse error"),
    (TINY, b'{"instances": [{"numeric": [Infinity, 1.0], "categorical": ["tcp"]}]}', "JSON Parse error"),
    (TINY, _json({}), "Missing 'inputs' or 'instances' key"),
    (TINY, _json({"instances": ROWS, "inputs": {}}), "only one of 'inputs' or 'instances'"),
    (TINY, _json({"instances": []}), "No values in 'instances'"),
    (TINY, _json({"instances": {"numeric": [1, 2]}}), "expecting 'instances' to be a list"),
    (TINY, _json({"instances": [[0.5, 1.0]]}), "expecting list of objects"),
    (TINY, _json({"instances": [ROWS[0], [0.5, 1.0]]}), "Expecting object but got array at item 1"),
    (TINY, _json({"instances": [{"numeric": [0.5, 1.0]}]}), "keys must be equal to"),
    (TINY, _row(extra=[1.0]), "keys must be equal to"),
    (TINY, _row(numeric=[0.5]), "must have shape [-1, 2], got [1, 1]"),
    (TINY, _row(numeric=[[0.5, 1.0]]), "must have shape [-1, 2]"),
    (TINY, _json({"instances": [ROWS[0], {**ROWS[1], "numeric": [1.0]}]}), "not a dense tensor"),
    (TINY, _row(numeric=["NaN", 1.0]), "DT_FLOAT: every value must be a JSON number"),
    (TINY, _row(numeric=["0.5", "1.0"]), "DT_FLOAT"),
    (TINY, _row(numeric=[True, False]), "DT_FLOAT"),
    (TINY, _row(numeric=[None, 1.0]), "DT_FLOAT"),
    (TINY, _row(numeric=[{"b64": "AAAA"}, 1.0]), "DT_FLOAT"),
    (TINY, _row(numeric=[1e39, 1.0]), "without overflow"),
    (TINY, _row(categorical=[7]), "DT_STRING: every value must be a JSON string"),
    (TINY, _row(categorical=[None]), "got a JSON null"),
    (TINY, _row(categorical=[{"b64": "%%%"}]), "Unable to base64 decode"),
    (TINY, _row(categorical=[{"b64": base64.b64encode(b"\xff\xfe").decode()}]), "not UTF-8 text"),
    (TINY, _json({"inputs": [[0.5, 1.0]]}), "expecting an object as multiple input tensors"),
    (TINY, _json({"inputs": {"numeric": [[0.5, 1.0]]}}), "Missing named input: categorical"),
    (TINY, _json({"inputs": {"numeric": [[0.5, 1.0]], "categorical": [["a"], ["b"]]}}), "batch size"),
    (TINY, _json({"inputs": {"numeric": [[0.5, 1.0], [2.0]], "categorical": [["a"], ["b"]]}}), "dense"),
    (TINY, _json({"signature_name": "classify", "instances": ROWS}), 'signature name: "classify" not found'),
    (TINY, _json({"signature_name": 3, "instances": ROWS}), "'signature_name' key must be a string"),
    (TEXT, _json({"instances": URLS}), "must have shape [-1, 1], got [2]"),
    (TEXT, _json({"instances": [[u, u] for u in URLS]}), "must have shape [-1, 1], got [2, 2]"),
    (TEXT, _json({"instances": [["a"], ["b", "c"]]}), "not a dense tensor"),
    (TEXT, _json({"instances": [[1.0], [2.0]]}), "DT_STRING"),
    (TEXT, _json({"instances": [["a"], {"text": ["b"]}]}), "Expecting value/list but got object at item 1"),
]


@pytest.mark.parametrize(("path", "body", "fragment"), BAD_REQUESTS)
async def test_bad_requests_are_400_with_a_message(
    client: httpx.AsyncClient, path: str, body: bytes, fragment: str
) -> None:
    response = await client.post(f"{path}:predict", content=body)
    assert fragment in error_of(response, 400)


async def test_bodies_over_the_limit_are_413_declared_or_streamed(shared_home: Settings) -> None:
    limit = 4096
    big = _json({"instances": ROWS * 200})
    assert len(big) > limit

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 1000):
            yield big[i : i + 1000]

    async with served_client(shared_home, ServerSettings(grpc_port=0, max_body_bytes=limit)) as (client, _):
        assert "over the limit of 4096 bytes" in error_of(
            await client.post(f"{TINY}:predict", content=big), 413
        )
        streamed = await client.post(f"{TINY}:predict", content=chunks())
        assert "content-length" not in streamed.request.headers
        assert "over the limit" in error_of(streamed, 413)
        assert error_of(await client.post("/v2/models/tiny_detector/infer", content=big), 413)
        ok_json(await client.post(f"{TINY}:predict", json={"instances": ROWS}))  # under the limit


async def test_unknown_routes_and_wrong_methods(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{TINY}:predict")
    error_of(response, 405)
    assert response.headers["allow"] == "POST"
    response = await client.post(TINY, json={"instances": ROWS})
    error_of(response, 405)
    assert "GET" in response.headers["allow"]
    error_of(await client.post(f"{TINY}/metadata", json={}), 405)
    error_of(await client.put(f"{TINY}:predict", json={"instances": ROWS}), 405)
    assert "Malformed request" in error_of(await client.post(f"{TINY}:classify", json={}), 404)
    error_of(await client.get(f"{TINY}/versions/x"), 404)
    error_of(await client.get("/v1/models/"), 404)
    error_of(await client.get("/nope"), 404)


async def test_oversized_request_is_400_overload_is_429_and_deadline_is_504(shared_home: Settings) -> None:
    def with_runtime(**changes: Any) -> Settings:
        return shared_home.model_copy(update={"runtime": RuntimeSettings(**changes)})

    async with served_client(with_runtime(batching=BatchingSettings(max_queue_rows=2))) as (client, _):
        response = await client.post(f"{TINY}:predict", json={"instances": ROWS})  # 3 rows > 2 allowed
        assert "3 rows in one request; the limit is 2" in error_of(response, 400)
    # A full queue is exercised deterministically in tests/unit/runtime/test_batcher.py; here: its mapping.
    overloaded = error_response(Overloaded("tiny_detector: queue full (9 rows waiting)", retry_after_s=1.5))
    assert (overloaded.status_code, overloaded.headers["retry-after"]) == (429, "2")
    assert orjson.loads(bytes(overloaded.body)) == {"error": "tiny_detector: queue full (9 rows waiting)"}
    async with served_client(with_runtime(request_timeout_s=1e-9)) as (client, _):
        response = await client.post(f"{TINY}:predict", json={"instances": ROWS})
        assert "no answer within" in error_of(response, 504)


async def test_failed_version_shows_in_status_and_the_rest_keeps_serving(
    home: Settings, candidates: ServedCandidates
) -> None:
    broken = dataclasses.replace(candidates.tiny_v2, onnx=candidates.text.onnx)  # graph with other inputs
    registry = MlflowRegistry(home.registry, home.home)
    registry.set_alias("tiny_detector", CANARY, registry.register(broken).version)

    async with served_client(home) as (client, _):
        body = ok_json(await client.get(TINY))
        states = [(s["version"], s["state"], s["status"]["error_code"]) for s in body["model_version_status"]]
        assert states == [("1", "AVAILABLE", "OK"), ("3", "END", "UNKNOWN")]
        assert "execution failed" in body["model_version_status"][1]["status"]["error_message"]
        assert ok_json(await client.get(f"{TINY}/versions/3"))["model_version_status"][0]["state"] == "END"
        error_of(await client.post(f"{TINY}/labels/canary:predict", json={"instances": ROWS}), 404)
        ok_json(await client.post(f"{TINY}:predict", json={"instances": ROWS}))
        ready = ok_json(await client.get("/health/ready"))
        assert list(ready["failed_loads"]) == ["tiny_detector:3"]


async def test_metrics_health_and_readiness(shared_home: Settings) -> None:
    async with served_client(shared_home) as (client, metrics):
        ok_json(await client.post(f"{TINY}:predict", json={"instances": ROWS}))
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert 'fortress_batch_rows_sum{model="tiny_detector",version="1"} 3.0' in response.text
        assert (
            metrics.get_sample_value("fortress_model_loaded", {"model": "phishing_url", "version": "1"}) == 1
        )
        assert (await client.get("/health/live")).status_code == 200
        ready = ok_json(await client.get("/health/ready"))
        assert ready["ready"] is True
        assert ready["models"] == {"phishing_url": [1], "tiny_detector": [1, 2]}


async def test_empty_registry_is_not_ready(settings: Settings) -> None:
    async with served_client(settings) as (client, _):
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert orjson.loads(response.content)["ready"] is False
        error_of(await client.post(f"{TINY}:predict", json={"instances": ROWS}), 404)


async def test_a_streamed_predict_body_is_answered_like_a_whole_one(client: httpx.AsyncClient) -> None:
    body = _json({"instances": ROWS})

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 5):
            yield body[i : i + 5]

    whole = ok_json(await client.post(f"{TINY}:predict", content=body))
    streamed = await client.post(f"{TINY}:predict", content=chunks())
    assert "content-length" not in streamed.request.headers
    assert ok_json(streamed) == whole


async def test_a_bug_behind_predict_is_a_500_without_internals(
    shared_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    async with served_client(shared_home) as (client, _):
        monkeypatch.setattr(ModelRuntime, "submit", broken)
        response = await client.post(f"{TINY}:predict", json={"instances": ROWS})
    assert response.status_code == 500
    assert response.json() == {"error": "internal server error"}
