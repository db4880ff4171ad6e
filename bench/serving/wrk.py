"""Drive one server with `wrk` (closed loop, loopback only, bounded in time) and parse its report."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

WRK_INSTALL_HINT = "wrk is not installed: run `apt-get install -y wrk` (Debian/Ubuntu) and try again"
LOOPBACK = "http://127.0.0.1:"
TIMEOUT_S = 2
"""Per-request timeout inside wrk: a request slower than this counts as an error."""

_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_LATENCY = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


class WrkError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int
    """Non-2xx responses plus socket errors (connect, read, write, timeout)."""


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def write_post_script(path: Path, body: bytes) -> Path:
    """A wrk Lua script that POSTs ``body`` (JSON) on every request."""
    text = body.decode()
    if "]==]" in text:
        raise ValueError("request body cannot be embedded in a Lua long string")
    path.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[{text}]==]\n'
    )
    return path


def run_wrk(url: str, script: Path, concurrency: int, duration_s: float) -> WrkResult:
    """One bounded wrk run: one thread (it drives 64 connections easily and leaves the cores to the
    server), ``concurrency`` connections, ``duration_s`` seconds."""
    if not url.startswith(LOOPBACK):
        raise ValueError(f"benchmarks target 127.0.0.1 only, not {url}")
    binary = wrk_binary()
    if binary is None:
        raise WrkError(WRK_INSTALL_HINT)
    seconds = max(1, round(duration_s))
    argv = [binary, "-t1", f"-c{concurrency}", f"-d{seconds}s", f"--timeout={TIMEOUT_S}s", "--latency"]
    argv += ["-s", str(script), url]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=False)
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish within {seconds + 30} s") from exc
    if done.returncode != 0:
        raise WrkError(f"wrk exited with {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
    return parse_wrk(done.stdout)


def parse_wrk(text: str) -> WrkResult:
    """Parse wrk's text report (run with ``--latency`` for the percentile lines)."""
    latencies = {int(q): float(v) * _UNITS_MS[unit] for q, v, unit in _LATENCY.findall(text)}
    rps, total = _RPS.search(text), _TOTAL.search(text)
    if rps is None or total is None or set(latencies) != {50, 99}:
        raise WrkError(f"unexpected wrk output:\n{text}")
    non_2xx = _NON_2XX.search(text)
    socket = _SOCKET.search(text)
    failed = int(non_2xx.group(1)) if non_2xx else 0
    if socket:
        failed += sum(int(n) for n in socket.groups())
    return WrkResult(float(rps.group(1)), latencies[50], latencies[99], int(total.group(1)), failed)
