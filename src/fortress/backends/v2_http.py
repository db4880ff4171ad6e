"""The v2 REST wire: model metadata, readiness and inference with Triton's binary tensor extension.

FP32 inputs go as raw bytes after the JSON header (``binary_data_size``, ``Inference-Header-Content-Length``):
no number formatting or parsing on either side. BYTES inputs go as JSON ``data``, which orjson writes
and the server reads faster than the length-prefixed binary form (docs/BACKENDS.md has the figures).
Outputs are asked for in binary (``binary_data_output``); answers in JSON ``data`` are read too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import numpy as np
import orjson

from fortress.backends.errors import BackendDown, NotServed
from fortress.backends.remote_http import http_client, load_json, send
from fortress.backends.remote_settings import RemoteBackendSettings
from fortress.backends.v2_tensors import FP32, datatype, decode_fp32, fp32_bytes, parse_version, strings
from fortress.catalog.spec import PROBABILITIES_OUTPUT
from fortress.errors import InvalidInput

HEADER_LENGTH = "Inference-Header-Content-Length"
BINARY_TYPE = "application/octet-stream"
JSON_HEADERS = {"content-type": "application/json"}


class HttpV2Client:
    def __init__(self, settings: RemoteBackendSettings, transport: httpx.AsyncBaseTransport | None) -> None:
        self.settings = settings
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._infer_urls: dict[tuple[str, str], httpx.URL] = {}

    async def connect(self) -> None:
        self._http = http_client(self.settings, self._transport)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _path(self, name: str, version: str) -> str:
        return f"{self.settings.url}/v2/models/{name}" + (f"/versions/{version}" if version else "")

    async def _get(self, url: str, where: str) -> httpx.Response:
        assert self._http is not None, "connect() first"
        return await send(self._http, "GET", httpx.URL(url), where, self.settings.timeout_s)

    async def versions(self, name: str, where: str) -> list[int]:
        doc = load_json(await self._get(self._path(name, ""), where), where)
        versions = doc.get("versions") or []
        if not isinstance(versions, list):
            raise BackendDown(f"{where}: model metadata 'versions' is not a list")
        return sorted(parse_version(str(v)) for v in versions)

    async def ready(self, name: str, version: str, where: str) -> bool:
        try:
            response = await self._get(self._path(name, version) + "/ready", where)
        except (NotServed, InvalidInput):
            return False
        if not response.content:  # Triton: 200 and no body when ready
            return True
        return load_json(response, where).get("ready", True) is True

    async def infer(
        self, name: str, version: str, feeds: Mapping[str, np.ndarray], shape: tuple[int, int], where: str
    ) -> tuple[int, np.ndarray]:
        assert self._http is not None, "connect() first"
        url = self._infer_urls.get((name, version))
        if url is None:
            url = self._infer_urls[name, version] = httpx.URL(self._path(name, version) + "/infer")
        body, headers = encode_request(feeds)
        response = await send(
            self._http, "POST", url, where, self.settings.timeout_s, content=body, headers=headers
        )
        return decode_response(response, shape, where)


def encode_request(feeds: Mapping[str, np.ndarray]) -> tuple[bytes, dict[str, str]]:
    """FP32 inputs as binary data after the JSON header, BYTES inputs as JSON ``data``; binary outputs."""
    described: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for name, value in feeds.items():
        kind = datatype(name, value)
        tensor: dict[str, Any] = {"name": name, "shape": value.shape, "datatype": kind}
        if kind == FP32:
            blob = fp32_bytes(value)
            tensor["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            tensor["data"] = strings(name, value)
        described.append(tensor)
    header = orjson.dumps({"inputs": described, "parameters": {"binary_data_output": True}})
    if not blobs:
        return header, JSON_HEADERS
    return b"".join([header, *blobs]), {HEADER_LENGTH: str(len(header)), "content-type": BINARY_TYPE}


def decode_response(response: httpx.Response, shape: tuple[int, int], where: str) -> tuple[int, np.ndarray]:
    """(model_version, probabilities) of an inference answer, JSON or JSON + binary outputs."""
    content = response.content
    length_header = response.headers.get(HEADER_LENGTH)
    try:
        length = int(length_header) if length_header is not None else len(content)
        doc: Any = orjson.loads(content[:length])
        offset = length
        for output in doc["outputs"]:
            size = (output.get("parameters") or {}).get("binary_data_size")
            if output["name"] != PROBABILITIES_OUTPUT:
                offset += size or 0
                continue
            if size is not None:
                probabilities = decode_fp32(memoryview(content)[offset : offset + size], shape, where)
            else:
                probabilities = np.asarray(output["data"], dtype=np.float32).reshape(shape)
            return parse_version(str(doc.get("model_version", ""))), probabilities
    except (ValueError, KeyError, TypeError, AttributeError, orjson.JSONDecodeError) as exc:
        raise BackendDown(f"{where}: unreadable inference answer ({type(exc).__name__}: {exc})") from None
    raise BackendDown(f"{where}: the answer has no {PROBABILITIES_OUTPUT!r} output")
