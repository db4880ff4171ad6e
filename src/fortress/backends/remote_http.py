"""HTTP pieces shared by the REST backends: one pooled client, one call with a deadline, one error map.

Both TF Serving and v2 REST servers report errors as ``{"error": "<message>"}``. Statuses become
domain errors: 429 ``Overloaded`` (with ``Retry-After``), 404 ``NotServed``, 401/403 ``Unavailable``
(the gateway's configuration, not the caller's input), other 4xx ``InvalidInput`` with the server's
message, 5xx ``BackendDown``; so do refused connections, resets and timeouts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx
import orjson

from fortress.backends.errors import BackendDown, NotServed
from fortress.backends.remote_settings import RemoteBackendSettings
from fortress.errors import FortressError, InvalidInput, Overloaded, Unavailable

MAX_MESSAGE_CHARS = 1000


def http_client(
    settings: RemoteBackendSettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """A pooled keep-alive client (``transport``: e.g. ``httpx.ASGITransport`` for in-process tests)."""
    limits = httpx.Limits(
        max_connections=settings.max_connections, max_keepalive_connections=settings.max_connections
    )
    return httpx.AsyncClient(transport=transport, limits=limits, timeout=httpx.Timeout(settings.timeout_s))


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    where: str,
    timeout_s: float,
    *,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """The response of a 2xx answer; every other outcome as a domain error naming ``where``."""
    try:
        async with asyncio.timeout(timeout_s):
            response = await client.request(method, url, content=content, headers=headers)
    except TimeoutError:
        raise BackendDown(f"{where}: no answer within {timeout_s:g} s") from None
    except httpx.TimeoutException:
        raise BackendDown(f"{where}: no answer within {timeout_s:g} s") from None
    except httpx.TransportError as exc:
        raise BackendDown(f"{where}: {type(exc).__name__}: {exc or 'connection failed'}") from None
    if response.status_code >= 300:
        raise error_for(response, where)
    return response


def error_for(response: httpx.Response, where: str) -> FortressError:
    status = response.status_code
    message = server_message(response)
    if status == 429:
        return Overloaded(f"{where}: {message}", retry_after_s=_retry_after(response))
    if status == 404:
        return NotServed(f"{where}: {message}")
    if status in (401, 403):
        return Unavailable(f"{where}: the server refused our credentials ({status}: {message})")
    if 400 <= status < 500:
        return InvalidInput(message)
    return BackendDown(f"{where}: HTTP {status}: {message}")


def server_message(response: httpx.Response) -> str:
    """The ``error`` of a JSON error body, else the start of the body as text."""
    try:
        doc = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("error"), str):
        return str(doc["error"])[:MAX_MESSAGE_CHARS]
    text = response.text.strip()[:MAX_MESSAGE_CHARS]
    return text or response.reason_phrase or f"HTTP {response.status_code}"


def load_json(response: httpx.Response, where: str) -> dict[str, object]:
    """A JSON object body; anything else is the server misbehaving (``BackendDown``)."""
    try:
        doc = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise BackendDown(f"{where}: the answer is not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise BackendDown(f"{where}: the answer is not a JSON object")
    return doc


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0
