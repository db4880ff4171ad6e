"""``fortress serve`` as a real process on free ports (or its defaults), ready when ``/health/ready`` does."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from .cli import FORTRESS, command_env
from .processes import free_port, port_is_free, running

DEFAULT_REST_PORT, DEFAULT_GRPC_PORT = 8501, 8500
"""``fortress serve``'s defaults (ServerSettings), which the README's commands use."""


@dataclass(frozen=True, slots=True)
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    grpc_port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serve(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    default_ports: bool = False,
    grpc: bool = True,
) -> Iterator[Server]:
    """``default_ports``: no port options, as the README runs it (REST 8501, gRPC 8500); they must be
    free, or the test fails saying which is taken. ``grpc`` False: ``--grpc-port 0`` (no gRPC)."""
    if default_ports:
        rest, grpc_port = DEFAULT_REST_PORT, DEFAULT_GRPC_PORT
        for port in (rest, grpc_port):
            assert port_is_free(port), f"port {port} is taken: the README's default ports are needed here"
        ports: list[str] = []
    else:
        rest, grpc_port = free_port(), (free_port() if grpc else 0)
        ports = ["--rest-port", str(rest), "--grpc-port", str(grpc_port)]
    env = command_env(home, env)
    cmd = [FORTRESS, "serve", *ports, *args]
    url = f"http://127.0.0.1:{rest}"
    log = home / f"serve-{rest}.log"
    with running(cmd, f"{url}/health/live", timeout=90, env=env, cwd=home, log=log) as proc:
        server = Server(proc, url, grpc_port, log)
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/health/ready").status_code != 200:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.2)
        yield server
