"""An ASGI app served by a real uvicorn server in a thread on a free port (lifespan included)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from fortress.http.protocol import LimitedConfig
from fortress.http.settings import HttpSettings

from .processes import free_port


@contextmanager
def serving_in_thread(
    app: Any, timeout: float = 30.0, *, http_limits: HttpSettings | None = None
) -> Iterator[str]:
    """Yields the base URL; stops the server (and its lifespan) on exit. With ``http_limits``, HTTP is
    served the way Fortress servers serve it (``LimitedConfig``); else by uvicorn's default."""
    port = free_port()
    options: dict[str, Any] = {"host": "127.0.0.1", "port": port, "log_level": "warning", "lifespan": "on"}
    config = (
        uvicorn.Config(app, **options)
        if http_limits is None
        else LimitedConfig(app, limits=http_limits, **options)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
