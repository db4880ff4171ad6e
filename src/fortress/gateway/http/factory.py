"""Build the gateway app from settings; ``app_from_env`` is uvicorn's factory for worker processes."""

from __future__ import annotations

from fastapi import FastAPI

from fortress.gateway.http.app import create_app
from fortress.gateway.platform import build_platform
from fortress.registry.base import ModelRegistry
from fortress.settings import Settings, settings_from_env


def build_app(settings: Settings, registry: ModelRegistry, *, freeze_gc: bool = False) -> FastAPI:
    """``freeze_gc``: for server processes (``fortress up``), never for tests sharing a process."""
    return create_app(build_platform(settings, registry, freeze_gc=freeze_gc))


def app_from_env() -> FastAPI:
    from fortress.registry.mlflow_registry import MlflowRegistry

    settings = settings_from_env()
    return build_app(settings, MlflowRegistry(settings.registry, settings.home), freeze_gc=True)
