"""What every command shares: settings from the environment plus command-line overrides."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fortress.settings import Settings, settings_from_env

if TYPE_CHECKING:
    from fortress.registry.mlflow_registry import MlflowRegistry


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (each unknown ``FORTRESS_`` variable is a warning line on
    stderr), with the command's options (those not ``None``) on top."""
    settings = settings_from_env(report=lambda message: progress(f"warning: {message}"))
    updates = {k: v for k, v in overrides.items() if v is not None}
    return settings.model_copy(update=updates) if updates else settings


def open_registry(settings: Settings) -> MlflowRegistry:
    from fortress.registry.mlflow_registry import MlflowRegistry

    return MlflowRegistry(settings.registry, settings.home)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def resolve_dir(path: Path | None) -> Path | None:
    return path.expanduser().resolve() if path is not None else None
