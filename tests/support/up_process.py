"""``fortress up`` as a real process on a free port: wait until ready, read what it printed, stop it
with Ctrl-C (SIGINT) and check it stopped cleanly."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from .cli import FORTRESS, command_env
from .processes import free_port, port_is_free, running

DEFAULT_PORT = 8000
"""``fortress up``'s default port (GatewaySettings.port)."""


@dataclass(frozen=True, slots=True)
class Up:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def api_key(self) -> str | None:
        found = re.search(r"^API key \(shown once, keep it\): (\S+)$", self.output(), re.M)
        return found.group(1) if found else None

    def curl(self) -> list[str]:
        """The printed curl command, as argv."""
        lines = [line.strip() for line in self.output().splitlines() if line.strip().startswith("curl ")]
        assert len(lines) == 1, self.output()
        return shlex.split(lines[0])

    def stop(self, timeout: float = 60) -> int:
        """Ctrl-C, then the exit code."""
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout)


@contextmanager
def fortress_up(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    default_port: bool = False,
    port: int | None = None,
) -> Iterator[Up]:
    """``default_port``: no ``--port``, as ``make run`` starts it (8000, which must be free);
    ``port``: this one (e.g. a gateway restarted where a scraper expects it), else a free one."""
    if default_port:
        port = DEFAULT_PORT
        assert port_is_free(port), f"port {port} is taken: `make run`'s default port is needed here"
    elif port is None:
        port = free_port()
    full_env = command_env(home, env)
    url = f"http://127.0.0.1:{port}"
    log = home / f"up-{port}.log"
    cmd = [FORTRESS, "up", *([] if default_port else ["--port", str(port)]), *args]
    with running(cmd, f"{url}/health/live", timeout=timeout, env=full_env, cwd=home, log=log) as proc:
        up = Up(proc, url, log)
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/health/ready").status_code != 200:
            assert time.monotonic() < deadline, up.output()
            time.sleep(0.2)
        yield up
