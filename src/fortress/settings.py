"""The one typed settings tree. ``os.environ`` is read here and nowhere else.

Environment variables use the ``FORTRESS_`` prefix and ``__`` for nesting, e.g.
``FORTRESS_REGISTRY__TRACKING_URI=postgresql+psycopg2://...``. Each package owns its part
(``fortress.registry.settings``, ``fortress.training.settings``, ...); only entry points (the CLI, the
app factories, the gateway's ``build_platform``) see this whole tree and hand each component its part.
Entry points build it with ``settings_from_env``, which reports every ``FORTRESS_`` variable that
names no setting.
"""

from __future__ import annotations

import difflib
import logging
import os
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Union, get_args, get_origin

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from fortress.features.settings import FeatureSettings
from fortress.gateway.settings import GatewaySettings
from fortress.http.settings import HttpSettings
from fortress.monitoring.settings import MonitoringSettings
from fortress.ops.settings import OpsSettings
from fortress.registry.settings import RegistrySettings
from fortress.runtime.settings import RuntimeSettings
from fortress.server.settings import ServerSettings
from fortress.training.settings import TrainingSettings

logger = logging.getLogger(__name__)

ENV_PREFIX = "FORTRESS_"
NESTED = "__"
NOT_SETTINGS_PREFIX = "FORTRESS_TEST_"
"""Variables tests and CI set for themselves (e.g. ``FORTRESS_TEST_DATASETS_DIR``): never settings,
never reported as unknown."""
CLIENT_VARIABLES = frozenset({"FORTRESS_API_KEY"})
"""Read by clients of the gateway (the printed curl examples), not by Fortress: never reported."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED,
        extra="ignore",  # unknown FORTRESS_ variables are reported by settings_from_env instead
        frozen=True,
        hide_input_in_errors=True,
    )

    home: Path = Path(".fortress")
    """Embedded registry, artifacts, caches and data live here."""
    datasets_dir: Path | None = None
    """Folder holding the real public datasets (see docs/DATASETS.md). Unset: the simulator stands in."""
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    """Drift references, counting and scores (docs/MONITORING.md)."""
    features: FeatureSettings = Field(default_factory=FeatureSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    """Limits of the HTTP server layer of the gateway and the model server (docs/SECURITY.md)."""
    ops: OpsSettings = Field(default_factory=OpsSettings)
    """Backups, restores and the DR drill (docs/OPERATIONS.md)."""

    def tracking_uri(self) -> str:
        return self.registry.store_uri(self.home)

    def artifact_uri(self) -> str:
        return self.registry.artifact_root(self.home)


def settings_from_env(report: Callable[[str], None] | None = None) -> Settings:
    """The settings entry points run with: read from the environment, after ``report`` (default: a
    warning on this module's logger) was given one line per unknown ``FORTRESS_`` variable."""
    say = report or logger.warning
    for unknown in unknown_settings(os.environ):
        say(unknown.message)
    return Settings()


@dataclass(frozen=True, slots=True)
class UnknownSetting:
    name: str
    """As it appears in the environment."""
    suggestion: str | None
    """The closest valid variable name, if one is close."""

    @property
    def message(self) -> str:
        if self.suggestion is None:
            hint = "no setting has a similar name; docs/CONFIGURATION.md lists them"
        else:
            hint = f"did you mean {self.suggestion}?"
        return f"unknown setting {self.name} ({hint})"


def unknown_settings(environ: Mapping[str, str]) -> list[UnknownSetting]:
    """The ``FORTRESS_`` variables of ``environ`` that no setting reads (case-insensitive, as the
    settings read them), each with the closest valid name; other variables are never looked at."""
    patterns = [name.split(NESTED) for name in env_names(Settings)]
    unknown: list[UnknownSetting] = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper.startswith(NOT_SETTINGS_PREFIX):
            continue
        if upper in CLIENT_VARIABLES:
            continue
        parts = upper.split(NESTED)
        if any(_matches(parts, pattern) for pattern in patterns):
            continue
        # Compared without the prefix every name shares, which would make any two names look alike.
        candidates = [_render(pattern, parts).removeprefix(ENV_PREFIX) for pattern in patterns]
        close = difflib.get_close_matches(upper.removeprefix(ENV_PREFIX), candidates, n=1, cutoff=0.6)
        unknown.append(UnknownSetting(name, ENV_PREFIX + close[0] if close else None))
    return unknown


def env_names(model: type[BaseModel], prefix: str = ENV_PREFIX) -> list[str]:
    """Every environment variable a settings model reads, upper-case, nested with ``__``; a ``*``
    segment stands for any key of a ``dict`` field (e.g. ``FORTRESS_GATEWAY__BACKENDS__*__URL``)."""
    names: list[str] = []
    for field, info in model.model_fields.items():
        name = prefix + field.upper()
        names += [name, *_nested(info.annotation, name)]
    return list(dict.fromkeys(names))


def _nested(annotation: object, name: str) -> list[str]:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType, Annotated):
        return [n for arg in get_args(annotation) for n in _nested(arg, name)]
    if origin in (dict, Mapping):
        key = f"{name}{NESTED}*"
        return [key, *_nested(get_args(annotation)[1], key)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return env_names(annotation, name + NESTED)
    return []


def _matches(parts: list[str], pattern: list[str]) -> bool:
    return len(parts) == len(pattern) and all(p in ("*", v) for v, p in zip(parts, pattern, strict=True))


def _render(pattern: list[str], parts: list[str]) -> str:
    """A pattern as a suggestion for ``parts``: a ``*`` takes the variable's own segment there."""
    return NESTED.join(
        (parts[i] if i < len(parts) else "<KEY>") if p == "*" else p for i, p in enumerate(pattern)
    )
