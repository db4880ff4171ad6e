"""The official Triton clients (HTTP and gRPC) against our v2 server, over a real SQLite MLflow registry.

uvicorn serves the REST routes and the app's lifespan runs the gRPC server on the same event loop.
Every answer is compared with ONNX Runtime run directly on the registered graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException, np_to_triton_dtype

from fortress.catalog import get_spec
from fortress.catalog.encode import encode_frame
from fortress.registry.base import Candidate
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.runtime.manager import ModelRuntime
from fortress.runtime.settings import RuntimeSettings
from fortress.settings import Settings
from fortress.training.parity import onnx_probabilities
from support.candidates import SPEC as TINY_SPEC
from support.candidates import tiny_frame
from support.processes import free_port
from support.serving import ServedCandidates, register, served_candidates
from support.v2_app import uvicorn_thread, v2_app

TINY, URL = "tiny_detector", "phishing_url"
STATUS = {  # what each client reports for our error kinds
    "http": {"not_found": "404", "invalid": "400"},
    "grpc": {"not_found": "StatusCode.NOT_FOUND", "invalid": "StatusCode.INVALID_ARGUMENT"},
}
CLIENTS: dict[str, Any] = {"http": httpclient, "grpc": grpcclient}
URLS = [
    *(f"https://www.example{i}.com/news/{i * 7}" for i in range(12)),
    *(f"http://{i}.{i + 3}.1.2/paypal-login/verify?id={i}" for i in range(13)),
]
FEEDS = {
    TINY: encode_frame(TINY_SPEC, tiny_frame(n=40, seed=9)[0]),
    URL: encode_frame(get_spec(URL), pd.DataFrame({"url": URLS})),
}


@dataclass(frozen=True)
class Served:
    http_url: str
    grpc_url: str
    models: dict[tuple[str, int], Candidate]

    def client(self, protocol: str) -> Any:
        url = self.http_url if protocol == "http" else self.grpc_url
        return CLIENTS[protocol].InferenceServerClient(url=url)

    def expected(self, name: str, version: int, rows: slice) -> np.ndarray:
        return onnx_probabilities(self.models[name, version].onnx, _feeds(name, rows))


@pytest.fixture(scope="module")
def candidates() -> ServedCandidates:
    return served_candidates()


@pytest.fixture
def served(settings: Settings, candidates: ServedCandidates) -> Iterator[Served]:
    """tiny_detector v1 (champion) and v2 (canary), phishing_url v1, over REST and gRPC."""
    register(settings, candidates)
    http_port, grpc_port = free_port(), free_port()
    runtime = ModelRuntime(MlflowRegistry(settings.registry, settings.home), RuntimeSettings())
    models = {(TINY, 1): candidates.tiny_v1, (TINY, 2): candidates.tiny_v2, (URL, 1): candidates.text}
    with uvicorn_thread(v2_app(runtime, grpc_address=f"127.0.0.1:{grpc_port}"), http_port):
        yield Served(f"127.0.0.1:{http_port}", f"127.0.0.1:{grpc_port}", models)


def _feeds(name: str, rows: slice) -> dict[str, np.ndarray]:
    return {k: v[rows] for k, v in FEEDS[name].items()}


def _inputs(protocol: str, feeds: dict[str, np.ndarray], binary: bool = True) -> list[Any]:
    module = CLIENTS[protocol]
    out = []
    for name, value in feeds.items():
        tensor = module.InferInput(name, list(value.shape), np_to_triton_dtype(value.dtype))
        if protocol == "http":
            tensor.set_data_from_numpy(value, binary_data=binary)
        else:
            tensor.set_data_from_numpy(value)
        out.append(tensor)
    return out


def _metadata(protocol: str, client: Any, name: str, version: str = "") -> dict[str, Any]:
    if protocol == "http":
        return dict(client.get_model_metadata(name, version))
    meta = client.get_model_metadata(name, version, as_json=True)
    for tensor in meta["inputs"] + meta["outputs"]:
        tensor["shape"] = [int(d) for d in tensor["shape"]]  # protobuf JSON gives int64 as strings
    return dict(meta)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_health_and_metadata(served: Served, protocol: str) -> None:
    client = served.client(protocol)
    try:
        assert client.is_server_live()
        assert client.is_server_ready()
        assert client.is_model_ready(TINY)
        assert client.is_model_ready(TINY, "2")
        assert not client.is_model_ready(TINY, "5")
        assert not client.is_model_ready("nope")
        server = (
            client.get_server_metadata() if protocol == "http" else client.get_server_metadata(as_json=True)
        )
        assert server["name"] == "fortress"
        assert "binary_tensor_data" in server["extensions"]
        meta = _metadata(protocol, client, TINY)
        assert (meta["name"], meta["versions"], meta["platform"]) == (TINY, ["1", "2"], "onnxruntime_onnx")
        assert [(t["name"], t["datatype"], t["shape"]) for t in meta["inputs"]] == [
            ("numeric", "FP32", [-1, 2]),
            ("categorical", "BYTES", [-1, 1]),
        ]
        assert [(t["name"], t["datatype"], t["shape"]) for t in meta["outputs"]] == [
            ("probabilities", "FP32", [-1, 2])
        ]
        url_meta = _metadata(protocol, client, URL, "1")
        assert [(t["name"], t["datatype"], t["shape"]) for t in url_meta["inputs"]] == [
            ("text", "BYTES", [-1, 1])
        ]
    finally:
        client.close()


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_infer_matches_onnx_runtime(served: Served, protocol: str) -> None:
    client = served.client(protocol)
    try:
        rows = slice(0, 37)
        result = client.infer(TINY, _inputs(protocol, _feeds(TINY, rows)), request_id="batch-1")
        np.testing.assert_allclose(
            result.as_numpy("probabilities"), served.expected(TINY, 1, rows), atol=1e-6
        )
        response = result.get_response() if protocol == "http" else result.get_response(as_json=True)
        assert (response["model_name"], response["model_version"], response["id"]) == (TINY, "1", "batch-1")

        for version in ("2", "canary"):  # by number and by label
            feeds = _feeds(TINY, slice(5, 9))
            result = client.infer(TINY, _inputs(protocol, feeds), model_version=version)
            np.testing.assert_allclose(
                result.as_numpy("probabilities"), served.expected(TINY, 2, slice(5, 9)), atol=1e-6
            )

        urls = slice(0, len(URLS))  # benign and phishing
        result = client.infer(URL, _inputs(protocol, _feeds(URL, urls)))
        probabilities = result.as_numpy("probabilities")
        assert probabilities.shape == (25, 2)
        np.testing.assert_allclose(probabilities, served.expected(URL, 1, urls), atol=1e-6)
    finally:
        client.close()


def test_http_json_tensors_both_ways(served: Served) -> None:
    client = served.client("http")
    try:
        feeds = _feeds(URL, slice(0, 3))
        outputs = [httpclient.InferRequestedOutput("probabilities", binary_data=False)]
        result = client.infer(URL, _inputs("http", feeds, binary=False), outputs=outputs)
        assert "data" in result.get_output("probabilities")
        np.testing.assert_allclose(
            result.as_numpy("probabilities"), served.expected(URL, 1, slice(0, 3)), atol=1e-6
        )
    finally:
        client.close()


def _wrong_shape(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {**feeds, "numeric": np.zeros((len(feeds["numeric"]), 3), np.float32)}


def _fp64(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {**feeds, "numeric": feeds["numeric"].astype(np.float64)}


def _missing(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"numeric": feeds["numeric"]}


def _strings_for_numbers(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {**feeds, "numeric": feeds["numeric"].astype(str).astype(object)}


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_errors_reach_the_client_with_their_status(served: Served, protocol: str) -> None:
    client = served.client(protocol)
    feeds = _feeds(TINY, slice(0, 4))
    cases: list[tuple[str, str, str, dict[str, np.ndarray], str]] = [
        (TINY, "shadow", "not_found", feeds, "'shadow'"),
        ("nope", "", "not_found", feeds, "'nope'"),
        (TINY, "7", "not_found", feeds, "version 7"),
        (TINY, "", "invalid", _wrong_shape(feeds), "shape [-1, 2]"),
        (TINY, "", "invalid", _fp64(feeds), "FP64 is not supported"),
        (TINY, "", "invalid", _missing(feeds), "expected inputs"),
        (TINY, "", "invalid", _strings_for_numbers(feeds), "must be FP32"),
    ]
    try:
        for name, version, kind, bad, message in cases:
            with pytest.raises(InferenceServerException) as caught:
                client.infer(name, _inputs(protocol, bad), model_version=version)
            assert caught.value.status() == STATUS[protocol][kind], caught.value
            assert message in caught.value.message()
        with pytest.raises(InferenceServerException) as caught:
            client.get_model_metadata("nope")
        assert caught.value.status() == STATUS[protocol]["not_found"]
        if protocol == "grpc":  # methods of the service we do not serve
            with pytest.raises(InferenceServerException) as caught:
                client.get_model_config(TINY)
            assert caught.value.status() == "StatusCode.UNIMPLEMENTED"
    finally:
        client.close()
