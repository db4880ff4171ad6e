"""``fortress serve`` as a real process on free ports, ready when ``/health/ready`` says so."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from .cli import FORTRESS, command_env
from .processes import free_port, running


@dataclass(frozen=True, slots=True)
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    grpc_port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serve(home: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    rest, grpc = free_port(), free_port()
    env = command_env(home, env)
    cmd = [FORTRESS, "serve", "--rest-port", str(rest), "--grpc-port", str(grpc), *args]
    url = f"http://127.0.0.1:{rest}"
    log = home / f"serve-{rest}.log"
    with running(cmd, f"{url}/health/live", timeout=90, env=env, cwd=home, log=log) as proc:
        server = Server(proc, url, grpc, log)
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/health/ready").status_code != 200:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.2)
        yield server
