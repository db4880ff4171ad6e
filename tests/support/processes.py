"""Start helper servers on free ports and stop them by PID (no leaked processes)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def running(
    cmd: Sequence[str],
    ready_url: str,
    timeout: float = 30.0,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """``log``: where the process's stdout and stderr go (default: discarded)."""
    with log.open("ab") if log is not None else nullcontext(subprocess.DEVNULL) as out:
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=out, env=env, cwd=cwd)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {proc.returncode} before becoming ready")
            try:
                httpx.get(ready_url, timeout=1.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{cmd[0]} not ready at {ready_url} after {timeout} s") from None
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
