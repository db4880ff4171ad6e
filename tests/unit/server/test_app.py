"""App wiring: the one error table, JSON 500s without internals, v2 routes mounted next to TF Serving's."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from prometheus_client import CollectorRegistry
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fortress.errors import DeadlineExceeded, ErrorKind, FortressError, InvalidInput, Overloaded
from fortress.runtime.errors import ModelFailed, ModelNotLoaded
from fortress.runtime.manager import ModelRuntime
from fortress.runtime.settings import RuntimeSettings
from fortress.server.app import create_app, grpc_address
from fortress.server.errors import HTTP_STATUS, error_response
from fortress.server.settings import ServerSettings


class NoRegistry:
    """Stands in for the registry where no model is ever needed (the runtime is not started)."""


def test_every_error_kind_has_one_status() -> None:
    assert set(HTTP_STATUS) == set(ErrorKind)
    assert HTTP_STATUS[ErrorKind.FAILED] == 500
    assert [s for k, s in HTTP_STATUS.items() if s == 500] == [500]  # only real internal faults


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (InvalidInput("bad"), 400),
        (ModelNotLoaded("gone"), 404),
        (Overloaded("busy", retry_after_s=2.2), 429),
        (DeadlineExceeded("late"), 504),
        (ModelFailed("broken"), 503),
    ],
)
def test_error_response_is_tf_serving_json(exc: FortressError, status: int) -> None:
    response = error_response(exc)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert orjson.loads(response.body) == {"error": str(exc)}
    assert response.headers.get("retry-after") == ("3" if isinstance(exc, Overloaded) else None)


def test_unexpected_exception_is_a_json_500_without_internals() -> None:
    runtime = ModelRuntime(NoRegistry(), RuntimeSettings())  # type: ignore[arg-type]
    app = create_app(runtime, ServerSettings(grpc_port=0), CollectorRegistry())

    async def boom(request: Request) -> Response:
        raise RuntimeError("secret internal detail")

    app.router.routes.append(Route("/boom", boom))

    async def main() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://fortress") as client:
            return await client.get("/boom")

    try:
        response = asyncio.run(main())
    finally:
        asyncio.run(runtime.aclose())
    assert response.status_code == 500
    assert orjson.loads(response.content) == {"error": "internal server error"}


def test_v2_routes_are_mounted() -> None:
    runtime = ModelRuntime(NoRegistry(), RuntimeSettings())  # type: ignore[arg-type]
    app = create_app(runtime, ServerSettings(grpc_port=0), CollectorRegistry())
    paths = {getattr(route, "path", "") for route in app.routes}
    assert {"/v2/health/ready", "/v2/models/{name}/infer", "/v1/models/{path:path}", "/metrics"} <= paths
    asyncio.run(runtime.aclose())


def test_grpc_address_brackets_ipv6_hosts() -> None:
    assert grpc_address(ServerSettings(host="0.0.0.0", grpc_port=8500)) == "0.0.0.0:8500"
    assert grpc_address(ServerSettings(host="::", grpc_port=8500)) == "[::]:8500"
