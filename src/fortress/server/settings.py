"""Settings of the model server process (part of the one settings tree)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, PositiveFloat, PositiveInt

Port = Annotated[int, Field(ge=0, le=65535)]


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    rest_port: Port = 8501
    """TF Serving REST, Open Inference Protocol v2 REST, health and metrics (TF Serving's default)."""
    grpc_port: Port = 8500
    """Open Inference Protocol v2 gRPC; 0 disables it."""
    max_body_bytes: PositiveInt = 16 * 1024 * 1024
    """Larger request bodies are refused with 413 before they are read."""
    workers: PositiveInt = 1
    """Server processes sharing the ports; each loads every served model."""
    graceful_shutdown_s: PositiveFloat = 30.0
    backlog: PositiveInt = 4096
    """Listen backlog (capped by ``net.core.somaxconn``); uvicorn's default is 2048."""
    """On SIGTERM/SIGINT, how long in-flight requests may take to finish before they are cut."""
