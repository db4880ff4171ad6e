"""A tiny app serving the v2 routes (and optionally gRPC) over a runtime; ways to run it from sync tests.

``BackgroundLoop`` lets sync tests drive the app in process; ``uvicorn_thread`` serves it on a real
port for the official clients.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import uvicorn
from starlette.applications import Starlette

from fortress.runtime.manager import ModelRuntime
from fortress.server.grpc_v2 import create_grpc_server
from fortress.server.v2_rest import v2_routes

T = TypeVar("T")


def v2_app(runtime: ModelRuntime, grpc_address: str | None = None) -> Starlette:
    """Routes + a lifespan that starts the runtime (and a gRPC server) and stops them."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        grpc_server = create_grpc_server(runtime, grpc_address) if grpc_address else None
        if grpc_server is not None:
            await grpc_server.start()
        try:
            yield
        finally:
            if grpc_server is not None:
                await grpc_server.stop(grace=0.5)
            await runtime.aclose()

    return Starlette(routes=v2_routes(runtime), lifespan=lifespan)


class BackgroundLoop:
    """An asyncio loop running in a thread; ``run`` waits for a coroutine from sync code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)

    def __enter__(self) -> BackgroundLoop:
        self._thread.start()
        return self

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)
        self.loop.close()


@contextmanager
def uvicorn_thread(app: Starlette, port: int, timeout: float = 60.0) -> Iterator[None]:
    """Serve ``app`` with uvicorn on 127.0.0.1:``port`` in a thread (lifespan included) until exit."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, loop="asyncio", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn exited before serving (see the log for the lifespan error)")
            if time.monotonic() > deadline:
                raise TimeoutError(f"uvicorn not serving on port {port} after {timeout} s")
            time.sleep(0.05)
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)
