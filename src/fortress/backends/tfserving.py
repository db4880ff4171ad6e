"""Models on a TF Serving REST server (real TF Serving or ``fortress serve``).

Status poll per model (TF Serving's ``api_rest.md``): ``GET /v1/models/NAME`` (which versions are
AVAILABLE), ``GET /v1/models/NAME/metadata`` (its ``model_spec.version`` is the version that answers
when none is asked for: the route ``champion``) and ``GET /v1/models/NAME/labels/canary`` (the canary's
version; TF Serving answers 400 for an unknown label, ``fortress serve`` 404: no canary).

Predictions go to ``POST /v1/models/NAME/versions/V:predict`` with the version the last poll found
behind the route, so the version we report is the one that answered. Tensors use the columnar format
(``{"inputs": {name: value}}`` -> ``{"outputs": ...}``); strings as JSON strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import numpy as np
import orjson

from fortress.backends.base import DEFAULT_ROUTE, BackendModel, ModelAnswer
from fortress.backends.errors import BackendDown, NotServed
from fortress.backends.remote import CANARY_ROUTE, RemoteBackend
from fortress.backends.remote_http import http_client, load_json, send
from fortress.backends.remote_settings import RemoteBackendSettings
from fortress.catalog.spec import PROBABILITIES_OUTPUT, ModelSpec
from fortress.errors import InvalidInput

JSON_HEADERS = {"content-type": "application/json"}


class TfServingBackend(RemoteBackend):
    kind = "tfserving"

    def __init__(
        self,
        settings: RemoteBackendSettings,
        specs: Mapping[str, ModelSpec],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(settings, specs)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._predict_urls: dict[tuple[str, int], httpx.URL] = {}

    async def _connect(self) -> None:
        self._client = http_client(self.settings, self._transport)

    async def _disconnect(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ---- status ----------------------------------------------------------------------------------
    async def _get(self, path: str, where: str) -> dict[str, Any]:
        assert self._client is not None, "start() first"
        response = await send(self._client, "GET", httpx.URL(self.url + path), where, self.settings.timeout_s)
        return load_json(response, where)

    async def _routes(self, spec: ModelSpec) -> dict[str, int] | None:
        base = f"/v1/models/{spec.name}"
        where = self._where(spec.name)
        try:
            status = await self._get(base, where)
        except NotServed:
            return None
        available = _available(status, where)
        if not available:
            return None
        meta = await self._get(f"{base}/metadata", where)
        model_spec = meta.get("model_spec")
        default = _version(model_spec.get("version"), where) if isinstance(model_spec, dict) else None
        routes = {DEFAULT_ROUTE: default if default is not None else max(available)}
        try:
            canary = _available(await self._get(f"{base}/labels/{CANARY_ROUTE}", where), where)
        except (NotServed, InvalidInput):  # no such label
            canary = set()
        if len(canary) == 1 and canary <= available:
            routes[CANARY_ROUTE] = next(iter(canary))
        return routes

    # ---- predict ---------------------------------------------------------------------------------
    async def _call(
        self, model: BackendModel, feeds: dict[str, np.ndarray], route: str, version: int
    ) -> ModelAnswer:
        assert self._client is not None, "start() first"
        name = model.spec.name
        url = self._predict_urls.get((name, version))
        if url is None:
            url = httpx.URL(f"{self.url}/v1/models/{name}/versions/{version}:predict")
            self._predict_urls[name, version] = url
        where = self._where(name)
        body = encode_predict(feeds)
        response = await send(
            self._client, "POST", url, where, self.settings.timeout_s, content=body, headers=JSON_HEADERS
        )
        rows = len(next(iter(feeds.values()))) if feeds else 0
        probabilities = decode_outputs(load_json(response, where), (rows, len(model.spec.labels)), where)
        return ModelAnswer(name, version, probabilities)

    def _where(self, name: str) -> str:
        return f"tfserving backend {self.url}, model {name!r}"


def encode_predict(feeds: Mapping[str, np.ndarray]) -> bytes:
    """``{"inputs": {name: nested lists}}``; numeric arrays go to orjson as they are."""
    inputs: dict[str, Any] = {}
    for name, value in feeds.items():
        if not isinstance(value, np.ndarray):
            raise InvalidInput(f"input {name!r} must be a numpy array, got {type(value).__name__}")
        inputs[name] = value.tolist() if value.dtype == object else np.ascontiguousarray(value)
    try:
        return orjson.dumps({"inputs": inputs}, option=orjson.OPT_SERIALIZE_NUMPY)
    except orjson.JSONEncodeError as exc:
        raise InvalidInput(f"inputs cannot be sent as JSON: {exc}") from None


def decode_outputs(doc: Mapping[str, Any], shape: tuple[int, int], where: str) -> np.ndarray:
    """float32 [rows, classes] from ``{"outputs": ...}`` (one output, or outputs by name)."""
    outputs = doc.get("outputs")
    if isinstance(outputs, dict):
        outputs = outputs.get(PROBABILITIES_OUTPUT)
    try:
        probabilities = np.asarray(outputs, dtype=np.float32)
    except (TypeError, ValueError):
        probabilities = np.empty(0, np.float32)
    if probabilities.shape != shape:
        raise BackendDown(
            f"{where}: expected {PROBABILITIES_OUTPUT} of shape {list(shape)}, "
            f"got {list(probabilities.shape)}"
        )
    return probabilities


def _available(status: Mapping[str, Any], where: str) -> set[int]:
    """The AVAILABLE versions of a ``GetModelStatusResponse``."""
    entries = status.get("model_version_status")
    if not isinstance(entries, list):
        raise BackendDown(f"{where}: the status answer has no model_version_status")
    versions = {
        _version(e.get("version"), where)
        for e in entries
        if isinstance(e, dict) and e.get("state") == "AVAILABLE"
    }
    return {v for v in versions if v is not None}


def _version(value: Any, where: str) -> int | None:
    """int64 versions come as JSON strings (or numbers); a missing one is None."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BackendDown(f"{where}: version {value!r} is not a number") from None
