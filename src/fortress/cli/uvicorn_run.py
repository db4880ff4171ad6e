"""Run an ASGI app under uvicorn the way every Fortress server runs: one process, or several workers
that rebuild their settings from the environment, with a graceful drain on SIGTERM/SIGINT."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from fortress.cli.common import progress
from fortress.cli.worker_sockets import WorkerSockets
from fortress.settings import Settings, unknown_settings

if TYPE_CHECKING:
    from uvicorn import Config


def run_server(
    settings: Settings,
    build_app: Callable[[], Any],
    *,
    factory: str,
    sections: tuple[str, ...],
    host: str,
    port: int,
    workers: int,
    graceful_shutdown_s: float,
    backlog: int,
) -> None:
    """``build_app`` makes the app for one process; with ``workers`` > 1 each worker calls the
    ``factory`` import path instead, after this process exported the settings ``sections``. Either
    way HTTP is served with ``settings.http``'s limits (the config is pickled into each worker)."""
    from fortress.http.protocol import LimitedConfig

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "auto",  # uvloop when installed; HTTP: httptools with limits (LimitedConfig)
        "lifespan": "on",
        "access_log": False,
        "timeout_graceful_shutdown": graceful_shutdown_s,
        "backlog": backlog,
    }
    # uvicorn handles SIGTERM/SIGINT while it runs (stop accepting, finish in-flight requests, run the
    # lifespan shutdown), then re-raises the signal it caught: a SIGTERM is then a clean exit (0).
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    if workers == 1:
        run_one(LimitedConfig(build_app(), limits=settings.http, **options))
        return
    with worker_metrics_dir() as metrics_dir:  # every worker's metrics in each scrape
        monitoring = settings.monitoring.model_copy(update={"worker_metrics_dir": metrics_dir})
        settings = settings.model_copy(update={"monitoring": monitoring})
        export_to_workers(settings, (*sections, "monitoring"))
        run_workers(LimitedConfig(factory, limits=settings.http, factory=True, workers=workers, **options))


@contextlib.contextmanager
def worker_metrics_dir() -> Iterator[Path]:
    """A fresh directory for the workers' metric files (``monitoring/worker_files.py``), removed after."""
    path = Path(tempfile.mkdtemp(prefix="fortress-metrics-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run_one(config: Config) -> None:
    """``uvicorn.run``'s single-process branch, for a config built here."""
    from uvicorn import Server
    from uvicorn.config import STARTUP_FAILURE

    server = Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


def run_workers(config: Config) -> None:
    """``uvicorn.run``'s multi-worker branch, with a listening socket per worker (``WorkerSockets``)."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    try:
        sockets = WorkerSockets(config.host, config.port)
    except OSError as exc:
        progress(f"cannot listen on {config.host}:{config.port}: {exc}")
        raise SystemExit(STARTUP_FAILURE) from None
    progress(f"{config.workers} worker processes listening on http://{config.host}:{sockets.port}")
    try:
        Multiprocess(config, sockets=sockets).run()
    except KeyboardInterrupt:
        pass
    finally:
        for sock in sockets:
            sock.close()


def process_count(workers: int) -> int:
    """``workers``, or for 0 one per CPU core this process may run on."""
    return workers if workers > 0 else max(1, len(os.sched_getaffinity(0)))


def export_to_workers(settings: Settings, sections: tuple[str, ...]) -> None:
    """Worker processes rebuild their settings from the environment (uvicorn's app factory takes no
    arguments): hand them this command's ``sections`` of the settings, replacing nested variables.
    Unknown ``FORTRESS_`` variables, which this command already reported, are not passed on, so that
    each worker does not report them again."""
    for unknown in unknown_settings(os.environ):
        del os.environ[unknown.name]
    for key in list(os.environ):
        if key.upper().startswith(tuple(f"FORTRESS_{s.upper()}__" for s in sections)):
            del os.environ[key]
    for section in sections:
        values = _revealed(getattr(settings, section).model_dump())
        os.environ[f"FORTRESS_{section.upper()}"] = json.dumps(values, default=str)


def _revealed(value: Any) -> Any:
    """Settings as plain values, secrets included (workers need them; JSON dumps would mask them)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _revealed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_revealed(v) for v in value]
    return value


def exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    progress("stopped (SIGTERM)")
    raise SystemExit(0)
