"""FastPost in front of an app: hot POST routes answered from the raw body, the body limit, the error
responder, 405 for other methods on those paths, everything else passed to the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import httpx
import orjson
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from fortress.errors import InvalidInput
from fortress.gateway.http.errors import ERRORS
from fortress.http.fast_path import FastRoutes, Handler, InFront

pytestmark = pytest.mark.anyio
HOT = "/hot"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


async def echo(path: str, headers: Mapping[str, str], body: bytes, client: str | None) -> bytes:
    if body == b"bad":
        raise InvalidInput("bad body")
    return orjson.dumps({"path": path, "size": len(body), "agent": headers.get("x-test")})


class App(InFront):
    pass


def _app(seen: list[tuple[str, int]]) -> App:
    async def slow(request: Request) -> Response:
        return PlainTextResponse("from the app")

    app = App(routes=[Route("/other", slow, methods=["GET", "POST"])])
    routes: dict[str, Handler] = {HOT: echo}
    app.fast_routes = FastRoutes(routes.get, ERRORS, 64, lambda path, status, _: seen.append((path, status)))
    return app


async def test_hot_routes_are_answered_in_front_and_the_rest_goes_to_the_app() -> None:
    seen: list[tuple[str, int]] = []
    transport = httpx.ASGITransport(app=_app(seen))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.post(HOT, content=b"12345", headers={"x-test": "yes"})
        assert ok.json() == {"path": HOT, "size": 5, "agent": "yes"}
        assert ok.headers["content-type"] == "application/json"
        refused = await client.post(HOT, content=b"bad")
        assert (refused.status_code, refused.json()) == (400, {"error": "bad body", "kind": "invalid"})
        wrong_method = await client.get(HOT)
        assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "POST")
        assert (await client.post("/other")).text == "from the app"
    assert seen == [(HOT, 200), (HOT, 400)]


async def test_bodies_over_the_limit_are_refused_declared_or_chunked() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"0123456789"

    transport = httpx.ASGITransport(app=_app([]))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        declared = await client.post(HOT, content=b"x" * 65)
        assert declared.status_code == 413
        assert declared.json()["kind"] == "invalid"
        assert "over the limit of 64 bytes" in declared.json()["error"]
        chunked = await client.post(HOT, content=chunks())
        assert chunked.status_code == 413
        assert (await client.post(HOT, content=b"x" * 64)).status_code == 200
