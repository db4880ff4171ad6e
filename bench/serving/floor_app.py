"""The floor (a): raw Starlette on uvicorn, ONNX Runtime called directly per request, nothing else.

Run by the benchmark as ``uvicorn --factory bench.serving.floor_app:create_app`` with
``BENCH_FLOOR_ONNX`` naming the model file. It speaks the same TF Serving row format as
``fortress serve`` (``{"instances": [[...]]}`` -> ``{"predictions": [[...]]}``) so both get the same body.

``POST /cached`` is the HTTP ceiling of this stack: it answers from a cache keyed by the raw body bytes
(the model runs once per distinct body), so no JSON parsing and no model call per request.
"""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MODEL_ENV = "BENCH_FLOOR_ONNX"


def _session(path: str) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def create_app() -> Starlette:
    session = _session(os.environ[MODEL_ENV])
    input_name = session.get_inputs()[0].name

    cache: dict[bytes, bytes] = {}

    def answer(body: bytes) -> bytes:
        rows = np.asarray(orjson.loads(body)["instances"], dtype=np.float32)
        probabilities = session.run(None, {input_name: rows})[0]
        return orjson.dumps({"predictions": probabilities.tolist()})

    async def predict(request: Request) -> Response:
        return Response(answer(await request.body()), media_type="application/json")

    async def cached(request: Request) -> Response:
        body = await request.body()
        if body not in cache:
            cache[body] = answer(body)
        return Response(cache[body], media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b"ok", media_type="text/plain")

    routes = [
        Route("/predict", predict, methods=["POST"]),
        Route("/cached", cached, methods=["POST"]),
        Route("/health", health),
    ]
    return Starlette(routes=routes)
