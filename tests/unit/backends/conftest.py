"""Remote backends against the real model server app (in-process) over real MLflow registries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fortress.catalog import get_spec
from fortress.catalog.spec import ModelSpec
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from support.candidates import SPEC as TINY_SPEC
from support.remote_serving import TINY, URL
from support.serving import ServedCandidates, register, served_candidates


@pytest.fixture(scope="session")
def specs() -> dict[str, ModelSpec]:
    """What the gateway would configure: the two served models and one the server does not have."""
    return {TINY: TINY_SPEC, URL: get_spec(URL), "dga_detector": get_spec("dga_detector")}


@pytest.fixture(scope="session")
def candidates() -> ServedCandidates:
    return served_candidates()


@pytest.fixture(scope="session")
def shared_home(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, candidates: ServedCandidates
) -> Settings:
    """tiny_detector v1 champion + v2 canary, phishing_url v1 champion; for tests that only read."""
    home = tmp_path_factory.mktemp("backends") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    settings = Settings(home=home, datasets_dir=None, registry=RegistrySettings())
    register(settings, candidates)
    return settings


@pytest.fixture
def home(settings: Settings, candidates: ServedCandidates) -> Settings:
    """A registry of its own, for tests that move aliases."""
    register(settings, candidates)
    return settings
