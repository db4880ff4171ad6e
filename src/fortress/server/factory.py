"""Build the model server app from settings: metrics registry, runtime, app.

``app_from_env`` is the uvicorn app factory that each worker process calls when the server runs with
several workers (``fortress serve --workers N``); its settings come from the environment, where the
command put its options.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from fortress.monitoring.export import metrics_export
from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.registry.base import ModelRegistry
from fortress.runtime.dispatch import per_model
from fortress.runtime.manager import ModelRuntime
from fortress.server.app import create_app
from fortress.settings import Settings, settings_from_env


def build_app(settings: Settings, registry: ModelRegistry, *, freeze_gc: bool = False) -> Starlette:
    """``freeze_gc``: for server processes (``fortress serve``), never for tests sharing a process."""
    metrics_registry = CollectorRegistry(auto_describe=True)
    runtime = ModelRuntime(  # one model per request: each version's own dynamic batcher
        registry, settings.runtime, RuntimeMetrics(metrics_registry), dispatch=per_model
    )
    export = metrics_export(metrics_registry, settings.monitoring)  # every worker's, with several
    return create_app(runtime, settings.server, metrics_registry, freeze_gc=freeze_gc, export=export)


def app_from_env() -> Starlette:
    from fortress.registry.mlflow_registry import MlflowRegistry

    settings = settings_from_env()
    return build_app(settings, MlflowRegistry(settings.registry, settings.home), freeze_gc=True)
