"""TensorFlow Serving's REST API over the model runtime.

``POST /v1/models/NAME[/versions/N|/labels/L]:predict``, ``GET /v1/models/NAME[/versions/N|/labels/L]``
(model status) and ``GET /v1/models/NAME[/versions/N|/labels/L]/metadata``, parsed with TF Serving's own
path patterns (``http_rest_api_util.cc``). Without a version or label the runtime's default version is
used: the ``champion`` when one is loaded, else the newest loaded version. Each endpoint parses, makes
one runtime call and formats; errors go through ``server.errors``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fortress.errors import FortressError
from fortress.http.fast_path import Handler
from fortress.runtime.errors import ModelNotLoaded
from fortress.runtime.manager import ModelRuntime
from fortress.server.errors import JSON, error_response
from fortress.server.tfserving_codec import (
    VersionStatus,
    decode_predict,
    load_json,
    metadata_body,
    predict_body,
    status_body,
)

PREFIX = "/v1/models"
_TARGET = r"(?P<name>[^/:]+)(?:/versions/(?P<version>\d+)|/labels/(?P<label>[^/:]+))?"
PREDICT_PATH = re.compile(_TARGET + r":predict")
STATUS_PATH = re.compile(_TARGET + r"(?P<metadata>/metadata)?")


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    version: int | None
    label: str | None
    metadata: bool


def _target(request: Request, pattern: re.Pattern[str], other: re.Pattern[str], allow: str) -> Target:
    path = request.path_params["path"]
    match = pattern.fullmatch(path)
    if match is None:
        if other.fullmatch(path):
            raise HTTPException(405, f"{request.method} is not allowed here", headers={"Allow": allow})
        raise HTTPException(
            404,
            f"Malformed request: {request.method} {request.url.path} (served: POST {PREFIX}/NAME:predict, "
            f"GET {PREFIX}/NAME, GET {PREFIX}/NAME/metadata, each optionally with /versions/N or /labels/L)",
        )
    return _target_of(match)


def _target_of(match: re.Match[str]) -> Target:
    version = match["version"]
    return Target(
        match["name"],
        int(version) if version is not None else None,
        match["label"],
        bool(match.groupdict().get("metadata")),
    )


MAX_KNOWN_TARGETS = 4096
"""Predict paths whose parsed handler is kept for the fast path (a bounded set: clients choose the
paths; past it, each request parses its path)."""


class TfServingApi:
    def __init__(self, runtime: ModelRuntime) -> None:
        self.runtime = runtime
        self._handlers: dict[str, Handler] = {}

    def routes(self) -> list[BaseRoute]:
        return [
            Route(PREFIX + "/{path:path}", self.predict, methods=["POST"]),
            Route(PREFIX + "/{path:path}", self.status, methods=["GET"]),
        ]

    async def predict(self, request: Request) -> Response:
        target = _target(request, PREDICT_PATH, STATUS_PATH, allow="GET, HEAD")
        try:
            body = await self._predict(target, await request.body())
        except FortressError as exc:
            return error_response(exc)
        return Response(body, media_type=JSON)

    def fast_route(self, path: str) -> Handler | None:
        """``POST`` paths the fast path (``http/fast_path.py``) answers: well-formed predict targets,
        each with a handler bound to its parsed target. Anything else (malformed paths: their 404/405
        messages) goes to the routes above."""
        handler = self._handlers.get(path)
        if handler is not None:
            return handler
        predict = path.endswith(":predict") and path.startswith(PREFIX + "/")
        match = PREDICT_PATH.fullmatch(path, len(PREFIX) + 1) if predict else None
        if match is None:
            return None
        handler = partial(self._fast_predict, _target_of(match))
        if len(self._handlers) < MAX_KNOWN_TARGETS:
            self._handlers[path] = handler
        return handler

    async def _fast_predict(
        self, target: Target, path: str, headers: Mapping[str, str], body: bytes, client: str | None
    ) -> bytes:
        return await self._predict(target, body)

    async def _predict(self, target: Target, body: bytes) -> bytes:
        doc = load_json(body)
        served = self.runtime.resolve(target.name, target.version, target.label)
        parsed = decode_predict(doc, served.model.spec.inputs)
        answer = await self.runtime.submit(served, parsed.feeds).wait(self.runtime.settings.request_timeout_s)
        return predict_body(answer.probabilities, parsed.layout)

    async def status(self, request: Request) -> Response:
        target = _target(request, STATUS_PATH, PREDICT_PATH, allow="POST")
        try:
            if target.metadata:
                body = metadata_body(self.runtime.resolve(target.name, target.version, target.label).model)
            else:
                body = status_body(self._statuses(target))
        except FortressError as exc:
            return error_response(exc)
        return Response(body, media_type=JSON)

    def _statuses(self, target: Target) -> list[VersionStatus]:
        """Loaded versions are AVAILABLE; versions that failed to load are END with the error."""
        failed = {
            int(version): VersionStatus(int(version), "END", "UNKNOWN", message)
            for key, message in self.runtime.status.failed_loads.items()
            for name, _, version in [key.rpartition(":")]
            if name == target.name
        }
        if target.version is not None or target.label is not None:
            try:
                served = self.runtime.resolve(target.name, target.version, target.label)
            except ModelNotLoaded:
                if target.version in failed:
                    return [failed[target.version]]
                raise
            return [VersionStatus(served.model.version)]
        try:
            loaded = {v: VersionStatus(v) for v in self.runtime.entry(target.name).versions}
        except ModelNotLoaded:
            if not failed:
                raise
            loaded = {}
        statuses = {**failed, **loaded}
        return [statuses[v] for v in sorted(statuses)]
