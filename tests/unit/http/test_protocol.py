"""The HTTP server layer's limits, on a real uvicorn server (in a thread) running the real protocol
class: header size and count, header and body read timeouts, connections that have not completed a
request. Timeouts are configured short (1 s) and checked by behaviour within generous bounds."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fortress.http.settings import HttpSettings
from support.raw_http import connect, read_answer, request, send_quietly, wait_closed
from support.uvicorn_thread import serving_in_thread

TIMEOUT_S = 1.0
BOUND_S = 10 * TIMEOUT_S
LIMITS = HttpSettings(header_timeout_s=TIMEOUT_S, body_timeout_s=TIMEOUT_S, max_pending_connections=5)


async def echo(request: Request) -> Response:
    """The body's size; ``?wait=S`` sleeps before reading it (an app slow to consume)."""
    await asyncio.sleep(float(request.query_params.get("wait", "0")))
    try:
        body = await request.body()
    except ClientDisconnect:
        return Response(status_code=499)
    return JSONResponse({"size": len(body), "headers": len(request.headers)})


APP = Starlette(routes=[Route("/", echo, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serving_in_thread(APP, http_limits=LIMITS) as base:
        yield base


@pytest.fixture
def sock(url: str) -> Iterator[socket.socket]:
    with connect(url) as conn:
        yield conn


def refused(sock: socket.socket, data: bytes, status: int) -> dict[str, str]:
    send_quietly(sock, data)
    answer = read_answer(sock)
    assert answer.status == status, answer
    assert answer.closed, "the connection must be closed after the refusal"
    body: dict[str, str] = orjson.loads(answer.body)
    return body


def test_ordinary_requests_keep_alive_and_carry_their_bodies(url: str, sock: socket.socket) -> None:
    for size in (0, 10, 300_000):
        sock.sendall(request("/", method="POST", body=b"x" * size, headers={"X-Trace": "a" * 4000}))
        answer = read_answer(sock, check_close=False)
        assert (answer.status, orjson.loads(answer.body)["size"]) == (200, size)
    assert httpx.post(url, content=(b"y" * 1000 for _ in range(50))).json()["size"] == 50_000  # chunked


def test_header_fields_over_the_total_size_get_431_and_a_closed_connection(sock: socket.socket) -> None:
    headers = {f"X-Field-{i}": "v" * 4000 for i in range(5)}  # each under the line limit, 20 KB in all
    body = refused(sock, request(headers=headers), 431)
    assert body == {"error": "request headers over the limit of 16384 bytes", "kind": "invalid"}


def test_one_header_field_over_the_line_limit_gets_431(sock: socket.socket) -> None:
    body = refused(sock, request(headers={"X-Big": "a" * 9000}), 431)
    assert body["error"] == "a header field over the limit of 8192 bytes"


def test_too_many_header_fields_get_431(url: str, sock: socket.socket) -> None:
    body = refused(sock, request(headers={f"X-{i}": "1" for i in range(101)}), 431)
    assert body["error"] == "more than 100 header fields"
    with connect(url) as ok:  # 100 in all is still fine
        ok.sendall(request(headers={f"X-{i}": "1" for i in range(99)}))  # and Host: 100
        assert read_answer(ok, check_close=False).status == 200


def test_a_request_target_over_the_line_limit_gets_414(sock: socket.socket) -> None:
    refused(sock, request("/?q=" + "a" * 9000), 414)


def test_a_huge_header_is_cut_off_early_and_the_server_keeps_serving(url: str, sock: socket.socket) -> None:
    start = time.monotonic()
    send_quietly(sock, b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"a" * (64 << 20) + b"\r\n\r\n")
    assert wait_closed(sock, BOUND_S) is not None
    assert time.monotonic() - start < BOUND_S
    assert httpx.get(url).status_code == 200


def test_pipelined_requests_in_one_write_are_not_mistaken_for_one_big_head(sock: socket.socket) -> None:
    one = request(headers={"X-Pad": "p" * 500})
    sock.sendall(one * 60)  # 33 KB of heads in one write, each far under the limits
    received = b""
    deadline = time.monotonic() + BOUND_S
    while received.count(b"HTTP/1.1 ") < 60 and time.monotonic() < deadline:
        received += sock.recv(65536)
    assert received.count(b"HTTP/1.1 200 OK\r\n") == 60, received[-300:]


def test_headers_sent_a_byte_at_a_time_are_cut_at_the_header_timeout(sock: socket.socket) -> None:
    start = time.monotonic()
    for byte in b"GET / HTTP/1.1\r\nHost: x\r\n":
        if not send_quietly(sock, bytes([byte])):
            break
        time.sleep(0.25)
        if time.monotonic() - start > BOUND_S:
            break
    answer = read_answer(sock, started=start)
    assert (answer.status, answer.closed) == (408, True), answer
    assert answer.elapsed_s < BOUND_S
    assert orjson.loads(answer.body)["kind"] == "timeout"


def test_a_connection_that_sends_nothing_is_closed_at_the_header_timeout(sock: socket.socket) -> None:
    waited = wait_closed(sock, BOUND_S)
    assert waited is not None, "still open"
    assert TIMEOUT_S * 0.8 < waited < BOUND_S


def test_a_kept_alive_connection_gets_the_header_timeout_for_its_next_request(sock: socket.socket) -> None:
    sock.sendall(request())
    assert read_answer(sock, check_close=False).status == 200
    sock.sendall(b"GET / HTTP/1.1\r\nHost:")  # and nothing more
    answer = read_answer(sock, BOUND_S)
    assert (answer.status, answer.closed) == (408, True), answer


def test_a_body_that_trickles_in_is_cut_at_the_body_timeout(sock: socket.socket) -> None:
    start = time.monotonic()
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
    while time.monotonic() - start < BOUND_S and send_quietly(sock, b"x"):
        time.sleep(0.25)
        if time.monotonic() - start > 3 * TIMEOUT_S:
            break
    answer = read_answer(sock, started=start)
    assert (answer.status, answer.closed) == (408, True), answer
    assert answer.elapsed_s < BOUND_S
    assert orjson.loads(answer.body)["error"] == "request body not received within 1 s"


def test_an_app_slow_to_read_a_body_is_not_blamed_on_the_client(url: str) -> None:
    response = httpx.post(f"{url}/?wait={2.5 * TIMEOUT_S}", content=b"z" * 2_000_000, timeout=BOUND_S)
    assert (response.status_code, response.json()["size"]) == (200, 2_000_000)


def test_connections_past_the_cap_that_have_not_completed_a_request_are_closed(url: str) -> None:
    with ExitStack() as stack:
        idle = [stack.enter_context(connect(url)) for _ in range(5)]
        time.sleep(0.3)  # let the server accept them all
        with connect(url) as sixth:
            waited = wait_closed(sixth, BOUND_S)
            assert waited is not None, "the 6th connection must be closed"
            assert waited < TIMEOUT_S / 2, "at once, not at the header timeout"
        assert all(wait_closed(s, 0.05) is None for s in idle), "the first 5 stay open"
    time.sleep(0.3)  # their closing reaches the server
    assert httpx.get(url).status_code == 200


def test_connections_that_completed_a_request_do_not_count_against_the_cap(url: str) -> None:
    with ExitStack() as stack:
        for _ in range(8):
            conn = stack.enter_context(connect(url))
            conn.sendall(request())
            assert read_answer(conn, check_close=False).status == 200
        assert httpx.get(url).status_code == 200
