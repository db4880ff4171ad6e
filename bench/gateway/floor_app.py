"""The floor (a): uvicorn + one raw Starlette route running the twelve models one after another.

Run by the benchmark as ``python -m bench.gateway.floor_app --port P --workers N`` (uvicorn, its worker
processes listening as `fortress up`'s do: one socket each, ``fortress.cli.worker_sockets``) with
``BENCH_GATEWAY_MODELS`` naming a folder of ``<name>.onnx`` files and their ``manifest.json`` (see
``bench.gateway.export``). It takes the gateway's JSON body, parses it with orjson, encodes each model's
record with the project's featurizer and runs the ONNX Runtime sessions in turn (one thread each, no
batching, no validation beyond the featurizer's): ``{"predictions": {model: [probabilities]}}``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fortress.catalog import ModelSpec, get_spec
from fortress.catalog.encode import encode_records
from fortress.catalog.spec import PROBABILITIES_OUTPUT

MODELS_ENV = "BENCH_GATEWAY_MODELS"
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class FloorModel:
    name: str
    spec: ModelSpec
    session: ort.InferenceSession


def load_models(folder: Path) -> list[FloorModel]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    manifest = json.loads((folder / MANIFEST).read_text())
    return [
        FloorModel(
            name,
            get_spec(name),
            ort.InferenceSession(str(folder / f"{name}.onnx"), options, providers=["CPUExecutionProvider"]),
        )
        for name in sorted(manifest)
    ]


def predict(models: Sequence[FloorModel], features: Mapping[str, Any]) -> dict[str, list[float]]:
    """Each model's class probabilities for its feature group's record, one model after another."""
    out: dict[str, list[float]] = {}
    for model in models:
        feeds = encode_records(model.spec, [features[model.spec.feature_group]])
        out[model.name] = model.session.run([PROBABILITIES_OUTPUT], feeds)[0][0].tolist()
    return out


def create_app() -> Starlette:
    models = load_models(Path(os.environ[MODELS_ENV]))

    async def inference(request: Request) -> Response:
        body = orjson.loads(await request.body())
        answer = {"predictions": predict(models, body["features"])}
        return Response(orjson.dumps(answer), media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b"ok", media_type="text/plain")

    routes = [Route("/api/v1/inference", inference, methods=["POST"]), Route("/health", health)]
    return Starlette(routes=routes)


def main(argv: list[str] | None = None) -> None:
    import argparse

    import uvicorn

    from fortress.cli.uvicorn_run import run_workers

    parser = argparse.ArgumentParser(prog="python -m bench.gateway.floor_app", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    config = uvicorn.Config(
        "bench.gateway.floor_app:create_app", factory=True, host="127.0.0.1", port=args.port,
        workers=args.workers, access_log=False, log_level="warning", backlog=4096,
    )  # fmt: skip
    if args.workers > 1:
        run_workers(config)
    else:
        uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
