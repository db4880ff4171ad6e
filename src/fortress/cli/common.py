"""What every command shares: settings from the environment plus command-line overrides."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fortress.settings import Settings

if TYPE_CHECKING:
    from fortress.registry.mlflow_registry import MlflowRegistry


def load_settings(**overrides: Any) -> Settings:
    settings = Settings()
    updates = {k: v for k, v in overrides.items() if v is not None}
    return settings.model_copy(update=updates) if updates else settings


def open_registry(settings: Settings) -> MlflowRegistry:
    from fortress.registry.mlflow_registry import MlflowRegistry

    return MlflowRegistry(settings)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def resolve_dir(path: Path | None) -> Path | None:
    return path.expanduser().resolve() if path is not None else None
