"""Open Inference Protocol v2 over HTTP/REST (KServe v2 / Triton), raw Starlette routes.

Each endpoint parses, makes one runtime call and formats; errors become ``{"error": ...}`` with the
status from ``server.errors.HTTP_STATUS`` (the one HTTP table). A version in the path is a number or a
label (``champion``, ``canary``); without one the model's default version (its champion) answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from functools import wraps
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fortress.errors import FortressError
from fortress.runtime.manager import ModelRuntime
from fortress.server.errors import error_response
from fortress.server.v2_codec import model_meta, outputs_for, parse_version, server_meta
from fortress.server.v2_errors import BadV2Request
from fortress.server.v2_rest_codec import (
    BINARY_TYPE,
    HEADER_LENGTH,
    JSON_TYPE,
    decode_request,
    encode_response,
)

Endpoint = Callable[[Request], Awaitable[Response]]


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status, headers, media_type=JSON_TYPE)


def _translating(endpoint: Endpoint) -> Endpoint:
    @wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        try:
            return await endpoint(request)
        except FortressError as exc:
            return error_response(exc)

    return wrapper


def _target(request: Request) -> tuple[str, int | None, str | None]:
    """(model, version, label) from the path."""
    version, label = parse_version(request.path_params.get("version", ""))
    return request.path_params["name"], version, label


class V2Endpoints:
    def __init__(self, runtime: ModelRuntime) -> None:
        self.runtime = runtime

    async def live(self, request: Request) -> Response:
        return json_response({"live": True})

    async def ready(self, request: Request) -> Response:
        ready = self.runtime.ready
        return json_response({"ready": ready}, 200 if ready else 503)

    async def server_metadata(self, request: Request) -> Response:
        return json_response(asdict(server_meta()))

    async def model_metadata(self, request: Request) -> Response:
        name, version, label = _target(request)
        served = self.runtime.resolve(name, version, label)
        return json_response(asdict(model_meta(self.runtime.entry(name), served.model)))

    async def model_ready(self, request: Request) -> Response:
        name, version, label = _target(request)
        self.runtime.resolve(name, version, label)
        return json_response({"name": name, "ready": True})

    async def infer(self, request: Request) -> Response:
        name, version, label = _target(request)
        encoding = request.headers.get("content-encoding", "identity").lower()
        if encoding != "identity":
            raise BadV2Request(f"Content-Encoding {encoding!r} is not supported; send the body uncompressed")
        call = decode_request(await request.body(), request.headers.get(HEADER_LENGTH))
        runtime = self.runtime
        submitted = runtime.submit(runtime.resolve(name, version, label), call.feeds)
        answer = await submitted.wait(runtime.settings.request_timeout_s)
        body, header_length = encode_response(
            answer.model, answer.version, call.id, outputs_for(call, answer.probabilities)
        )
        if header_length is None:
            return Response(body, media_type=JSON_TYPE)
        return Response(body, headers={HEADER_LENGTH: str(header_length)}, media_type=BINARY_TYPE)


def v2_routes(runtime: ModelRuntime) -> list[BaseRoute]:
    """The v2 REST endpoints over ``runtime``; mount them at the root of the app."""
    v2 = V2Endpoints(runtime)
    model, version = "/v2/models/{name}", "/v2/models/{name}/versions/{version}"
    return [
        Route("/v2/health/live", v2.live, methods=["GET"]),
        Route("/v2/health/ready", v2.ready, methods=["GET"]),
        Route("/v2", v2.server_metadata, methods=["GET"]),
        Route(model, _translating(v2.model_metadata), methods=["GET"]),
        Route(version, _translating(v2.model_metadata), methods=["GET"]),
        Route(f"{model}/ready", _translating(v2.model_ready), methods=["GET"]),
        Route(f"{version}/ready", _translating(v2.model_ready), methods=["GET"]),
        Route(f"{model}/infer", _translating(v2.infer), methods=["POST"]),
        Route(f"{version}/infer", _translating(v2.infer), methods=["POST"]),
    ]
