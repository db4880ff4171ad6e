"""Start a server process on a free loopback port, wait until it is ready, stop it by PID, prove it gone."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_S = 180.0
STOP_GRACE_S = 20.0


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any ``FORTRESS_*`` variable (a benchmark must not pick up the caller's
    registry or tuning), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORTRESS_")}
    env.update(extra)
    return env


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def group_members(pgid: int) -> list[str]:
    """``pid args`` of every live process in process group ``pgid``, as `ps` shows them."""
    listing = subprocess.run(
        ["ps", "-eo", "pid=,pgid=,stat=,args="], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    members = []
    for line in listing.splitlines():
        pid, group, stat, *args = line.split(None, 3)
        if int(group) == pgid and not stat.startswith("Z"):
            members.append(f"{pid} {' '.join(args)}")
    return members


def _get(url: str, timeout_s: float) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, urllib.error.URLError):
        return 0


def wait_ready(server: Server, path: str, timeout_s: float = READY_TIMEOUT_S) -> float:
    """Poll ``GET path`` until it answers 200; seconds it took. Fails fast if the process exits."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if server.process.poll() is not None:
            raise ServerError(
                f"{server.name} exited with {server.process.returncode} before it was ready:\n"
                f"{server.log_tail()}"
            )
        if _get(server.base_url + path, timeout_s=2.0) == 200:
            return time.monotonic() - started
        time.sleep(0.2)
    raise ServerError(f"{server.name} not ready after {timeout_s:.0f} s:\n{server.log_tail()}")


def stop(server: Server, grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM the server's process group (its PID: it leads a session of its own), SIGKILL what is left
    after ``grace_s``, then check with `ps` that nothing of it runs any more."""
    pgid = server.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        server.process.poll()
        if not group_members(pgid):
            break
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=10)
    left = group_members(pgid)
    if left:
        raise ServerError(f"{server.name}: processes left after stop: {left}")


@contextlib.contextmanager
def running(
    name: str,
    argv: Sequence[str],
    *,
    port: int,
    ready_path: str,
    log: Path,
    env: Mapping[str, str],
    progress: Callable[[str], None],
    cwd: Path | None = None,
) -> Iterator[Server]:
    """Run ``argv`` (which must listen on 127.0.0.1:``port``) for the duration of the block."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.STDOUT, env=dict(env), cwd=cwd, start_new_session=True
        )
    server = Server(name, process, f"http://127.0.0.1:{port}", log)
    try:
        seconds = wait_ready(server, ready_path)
        progress(f"  {name}: pid {server.pid}, ready in {seconds:.1f} s on {server.base_url}")
        yield server
    finally:
        stop(server)
        progress(f"  {name}: stopped (pid {server.pid}, no process left in its group)")
