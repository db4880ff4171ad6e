"""Shared fixtures: settings on a temporary FORTRESS_HOME, a migrated MLflow template database."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings

if TYPE_CHECKING:
    from fortress.registry.mlflow_registry import MlflowRegistry

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = (REPO_ROOT.parent / "shared" / "datasets").resolve()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers by folder: tests/integration -> integration, tests/e2e -> e2e."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATASETS}")
    return SHARED_DATASETS


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite database migrated once per test session; tests copy it."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder = tmp_path_factory.mktemp("mlflow-template")
    db = folder / "mlflow.db"
    store = SqlAlchemyStore(f"sqlite:///{db}", (folder / "artifacts").as_uri())
    store.engine.dispose()
    return db


def _home_from_template(home: Path, template: Path) -> Path:
    (home / "registry").mkdir(parents=True)
    shutil.copy(template, home / "registry" / "mlflow.db")
    return home


@pytest.fixture(scope="session")
def new_registry(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Callable[[], MlflowRegistry]:
    """Makes fresh real MLflow registries (SQLite, copied from the migrated template) for any scope."""
    from fortress.registry.mlflow_registry import MlflowRegistry

    def make() -> MlflowRegistry:
        home = _home_from_template(tmp_path_factory.mktemp("home"), sqlite_template)
        return MlflowRegistry(RegistrySettings(), home)

    return make


@pytest.fixture
def settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    home = _home_from_template(tmp_path / "home", sqlite_template)
    return Settings(
        home=home,
        datasets_dir=None,
        registry=RegistrySettings(),
        training={"thresholds_file": REPO_ROOT / "configs" / "performance_thresholds.yaml"},  # type: ignore[arg-type]
    )
