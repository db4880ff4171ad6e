"""A private ``redis-server`` on a port of the test's choosing, started, stopped, paused and restarted
by PID (for outage tests; everything else uses the shared Redis at 127.0.0.1:6379)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from .processes import free_port


class RedisServer:
    """A private redis-server on a fixed port, stopped and started again by PID."""

    @classmethod
    def on_free_port(cls, folder: Path) -> RedisServer:
        return cls(free_port(), folder)

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._folder = folder
        self._proc: subprocess.Popen[bytes] | None = None
        self._paused = False

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        cmd = [binary, "--port", str(self.port), "--save", "", "--appendonly", "no"]
        cmd += ["--bind", "127.0.0.1", "--daemonize", "no", "--dir", str(self._folder)]
        with (self._folder / "redis.log").open("ab") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._proc.returncode} on port {self.port}")
            try:
                with redis.Redis(port=self.port, socket_timeout=1) as probe:
                    probe.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"redis-server not ready on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._proc is None:
            return
        self.resume()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def pause(self) -> None:
        """SIGSTOP: connections are accepted but nothing answers (a hung or overloaded Redis)."""
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        if self._proc is not None and self._paused:
            os.kill(self._proc.pid, signal.SIGCONT)
        self._paused = False

    def connections_received(self, admin: redis.Redis) -> int:
        return int(admin.info("stats")["total_connections_received"])
