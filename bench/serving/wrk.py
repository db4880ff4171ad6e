"""Drive one server with `wrk` (closed loop, loopback only, bounded in time) and parse its report.

The request script ends with a Lua ``done`` hook that prints wrk's latency percentiles (50, 95, 99:
its ``--latency`` table has no p95) and, when asked to, how many response bodies contained a marker
(the gateway's ``"degraded":true``: a 200 answer that is not a complete one).
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

WRK_INSTALL_HINT = "wrk is not installed: run `apt-get install -y wrk` (Debian/Ubuntu) and try again"
LOOPBACK = "http://127.0.0.1:"
TIMEOUT_S = 2.0
"""Per-request timeout inside wrk: a request slower than this counts as an error."""
PERCENTILES = (50, 95, 99)

_PERCENTILE = re.compile(r"^percentile (\d+) (\d+)$", re.MULTILINE)
_MARKED = re.compile(r"^marked (\d+)$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")

_DONE_HOOK = """
function done(summary, latency, requests)
  for _, p in ipairs({$percentiles}) do
    io.write(string.format("percentile %d %d\\n", p, latency:percentile(p)))
  end
end
""".replace("$percentiles", ", ".join(str(p) for p in PERCENTILES))

_MARKER_HOOKS = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) marked = 0 end
function response(status, headers, body)
  if body and string.find(body, [==[$marker]==], 1, true) then marked = marked + 1 end
end
local report = done
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("marked") end
  io.write(string.format("marked %d\\n", total))
  report(summary, latency, requests)
end
"""


class WrkError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    failed: int
    """Non-2xx responses, socket errors (connect, read, write, timeout) and marked bodies."""
    socket_errors: tuple[int, int, int, int] = (0, 0, 0, 0)
    """connect, read, write, timeout."""
    marked: int = 0
    """Responses whose body contained the script's marker (counted in ``failed`` too)."""


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def write_post_script(path: Path, body: bytes, marker: str | None = None) -> Path:
    """A wrk Lua script that POSTs ``body`` (JSON) on every request and prints the percentiles at the
    end; with ``marker``, it also counts the response bodies that contain it."""
    text = body.decode()
    if "]==]" in text or (marker is not None and "]==]" in marker):
        raise ValueError("request body cannot be embedded in a Lua long string")
    script = (
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[{text}]==]\n'
    )
    script += _DONE_HOOK
    if marker is not None:
        script += _MARKER_HOOKS.replace("$marker", marker)
    path.write_text(script)
    return path


def _open_files(limit: int) -> Callable[[], None]:
    def raise_limit() -> None:  # runs in the child between fork and exec
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))

    return raise_limit


def run_wrk(
    url: str,
    script: Path,
    concurrency: int,
    duration_s: float,
    *,
    threads: int = 1,
    timeout_s: float = TIMEOUT_S,
    open_files: int | None = None,
) -> WrkResult:
    """One bounded wrk run: ``threads`` threads (one drives 64 connections easily and leaves the cores
    to the server), ``concurrency`` connections, ``duration_s`` seconds; ``open_files`` raises wrk's
    file-descriptor limit (up to the hard limit) for many connections."""
    if not url.startswith(LOOPBACK):
        raise ValueError(f"benchmarks target 127.0.0.1 only, not {url}")
    binary = wrk_binary()
    if binary is None:
        raise WrkError(WRK_INSTALL_HINT)
    seconds = max(1, round(duration_s))
    timeout = max(1, round(timeout_s))
    argv = [binary, f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", f"--timeout={timeout}s"]
    argv += ["-s", str(script), url]
    limit = seconds + timeout + 60
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
            preexec_fn=_open_files(open_files) if open_files else None,
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish within {limit} s") from exc
    if done.returncode != 0:
        raise WrkError(f"wrk exited with {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
    return parse_wrk(done.stdout)


def parse_wrk(text: str) -> WrkResult:
    """Parse wrk's text report and the ``percentile``/``marked`` lines of the script's ``done`` hook."""
    latencies = {int(q): int(us) / 1e3 for q, us in _PERCENTILE.findall(text)}
    rps, total = _RPS.search(text), _TOTAL.search(text)
    if rps is None or total is None or set(latencies) != set(PERCENTILES):
        raise WrkError(f"unexpected wrk output:\n{text}")
    non_2xx = _NON_2XX.search(text)
    socket = _SOCKET.search(text)
    marked = _MARKED.search(text)
    errors = (0, 0, 0, 0)
    if socket:
        connect, read, write, timeout = (int(n) for n in socket.groups())
        errors = (connect, read, write, timeout)
    n_marked = int(marked.group(1)) if marked else 0
    failed = (int(non_2xx.group(1)) if non_2xx else 0) + sum(errors) + n_marked
    return WrkResult(
        float(rps.group(1)),
        latencies[50],
        latencies[95],
        latencies[99],
        int(total.group(1)),
        failed,
        errors,
        n_marked,
    )
