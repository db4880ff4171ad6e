"""HTTP/1.1 over plain sockets, for what ordinary clients refuse to send: oversized or endless headers,
bodies that trickle in, connections that never send anything."""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None
    """None: the connection closed (or timed out) without a status line."""
    body: bytes
    closed: bool
    """The server closed the connection after its answer (or without one)."""
    elapsed_s: float


def connect(url: str, timeout: float = 10.0) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request(
    path: str = "/", *, method: str = "GET", headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def send_quietly(sock: socket.socket, data: bytes) -> bool:
    """Send; False when the server already closed (it may answer and close before reading it all)."""
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True


def read_answer(
    sock: socket.socket, timeout: float = 10.0, *, started: float | None = None, check_close: bool = True
) -> Answer:
    """Read one response (by Content-Length), then (``check_close``) whether the server closes the
    connection within a second after it."""
    begin = time.monotonic() if started is None else started
    deadline = time.monotonic() + timeout
    data = b""
    status: int | None = None
    body = b""
    closed = False
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            found = re.match(rb"HTTP/1\.1 (\d{3})", head)
            status = int(found.group(1)) if found else None
            length = re.search(rb"(?im)^content-length: *(\d+)", head)
            if length is not None and len(rest) >= int(length.group(1)):
                body = rest[: int(length.group(1))]
                break
        chunk = _recv(sock, deadline)
        if chunk is None:  # still open at the deadline
            return Answer(status, body, False, time.monotonic() - begin)
        if not chunk:
            closed = True
            break
        data += chunk
    elapsed = time.monotonic() - begin
    if not closed and check_close:
        closed = _closes(sock, min(deadline, time.monotonic() + 1.0))
    return Answer(status, body, closed, elapsed)


def wait_closed(sock: socket.socket, timeout: float) -> float | None:
    """Seconds until the server closes the connection (reading and dropping whatever it sends), or
    None if it is still open after ``timeout``."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        chunk = _recv(sock, deadline)
        if chunk is None:
            return None
        if not chunk:
            return time.monotonic() - start


def _closes(sock: socket.socket, deadline: float) -> bool:
    chunk = _recv(sock, deadline)
    return chunk == b""


def _recv(sock: socket.socket, deadline: float) -> bytes | None:
    """Some bytes, b"" once closed (or reset), None at the deadline."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    sock.settimeout(remaining)
    try:
        return sock.recv(65536)
    except TimeoutError:
        return None
    except ConnectionResetError:
        return b""
